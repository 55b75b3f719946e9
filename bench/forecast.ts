/**
 * Benchmark: held-out forecast evaluation (THEORY §3) of 100 recorded units × 20000 samples, context
 * 60, horizon 20, stride 1, every kernel (theory, plugin, empirical) and baseline (persistence, AR(p ≤
 * 20), SE GP). Network: tanh g 1.5, D 0.1, N 1000, Euler dt 0.05; the fit (Whittle, first half) is timed
 * separately. Target: evaluation ≤ 30 s.
 *
 *   npm run build && node dist/bench/forecast.js [units=100] [samples=20000] [stride=1]
 */
import { initBackend } from '../src/backend.js';
import { fitRecording } from '../src/fit/fit.js';
import { buildFitFile } from '../src/fitfile/build.js';
import { evaluateForecast } from '../src/predict/forecast.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';

async function main(): Promise<void> {
  const units = Number(process.argv[2] ?? 100);
  const samples = Number(process.argv[3] ?? 20000);
  const stride = Number(process.argv[4] ?? 1);
  const dt = 0.05;
  const backend = await initBackend('wasm');
  let t = performance.now();
  const sim = await simulate(iidNetwork({ N: 1000, g: 1.5, D: 0.1 }), { dt, steps: samples - 1, burnIn: 1000, observe: units, seed: 4242 });
  const rec = sim.recording;
  const tSim = (performance.now() - t) / 1000;
  t = performance.now();
  const fitted = await fitRecording({ ...rec, nSamples: samples / 2, data: rec.data.subarray(0, (samples / 2) * units) }, { phi: 'tanh', dt });
  const fit = buildFitFile(fitted, rec, { command: 'bench/forecast', backend });
  const tFit = (performance.now() - t) / 1000;
  t = performance.now();
  const report = await evaluateForecast(fit, rec, { context: 60, horizon: 20, stride, trainFraction: 0.5 });
  const tEval = (performance.now() - t) / 1000;
  const s = report.setup;
  process.stdout.write(
    `forecast evaluation: ${s.units} units × ${samples} samples (train ${s.trainSamples}, test ${s.testSamples}), context ${s.context}, horizon ${s.horizon}, stride ${s.stride}: ${s.windows} windows/unit, ${s.values} predicted values per predictor\n` +
      `simulation ${tSim.toFixed(1)} s, fit ${tFit.toFixed(1)} s (ĝ ${fitted.params.g.value.toFixed(4)}, D̂ ${fitted.params.D.value.toFixed(4)}), backend ${backend}\n\n`,
  );
  process.stdout.write(`  ${'predictor'.padEnd(12)} ${'mse'.padStart(8)} ${'mse/var'.padStart(8)} ${'cov50'.padStart(6)} ${'cov95'.padStart(6)} ${'lpd'.padStart(8)}\n`);
  for (const [name, v] of [...Object.entries(report.kernels), ...Object.entries(report.baselines)]) {
    process.stdout.write(`  ${name.padEnd(12)} ${v!.mse.toFixed(5).padStart(8)} ${v!.mse_over_var.toFixed(3).padStart(8)} ${v!.coverage50.toFixed(3).padStart(6)} ${v!.coverage95.toFixed(3).padStart(6)} ${v!.lpd.toFixed(4).padStart(8)}\n`);
  }
  const ok = tEval <= 30;
  process.stdout.write(`\nevaluation (all kernels + baselines): ${tEval.toFixed(1)} s — ${ok ? 'PASS' : 'FAIL'} (target ≤ 30 s)\n`);
  if (!ok) process.exitCode = 1;
}

await main();
