import { describe, expect, it } from 'vitest';
import { participationRatio } from '../src/statistics/dimension.js';
import { selectUnits } from '../src/recording/types.js';
import { participationRatioTheory } from '../src/theory/participation.js';
import { subsampledParticipationRatio } from '../src/theory/subsample.js';
import { rel, simulateIid } from './helpers/sim.js';

describe('PR of a recorded subsample (src/theory/subsample.ts)', () => {
  it('closed form: pr at n = N, → 1 as n/N → 0, and a whole-number check', () => {
    expect(subsampledParticipationRatio(0.05, 300, 300)).toBe(0.05);
    expect(subsampledParticipationRatio(0.05, 1, 1000)).toBe(1);
    // q = (1/0.05 − 1)/999 = 19/999; n = 100: 1/(1 + 99·19/999) = 999/2880
    expect(subsampledParticipationRatio(0.05, 100, 1000)).toBeCloseTo(999 / 2880, 14);
    expect(() => subsampledParticipationRatio(0.05, 101, 100)).toThrow(/1 ≤ n ≤ N/);
  });

  it('erf g 3, D 0, N 400: every 4th unit of a simulated network has the PR the formula gives from the whole network\'s', async () => {
    // The formula's assumption (unit variances self-average, the recorded pairs are a sample of all) on
    // one network's covariance. Measured on seeds 4–6: within 1.5–4 % for x and φ, while the whole
    // network's PR itself scatters from 0.024 to 0.047 between seeds (theory 0.034): at N = 400 one
    // network says little about the theory, so that comparison lives in bench/pr-vs-sim.ts.
    const sim = await simulateIid({ N: 400, g: 3, D: 0, phi: 'erf' }, { dt: 0.05, steps: 80000, every: 20, seed: 4 });
    const sub = selectUnits(sim.recording, Array.from({ length: 100 }, (_, k) => 4 * k));
    for (const of of ['x', 'phi'] as const) {
      const whole = participationRatio(sim.recording, { of, phi: 'erf' }).pr;
      const part = participationRatio(sub, { of, phi: 'erf' }).pr;
      expect(rel(subsampledParticipationRatio(whole, 100, 400), part)).toBeLessThan(0.06); // seed 4: 3.9 %, 2.7 %
      // a subsample is higher-dimensional per unit than its network (here 3.5×)
      expect(part).toBeGreaterThan(2 * whole);
    }
  }, 120_000);

  it('connfit dimension fit.json --network-size: the theory for the recorded units of the larger network; validation', async () => {
    const { runCli, ensureBuilt } = await import('./helpers/cli.js');
    await ensureBuilt();
    // the shipped demo fit (100 units of a 1000-unit network): theory row = subsampled network theory
    const r = await runCli('dimension', 'demo-fit', '--network-size', '1000', '--sim-time', '0', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.units).toBe(100);
    expect(out.networkSize).toBe(1000);
    const { readFitFile } = await import('../src/fitfile/schema.js');
    const fit = readFitFile('demo-fit');
    const th = participationRatioTheory({ phi: 'tanh', g: fit.params.g.value!, D: fit.params.D.value! });
    expect(out.theory.network.pr_phi).toBeCloseTo(th.pr_phi, 10);
    expect(out.theory.pr_phi).toBeCloseTo(subsampledParticipationRatio(th.pr_phi, 100, 1000), 10);
    expect(out.network_dimension_phi).toBeCloseTo(th.pr_phi * 1000, 8);
    const small = await runCli('dimension', 'demo-fit', '--network-size', '99', '--sim-time', '0');
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/--network-size: must be a whole number ≥ the fit's 100 units, got 99/);
  }, 300_000);
});
