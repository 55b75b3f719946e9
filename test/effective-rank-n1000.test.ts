/**
 * Issue 3's random-mode teachers at full size: N = 1000, g_eff = 2, α·PR_D = 0.3 and 3 (exp spectrum,
 * THEORY §1.3c), the whole network recorded for 5000 τ (5·N τ, D = 0.1, Euler dt 0.1). The effective
 * rank from the least-squares couplings (§2.3, §2.8; src/structure/effectiveRank.ts) must separate the
 * two, land within ×2 of the truth and cover it. About 40 s per teacher (dt 0.1 halves the cost of
 * dt 0.05 at the same accuracy: the information per τ does not depend on the step); the longer-recording
 * figures are in bench/effective-rank-couplings.ts.
 */
import { describe, expect, it } from 'vitest';
import { blockSums, type BlockSums } from '../src/loss/lowRank.js';
import { nonlinearity } from '../src/nonlinearity.js';
import { iidNetwork } from '../src/simulate/network.js';
import { randomModeSpectrum } from '../src/simulate/randomMode.js';
import { matrixSpectrumStats } from '../src/statistics/dimension.js';
import { COUPLING_BLOCKS, effectiveRankFromCouplings } from '../src/structure/effectiveRank.js';
import { yieldToEventLoop } from '../src/util/yield.js';
import { rel, simulateSpec } from './helpers/sim.js';

describe('effective rank of N = 1000 random-mode teachers from their couplings', () => {
  it('α·PR_D 0.3 and 3: separated intervals, each within ×2 of the truth and covering it', async () => {
    const N = 1000;
    const dt = 0.1;
    const D = 0.1;
    const steps = 50_000; // 5000 τ
    const intervals: [number, number][] = [];
    for (const r of [0.3, 3]) {
      const spec = { ...iidNetwork({ N, g: 2, D }), randomModes: randomModeSpectrum(N, r, 2) };
      const sim = await simulateSpec(spec, { dt, steps, burnIn: 2000, seed: 5, keepCouplings: true });
      const prS = matrixSpectrumStats(sim.couplings!, N).pr_s;
      const realised = prS / (1 - 2 * prS); // 0.302 and 2.97
      const bounds = Array.from({ length: COUPLING_BLOCKS + 1 }, (_, k) => Math.round((k * steps) / COUPLING_BLOCKS));
      const sums: BlockSums[] = [];
      for (let b = 0; b < COUPLING_BLOCKS; b++) {
        sums.push(...blockSums(sim.recording, { a: 1 / dt, b: 1 - 1 / dt, s: 0 }, nonlinearity('tanh'), [bounds[b], bounds[b + 1]]));
        await yieldToEventLoop(); // each block is seconds of synchronous work
      }
      const est = await effectiveRankFromCouplings(sums, (2 * D) / dt);
      // measured: 0.310 [0.287, 0.334] and 2.83 [2.26, 3.69] (seed 6: 0.305, 3.00)
      expect(est.value).toBeGreaterThan(r / 2);
      expect(est.value).toBeLessThan(2 * r);
      expect(est.ci95[0]).toBeLessThanOrEqual(r);
      expect(est.ci95[1]).toBeGreaterThanOrEqual(r);
      expect(rel(est.value, realised)).toBeLessThan(0.15);
      intervals.push(est.ci95);
    }
    expect(intervals[0][1]).toBeLessThan(intervals[1][0]);
  }, 900_000);
});
