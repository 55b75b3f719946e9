/**
 * Benchmark: the predicting side of a fit through a calcium indicator. Each network (tanh, D 0.1 for g ≥ 1, 0.02 below) is
 * simulated through an indicator of decay T with white noise σ on the trace and fitted with
 * `--indicator-decay T`; then, on the trace:
 *  - the theory kernel with the indicator put back against the trace's autocovariance, and the network's x
 *    kernel plus σ² (the indicator left out) likewise: the largest difference in the variogram C(0) − C(k)
 *    over k ≤ 1 τ, in % of the data's at 1 τ. (The variogram, not C itself: networks of a few hundred units
 *    keep slow collective activity that raises C at every lag and that the theory averages out,
 *    src/report/predict.ts; it drops out of the short-lag variogram, where the indicator acts.) Also C(0)
 *    theory over data;
 *  - held-out forecasts (first half trains, second half scores; context 60, horizon 20, stride 5) of the
 *    theory kernel with and without the indicator, the empirical kernel and AR(p): mse/var, 95 % coverage
 *    and log predictive density per value;
 *  - PR_x of the trace: data (as measured, and extrapolated to T → ∞), theory "as recorded" at the fitted and
 *    at the true parameters, the network's x (theory, fitted).
 *
 *   node dist/bench/indicator-forecast.js [networks=3] [N=200] [settings=1.5:0.5,2:0.05,0.1;0.5:0.5,2:0.01,0.02]
 *
 * (settings g:decays:sigmas, ';'-separated; 20000 steps of 0.05 after 1000 of burn-in; seeds 1..networks.)
 */
import { initBackend } from '../src/backend.js';
import { fitRecording } from '../src/fit/fit.js';
import { buildFitFile } from '../src/fitfile/build.js';
import type { FitFile } from '../src/fitfile/schema.js';
import { evaluateSplit, sliceRecording } from '../src/predict/forecast.js';
import { empiricalKernel, theoryKernel } from '../src/predict/kernels.js';
import { indicatorPole } from '../src/model/indicator.js';
import { dimensionComparison } from '../src/report/predict.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';
import { participationRatioTheory } from '../src/theory/participation.js';

const mean = (x: number[]) => x.reduce((s, y) => s + y, 0) / x.length;
const range = (v: number[], d = 3) => `${mean(v).toFixed(d)} [${Math.min(...v).toFixed(d)}, ${Math.max(...v).toFixed(d)}]`;

/** The same fit with the indicator left out: the network's x kernel at the recorded step, plus σ² at lag 0. */
function withoutIndicator(file: FitFile): FitFile {
  const { indicator, ...model } = file.model;
  return { ...file, model, data: { ...file.data, dt: file.data.dt / (indicator?.block ?? 1) } };
}

async function main(): Promise<void> {
  const networks = Number(process.argv[2] ?? 3);
  const N = Number(process.argv[3] ?? 200);
  const settings = (process.argv[4] ?? '1.5:0.5,2:0.05,0.1;0.5:0.5,2:0.01,0.02').split(';').flatMap((part) => {
    const [g, decays, sigmas] = part.split(':');
    return decays.split(',').flatMap((T) => sigmas.split(',').map((s) => ({ g: Number(g), decay: Number(T), sigma: Number(s) })));
  });
  await initBackend('wasm');
  const dt = 0.05;
  const lags = Math.round(1 / dt);
  console.log(`indicator fits predicting traces: ${networks} networks of ${N} units per setting, 20000 steps of ${dt}; mean [min, max] over networks`);
  console.log('g    T    σ     | variogram vs trace over 1 τ, max |Δ| in % of the data\'s at 1 τ: with, without indicator; C(0) theory/data | forecast mse/var, cov95, lpd: theory | theory w/o indicator | empirical | AR | PR_x data, data at T → ∞, theory as recorded (fit, truth), theory of x (fit)');
  for (const { g, decay, sigma } of settings) {
    const D = g >= 1 ? 0.1 : 0.02;
    const r = { kd: [] as number[], kdx: [] as number[], c0: [] as number[], th: [] as number[][], tx: [] as number[][], em: [] as number[][], ar: [] as number[][], pr: [] as number[][] };
    for (let seed = 1; seed <= networks; seed++) {
      const sim = await simulate(iidNetwork({ N, g, D, phi: 'tanh' }), { dt, steps: 20000, burnIn: 1000, seed, obsNoise: sigma, indicatorDecay: decay });
      const rec = sim.recording;
      const fit = await fitRecording(rec, { phi: 'tanh', dt, indicatorDecay: decay });
      const file = buildFitFile(fit, rec, { command: 'bench', backend: 'wasm' });
      const bare = withoutIndicator(file);
      const data = empiricalKernel(rec, dt, lags);
      const d = data.cov;
      const maxDiff = (f: FitFile) => {
        const c = theoryKernel(f, dt, lags).cov;
        let m = 0;
        for (let k = 1; k <= lags; k++) m = Math.max(m, Math.abs(c[0] - c[k] - (d[0] - d[k])));
        return m / (d[0] - d[lags]);
      };
      r.kd.push(100 * maxDiff(file));
      r.kdx.push(100 * maxDiff(bare));
      r.c0.push(theoryKernel(file, dt, 0).cov[0] / d[0]);
      const cut = Math.floor(rec.nSamples / 2);
      const train = sliceRecording(rec, 0, cut);
      const test = sliceRecording(rec, cut, rec.nSamples);
      const opt = { context: 60, horizon: 20, stride: 5 };
      const full = await evaluateSplit(file, train, test, { ...opt, kernels: ['theory', 'empirical'], baselines: ['ar'] });
      const noInd = await evaluateSplit(bare, train, test, { ...opt, kernels: ['theory'], baselines: [] });
      const scores = (s: { mse_over_var: number; coverage95: number; lpd: number } | undefined) => [s!.mse_over_var, s!.coverage95, s!.lpd];
      r.th.push(scores(full.kernels.theory));
      r.em.push(scores(full.kernels.empirical));
      r.ar.push(scores(full.baselines.ar));
      r.tx.push(scores(noInd.kernels.theory));
      const dim = await dimensionComparison(file, rec, { simulationTime: 0 });
      // the data's PR extrapolated to T → ∞ (prFiniteSampleBias: bias_x = (PR − PR∞)/PR∞)
      // and the theory as recorded at the true g and D (the fit's own biases left out)
      const truth = participationRatioTheory({ phi: 'tanh', g, D, trace: { step: dt, pole: indicatorPole(decay, dt), noise2: sigma * sigma } }).pr_trace!;
      r.pr.push([dim.data!.pr_x, dim.data!.pr_x / (1 + dim.data!.bias_x), dim.theory.recorded!.pr_x!, truth, dim.theory.pr_x!]);
    }
    const col = (rows: number[][], j: number, d = 3) => range(rows.map((x) => x[j]), d);
    const three = (rows: number[][]) => `${mean(rows.map((x) => x[0])).toFixed(3)}, ${mean(rows.map((x) => x[1])).toFixed(3)}, ${mean(rows.map((x) => x[2])).toFixed(3)}`;
    console.log(
      `${String(g).padEnd(4)} ${String(decay).padEnd(4)} ${String(sigma).padEnd(5)} | ${range(r.kd, 1)} %, ${range(r.kdx, 1)} %; ${range(r.c0)} | ` +
        `${three(r.th)} | ${three(r.tx)} | ${three(r.em)} | ${three(r.ar)} | ${col(r.pr, 0, 4)}, ${col(r.pr, 1, 4)}, ${col(r.pr, 2, 4)} (${r.pr[0][3].toFixed(4)}), ${col(r.pr, 4, 4)}`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
