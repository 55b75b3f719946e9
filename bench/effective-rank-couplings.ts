/**
 * Benchmark (issue 3): the effective rank α·PR_D of a fully recorded random-mode network from its
 * least-squares couplings (src/structure/effectiveRank.ts effectiveRankFromCouplings; THEORY §1.3c,
 * §2.3, §2.8). Per teacher: a random-mode network with g_eff = 2, the given α·PR_D (exp spectrum),
 * D = 0.1, tanh, simulated at dt 0.05 and recorded every step; the estimate with its interval against
 * the realised α·PR_D of the drawn J (PR_S of its singular values), and per seed whether the
 * intervals of the teachers are separated. The least-squares bias falls with the recording's length
 * in units of N·τ (see the function's comment): use timeUnits ≳ 5·N.
 *
 *   node dist/bench/effective-rank-couplings.js [N=1000] [timeUnits=8000] [ranks=0.3,3] [seeds=5]
 */
import { initBackend } from '../src/backend.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { blockSums } from '../src/loss/lowRank.js';
import { nonlinearity } from '../src/nonlinearity.js';
import { iidNetwork } from '../src/simulate/network.js';
import { randomModeSpectrum } from '../src/simulate/randomMode.js';
import { simulate } from '../src/simulate/simulate.js';
import { matrixSpectrumStats } from '../src/statistics/dimension.js';
import { COUPLING_BLOCKS, effectiveRankFromCouplings } from '../src/structure/effectiveRank.js';

async function main(): Promise<void> {
  const N = Number(process.argv[2] ?? 1000);
  const timeUnits = Number(process.argv[3] ?? 8000);
  const ranks = (process.argv[4] ?? '0.3,3').split(',').map(Number);
  const seeds = (process.argv[5] ?? '5').split(',').map(Number);
  const dt = 0.05;
  const D = 0.1;
  const steps = Math.round(timeUnits / dt);
  await initBackend('wasm');
  await prepareEigensolver();
  const f = (v: number) => (Number.isFinite(v) ? v.toPrecision(3) : '∞');
  for (const seed of seeds) {
    const intervals: [number, number][] = [];
    for (const r of ranks) {
      const t0 = performance.now();
      const spec = { ...iidNetwork({ N, g: 2, D }), randomModes: randomModeSpectrum(N, r, 2) };
      const sim = await simulate(spec, { dt, steps, burnIn: 2000, seed, keepCouplings: true });
      const prTrue = matrixSpectrumStats(sim.couplings!, N).pr_s;
      const realised = prTrue / (1 - 2 * prTrue);
      const t1 = performance.now();
      const bounds = Array.from({ length: COUPLING_BLOCKS + 1 }, (_, k) => Math.round((k * steps) / COUPLING_BLOCKS));
      const sums = blockSums(sim.recording, { a: 1 / dt, b: 1 - 1 / dt, s: 0 }, nonlinearity('tanh'), bounds);
      const est = await effectiveRankFromCouplings(sums, (2 * D) / dt);
      const t2 = performance.now();
      intervals.push(est.ci95);
      const within = est.value >= r / 2 && est.value <= 2 * r;
      const covers = est.ci95[0] <= r && est.ci95[1] >= r;
      process.stdout.write(
        `seed ${seed}, α·PR_D = ${r} (realised ${f(realised)}): ${f(est.value)} [${f(est.ci95[0])}, ${f(est.ci95[1])}] ` +
          `within ×2: ${within ? 'yes' : 'NO'}, covers: ${covers ? 'yes' : 'NO'}, covers realised: ${est.ci95[0] <= realised && est.ci95[1] >= realised ? 'yes' : 'NO'}\n` +
          `  PR_S ${est.prS.toFixed(4)} ± ${est.prSSe.toFixed(4)} (realised ${prTrue.toFixed(4)}; noise-corrected only ${est.prSNoiseCorrected.toFixed(4)} → ${f(est.prSNoiseCorrected / (1 - 2 * est.prSNoiseCorrected))}; raw ${est.prSRaw.toFixed(4)})\n` +
          `  time: simulation ${((t1 - t0) / 1000).toFixed(0)} s, sums + estimate ${((t2 - t1) / 1000).toFixed(0)} s\n`,
      );
    }
    let separated = true;
    for (let a = 0; a < intervals.length; a++)
      for (let b = a + 1; b < intervals.length; b++) if (!(intervals[a][1] < intervals[b][0] || intervals[b][1] < intervals[a][0])) separated = false;
    process.stdout.write(`seed ${seed}: intervals ${separated ? 'separated' : 'OVERLAP'}\n`);
  }
}

await main();
