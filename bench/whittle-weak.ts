/**
 * Benchmark: the spectral (Whittle) fit of one population at weak and strong coupling, fully recorded,
 * over several networks per setting. Per (N, g): the mean and SD over networks of ĝ − g_realised (the
 * realised √N·std(J)), the median reported standard error, and how often the reported 95 % interval of g
 * contains g_realised (0 for g = 0).
 * A yardstick for the O(1/N) biases of the spectral loss: a unit's own φ passing for coupling (g² ≈ σ²/n
 * before the leave-one-out bulk variance, src/loss/whittle.ts) at weak g, and THEORY §2.4's −2.6 % at
 * g = 1.5, N = 200. D = 0.02 (σ² = 0.8) for g ≤ 0.5, as in issue 3's teacher; 0.1 above. 20000 steps of 0.05.
 *
 *   node dist/bench/whittle-weak.js [networks per setting=6] [N list=100,200] [g list=0,0.3,0.5,0.8,1.5]
 */
import { initBackend } from '../src/backend.js';
import { fitRecording } from '../src/fit/fit.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 6);
  const sizes = (process.argv[3] ?? '100,200').split(',').map(Number);
  const gs = (process.argv[4] ?? '0,0.3,0.5,0.8,1.5').split(',').map(Number);
  await initBackend('wasm');
  console.log(`spectral fit, ${count} networks per setting, 20000 steps of 0.05 (seeds 11..${10 + count})`);
  console.log('N     g     D      mean(ĝ − g)  sd       median SE  covered  ĝ per network');
  for (const N of sizes)
    for (const g of gs) {
      const D = g <= 0.5 ? 0.02 : 0.1;
      const errors: number[] = [];
      const estimates: number[] = [];
      const ses: number[] = [];
      let covered = 0;
      for (let seed = 11; seed < 11 + count; seed++) {
        const sim = await simulate(iidNetwork({ N, g, D }), { dt: 0.05, steps: 20000, burnIn: 2000, seed });
        const truth = sim.realised.g[0][0];
        const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'whittle' });
        const e = f.params.g;
        errors.push(e.value - truth);
        estimates.push(e.value);
        if (Number.isFinite(e.se)) ses.push(e.se);
        if (e.ci95[0] <= truth && truth <= e.ci95[1]) covered++;
      }
      const mean = errors.reduce((s, v) => s + v, 0) / count;
      const sd = Math.sqrt(errors.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, count - 1));
      const se = ses.length ? ses.sort((a, b) => a - b)[Math.floor(ses.length / 2)] : Number.NaN;
      console.log(
        `${String(N).padEnd(5)} ${String(g).padEnd(5)} ${String(D).padEnd(6)} ${mean.toFixed(4).padStart(11)}  ${sd.toFixed(4)}   ${se.toFixed(4)}     ${covered}/${count}      ${estimates.map((v) => v.toFixed(3)).join(' ')}`,
      );
    }
}

await main();
