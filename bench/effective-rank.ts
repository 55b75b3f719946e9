/**
 * Benchmark (issue 3): the effective rank α·PR_D of random-mode couplings (THEORY §1.3c) estimated
 * from activity (src/structure/effectiveRank.ts, THEORY §5.3). Per teacher: a random-mode network with
 * g_eff = 2 and the given α·PR_D (exp spectrum, D = 0, tanh), a dense stretch (dt 0.05, 1000 time units)
 * for the rate-function fit of ĝ_eff and a long sparse stretch (every 10th step) for the PR; then the
 * estimate calibrated on simulated networks of the same size (the default of `connfit fit
 * --effective-rank`) next to the uncalibrated N → ∞ inversion, whether each is within a factor 2 of
 * truth and covers it, and per seed whether the intervals of the teachers overlap.
 *
 *   node dist/bench/effective-rank.js [N=1000] [timeUnits=4000] [ranks=0.3,3] [seeds=5]
 *   (~2 min per teacher at N = 1000 on an idle core: 30 s simulation, 20 s estimate, 70 s calibration)
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
  const seeds = (process.argv[5] ?? '5').split(',').map(Number);
  await initBackend('wasm');
  await prepareEigensolver();
  const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? '∞' : v.toPrecision(3));
  const judge = (r: number, value: number, ci: [number, number]) =>
    `within ×2: ${value >= r / 2 && value <= 2 * r ? 'yes' : 'NO'}, covers: ${ci[0] <= r && ci[1] >= r ? 'yes' : 'NO'}`;
  for (const seed of seeds) {
    const intervals: [number, number][] = [];
    for (const r of ranks) {
      const t0 = performance.now();
      const spec = { ...iidNetwork({ N, g: 2, D: 0 }), randomModes: randomModeSpectrum(N, r, 2) };
      // Same seed: the same couplings and initial state; the sparse run continues past the dense one.
      const dense = await simulate(spec, { dt: 0.05, steps: 20000, burnIn: 2000, seed });
      const sparse = await simulate(spec, { dt: 0.05, steps: Math.round(timeUnits / 0.05), burnIn: 2000, every: 10, seed });
      const fit = await fitRecording(dense.recording, { phi: 'tanh' });
      const t1 = performance.now();
      const est = await effectiveRankFromActivity(sparse.recording, { phi: 'tanh', g: fit.params.g, D: fit.params.D.value, seed, calibrate: { dt: sparse.recording.dt! } });
      const t2 = performance.now();
      const cal = est.calibration;
      if (cal.method !== 'simulation') throw new Error('expected a calibrated estimate');
      const un = cal.uncalibrated;
      intervals.push(est.ci95);
      process.stdout.write(
        `seed ${seed}, α·PR_D = ${r}: calibrated ${fmt(est.value)} [${fmt(est.ci95[0])}, ${fmt(est.ci95[1])}] ${judge(r, est.value, est.ci95)}; ` +
          `uncalibrated ${fmt(un.value)} [${fmt(un.ci95[0])}, ${fmt(un.ci95[1])}] ${judge(r, un.value, un.ci95)}\n` +
          `  ĝ_eff ${fit.params.g.value.toFixed(3)} (realised ‖J‖_F/√N ${sparse.realised.g[0][0].toFixed(3)}); PR_φ data ${est.prData.toPrecision(3)}, T→∞ ${est.prDataCorrected.toPrecision(3)}; ` +
          `finite-N curve 1/PR = ${cal.curve.c0.toPrecision(3)} + ${cal.curve.c1.toPrecision(3)}/r (theory ${(1 / est.prIid).toPrecision(3)} + ${(1 / est.K).toPrecision(3)}/r), ` +
          `log-PR scatter: network ${cal.networkSd.toFixed(3)}, simulations' time noise ${cal.timeSd.toFixed(3)}\n` +
          `  simulated (r, PR): ${cal.ranks.map((q, k) => `${q.toPrecision(3)} ${cal.pr[k].toPrecision(3)}`).join('; ')}\n` +
          `  time: simulation + fit ${((t1 - t0) / 1000).toFixed(0)} s, estimate + calibration ${((t2 - t1) / 1000).toFixed(0)} s` +
          (est.notes.length ? `\n  notes: ${est.notes.join('; ')}` : '') + '\n',
      );
    }
    // Separated: every pair of teachers' intervals disjoint.
    let separated = true;
    for (let a = 0; a < intervals.length; a++)
      for (let b = a + 1; b < intervals.length; b++) if (!(intervals[a][1] < intervals[b][0] || intervals[b][1] < intervals[a][0])) separated = false;
    process.stdout.write(`seed ${seed}: calibrated intervals ${separated ? 'separated' : 'OVERLAP'}\n`);
  }
}

await main();
