/**
 * Benchmark (issue 3): the effective rank α·PR_D of random-mode couplings (THEORY §1.3c) estimated
 * from activity (src/structure/effectiveRank.ts, THEORY §5.3). Per teacher: a random-mode network with
 * g_eff = 2 and the given α·PR_D (exp spectrum, D = 0, tanh), a dense stretch (dt 0.05, 1000 time units)
 * for the rate-function fit of ĝ_eff and a long sparse stretch (every 10th step) for the PR; then the
 * estimate, its block-bootstrap interval, and whether it is within a factor 2 of truth and covers it.
 *
 *   node dist/bench/effective-rank.js [N=1000] [timeUnits=4000] [ranks=0.3,3] [seed=5]
 *   (~2–3 min per teacher at N = 1000 on one core)
 */
import { initBackend } from '../src/backend.js';
import { fitRecording } from '../src/fit/fit.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { iidNetwork } from '../src/simulate/network.js';
import { randomModeSpectrum } from '../src/simulate/randomMode.js';
import { simulate } from '../src/simulate/simulate.js';
import { effectiveRankFromActivity } from '../src/structure/effectiveRank.js';

async function main(): Promise<void> {
  const N = Number(process.argv[2] ?? 1000);
  const timeUnits = Number(process.argv[3] ?? 4000);
  const ranks = (process.argv[4] ?? '0.3,3').split(',').map(Number);
  const seed = Number(process.argv[5] ?? 5);
  await initBackend('wasm');
  await prepareEigensolver();
  const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? '∞' : v.toPrecision(3));
  for (const r of ranks) {
    const t0 = performance.now();
    const spec = { ...iidNetwork({ N, g: 2, D: 0 }), randomModes: randomModeSpectrum(N, r, 2) };
    // Same seed: the same couplings and initial state; the sparse run continues past the dense one.
    const dense = await simulate(spec, { dt: 0.05, steps: 20000, burnIn: 2000, seed });
    const sparse = await simulate(spec, { dt: 0.05, steps: Math.round(timeUnits / 0.05), burnIn: 2000, every: 10, seed });
    const fit = await fitRecording(dense.recording, { phi: 'tanh' });
    const est = await effectiveRankFromActivity(sparse.recording, { phi: 'tanh', g: fit.params.g, D: fit.params.D.value, seed });
    const within2 = est.value >= r / 2 && est.value <= 2 * r;
    const covers = est.ci95[0] <= r && (est.ci95[1] === null || !Number.isFinite(est.ci95[1]) || est.ci95[1] >= r);
    process.stdout.write(
      `α·PR_D = ${r}: estimate ${fmt(est.value)} [${fmt(est.ci95[0])}, ${fmt(est.ci95[1])}] ` +
        `(ĝ_eff ${fit.params.g.value.toFixed(3)}; PR_φ data ${est.prData.toPrecision(3)}, T→∞ ${est.prDataCorrected.toPrecision(3)}, i.i.d. theory ${est.prIid.toPrecision(3)}) ` +
        `within ×2: ${within2 ? 'yes' : 'NO'}, interval covers: ${covers ? 'yes' : 'NO'} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
    );
  }
}

await main();
