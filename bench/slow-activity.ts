/**
 * Benchmark: how much slow activity one finite network keeps beyond the N → ∞ theory, as `connfit
 * predict` reports it (src/report/predict.ts, slowActivityNote). Per network (fully recorded i.i.d. tanh
 * network, D 0.1, 20000 steps of 0.05 after 1000 of burn-in, seeds 1, 2, …): the spectral fit, then
 * predict's autocovariance comparison. Reported per network: the data's and the theory's C at the last
 * compared lag (≈ 3 correlation times of the fitted network) as fractions of the data's C(0), the
 * variance of the units' time averages and the correlation of the two halves' averages, and whether
 * predict adds its note.
 *
 *   node dist/bench/slow-activity.js [N=100] [g=1.5] [networks=6]
 */
import { initBackend } from '../src/backend.js';
import { fitRecording } from '../src/fit/fit.js';
import { buildFitFile } from '../src/fitfile/build.js';
import { predictReport, slowActivityNote } from '../src/report/predict.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';

async function main(): Promise<void> {
  const N = Number(process.argv[2] ?? 100);
  const g = Number(process.argv[3] ?? 1.5);
  const K = Number(process.argv[4] ?? 6);
  await initBackend('wasm');
  const tails: number[] = [];
  let noted = 0;
  for (let seed = 1; seed <= K; seed++) {
    const sim = await simulate(iidNetwork({ N, g, D: 0.1 }), { dt: 0.05, steps: 20000, burnIn: 1000, seed });
    const fit = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'whittle' });
    const file = buildFitFile(fit, sim.recording, { command: 'bench/slow-activity', backend: 'wasm' });
    // context beyond a quarter of the recording: no forecast evaluation (not measured here)
    const r = await predictReport(file, sim.recording, { simulationTime: 0, context: sim.recording.nSamples });
    const s = r.autocorrelation.slow;
    const note = slowActivityNote(s, N) !== null;
    if (note) noted++;
    tails.push(s.data);
    console.log(
      `network ${seed}: ĝ ${fit.params.g.value.toFixed(3)}  C(lag ${s.lag.toFixed(2)})/C(0): data ${s.data.toFixed(3)} theory ${s.theory.toFixed(3)}  ` +
        `unit-mean variance ${s.staticFraction.toFixed(3)}  halves r ${s.halvesCorrelation.toFixed(2)}  note ${note ? 'yes' : 'no'}`,
    );
  }
  tails.sort((a, b) => a - b);
  console.log(`N ${N}, g ${g}, ${K} networks: data tail ${tails[0].toFixed(3)}–${tails[K - 1].toFixed(3)} of C(0); note on ${noted}/${K}`);
}

await main();
