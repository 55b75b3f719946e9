/**
 * Bayesian forecasting of recorded units from a fit file (THEORY §3): checks the recording against the
 * fit, builds the kernel GP predictors and the baselines, forecasts beyond the end of the data, and
 * evaluates everything on held-out windows.
 */
import { InputError } from '../errors.js';
import { fitFilePath, type FitFile } from '../fitfile/schema.js';
import type { Recording } from '../recording/types.js';
import { checkDataScale } from '../statistics/scale.js';
import { arPredictor, fitAr, persistencePredictor, seGpPredictor } from './baselines.js';
import { evaluatePredictors, predictorIndex, predictorList, type ForecastScores, type UnitPredictors } from './evaluate.js';
import { Z95 } from '../statistics/normal.js';
import { gpPredictor, marginalSd, predictWindow, type LinearGaussianPredictor, type StationaryKernel } from './gaussian.js';
import {
  empiricalKernel, kernelsFor, magnetisedBranch, pluginKernel, recordedStep, stepMultiple, theoryKernels, unitPopulations, type KernelName, type TheoryKernelOptions,
} from './kernels.js';
import { evaluateNetworkEnsemble } from './network.js';

export type BaselineName = 'persistence' | 'ar' | 'se_gp';
export const BASELINE_NAMES: readonly BaselineName[] = ['persistence', 'ar', 'se_gp'];

/** Samples [start, end) of a recording, every `every`-th one (dt scales accordingly). */
export function sliceRecording(rec: Recording, start: number, end: number, every = 1): Recording {
  const N = rec.nUnits;
  const T = Math.floor((end - start - 1) / every) + 1;
  if (!(start >= 0 && end <= rec.nSamples && T >= 1)) throw new RangeError(`bad slice [${start}, ${end}) of ${rec.nSamples} samples`);
  const data = new Float64Array(T * N);
  for (let t = 0; t < T; t++) data.set(rec.data.subarray((start + t * every) * N, (start + t * every + 1) * N), t * N);
  const time = rec.time ? Float64Array.from({ length: T }, (_, t) => rec.time![start + t * every]) : undefined;
  return { ...rec, data, nSamples: T, dt: rec.dt === undefined ? undefined : rec.dt * every, time };
}

/** True when `names` are u0, u1, … — what a recording without unit names (CSV --no-header, .npy) gets. */
export function areDefaultUnitNames(names: readonly string[]): boolean {
  return names.every((name, i) => name === `u${i}`);
}

/**
 * The data step, after checking units, unit names, step and scale (checkDataScale, in model units)
 * against the fit (InputError naming the field). Unit names are compared position by position unless
 * the recording's are the default names u0, u1, …: those are what a file without names gets, and say
 * nothing about which units it holds.
 */
export function checkAgainstFit(fit: FitFile, rec: Recording, fitPath = fitFilePath(fit) ?? 'fit file'): number {
  if (rec.nUnits !== fit.data.units) {
    throw new InputError(`the recording has ${rec.nUnits} units but the fit was made on ${fit.data.units} (${fitPath}: data.units)`, { field: 'data.units' });
  }
  const fitNames = fit.data.unitNames;
  if (!areDefaultUnitNames(rec.unitNames)) {
    const differ: number[] = [];
    for (let i = 0; i < rec.nUnits; i++) if (rec.unitNames[i] !== fitNames[i]) differ.push(i);
    if (differ.length) {
      const show = differ.slice(0, 3).map((i) => `unit ${i + 1}: '${rec.unitNames[i]}' in the recording, '${fitNames[i]}' in the fit`);
      const more = differ.length > 3 ? `, and ${differ.length - 3} more` : '';
      throw new InputError(
        `the recording's unit names differ from the fit's at ${differ.length} of ${rec.nUnits} units (${show.join('; ')}${more}); ` +
          `expected the units the fit was made on, in the same order (${fitPath}: data.unitNames)`,
        { field: 'data.unitNames' },
      );
    }
  }
  const dt = rec.dt;
  if (dt === undefined || !(dt > 0)) throw new InputError('the sampling interval of the recording is unknown: give --dt (or a time column)', { field: '--dt' });
  const step = recordedStep(fit);
  if (stepMultiple(dt, step) === undefined) {
    const blocks = step === fit.data.dt ? '' : `, the recorded step of a fit over blocks of ${fit.model.indicator?.block} samples of ${fit.data.dt}`;
    throw new InputError(`the recording's step ${dt} is not a whole multiple of the fit's step ${step} (${fitPath}: data.dt${blocks}); the fitted g and D refer to that step`, { field: 'data.dt' });
  }
  // the fitted network (its φ, kernels and PR) describes activity of order one in the fit's units
  const { offset, scale } = fit.model.natural;
  checkDataScale(rec, `give a recording in the units the fit was made on (${fitPath})`, { offset, scale });
  return dt;
}

export interface PredictorOptions {
  context: number;
  horizon: number;
  kernels?: readonly KernelName[];
  baselines?: readonly BaselineName[];
  /** Largest AR order (default 20). */
  arMaxOrder?: number;
  theory?: TheoryKernelOptions;
}

export interface Predictors {
  /** Per kernel, one predictor for every unit or, for a population fit's theory kernels, one per population. */
  kernels: Partial<Record<KernelName, LinearGaussianPredictor[]>>;
  baselines: Partial<Record<BaselineName, LinearGaussianPredictor>>;
  /** The kernels themselves, C(k·dt) for k = 0..context+horizon (as `kernels`: one, or one per population). */
  kernelValues: Partial<Record<KernelName, StationaryKernel[]>>;
  /** The fit's populations and each unit's (index into names; all 0 for one population). */
  populations: { names: string[]; groups: Int32Array };
  info: { ar?: { p: number; residualVariance: number }; se_gp?: { amplitude: number; length: number; nugget: number } };
}

/**
 * GP predictors for the requested kernels and the baselines. `train` (sampled at the forecast step)
 * supplies the data-driven kernels and fits the baselines; the theory kernel needs only the fit.
 */
export function buildPredictors(fit: FitFile, train: Recording, opt: PredictorOptions): Predictors {
  const { context, horizon } = opt;
  const dt = train.dt;
  if (dt === undefined) throw new InputError('the sampling interval is unknown: give --dt', { field: '--dt' });
  const L = context + horizon;
  const kernels = opt.kernels ?? kernelsFor(fit);
  const baselines = opt.baselines ?? [];
  const names = fit.data.populations.map((p) => p.name);
  const out: Predictors = { kernels: {}, baselines: {}, kernelValues: {}, populations: { names, groups: new Int32Array(train.nUnits) }, info: {} };
  let empirical: StationaryKernel | undefined;
  const getEmpirical = () => (empirical ??= empiricalKernel(train, dt, L));
  for (const name of kernels) {
    const k = name === 'theory' ? theoryKernels(fit, dt, L, { branch: magnetisedBranch(fit, train), ...opt.theory }) : name === 'plugin' ? [pluginKernel(fit, train, dt, L)] : [getEmpirical()];
    out.kernelValues[name] = k;
    out.kernels[name] = k.map((c) => gpPredictor(c, context, horizon));
    // membership only where a kernel is per population (a multiregion fit, say, lists none)
    if (k.length > 1) out.populations.groups = unitPopulations(fit);
  }
  for (const name of baselines) {
    if (name === 'persistence') out.baselines.persistence = persistencePredictor(train, context, horizon);
    else if (name === 'ar') {
      const ar = fitAr(train, Math.min(opt.arMaxOrder ?? 20, context));
      out.baselines.ar = arPredictor(ar, context, horizon);
      out.info.ar = { p: ar.p, residualVariance: ar.residualVariance };
    } else {
      const se = seGpPredictor(getEmpirical(), context, horizon);
      out.baselines.se_gp = se.predictor;
      out.info.se_gp = se.fit;
    }
  }
  return out;
}

export interface UnitForecast {
  /** Times of the predicted samples (after the last sample of the data). */
  time: number[];
  /** mean[i][h] for unit i, h = 0..horizon−1. */
  mean: Float64Array[];
  /** sd[i][h]: marginal predictive standard deviation of unit i (the same for every unit of one population). */
  sd: Float64Array[];
}

/**
 * Forecast the `horizon` samples after the end of `rec` for every unit from its last `context` samples,
 * with one predictor for all units or one per population (`groups`: each unit's).
 */
export function forecastUnits(predictors: UnitPredictors, rec: Recording, groups: Int32Array = new Int32Array(rec.nUnits)): UnitForecast {
  const list = predictorList(predictors);
  const { context, horizon } = list[0];
  const T = rec.nSamples;
  const N = rec.nUnits;
  if (T < context) throw new InputError(`the recording has ${T} samples, fewer than --context ${context}`, { field: '--context' });
  const dt = rec.dt ?? 1;
  const tLast = rec.time ? rec.time[T - 1] : (T - 1) * dt;
  const x = new Float64Array(context);
  const mean: Float64Array[] = [];
  const sd: Float64Array[] = [];
  const sds = list.map(marginalSd);
  for (let i = 0; i < N; i++) {
    const a = predictorIndex(list.length, groups, i);
    for (let t = 0; t < context; t++) x[t] = rec.data[(T - context + t) * N + i];
    const m = new Float64Array(horizon);
    predictWindow(list[a], x, 0, m);
    mean.push(m);
    sd.push(sds[a]);
  }
  return { time: Array.from({ length: horizon }, (_, h) => tLast + (h + 1) * dt), mean, sd };
}

/** Long-format CSV rows: unit,time,step,mean,sd,lower95,upper95. */
export function* forecastCsv(f: UnitForecast, unitNames: string[]): Generator<string> {
  yield 'unit,time,step,mean,sd,lower95,upper95\n';
  for (let i = 0; i < f.mean.length; i++) {
    let s = '';
    for (let h = 0; h < f.time.length; h++) {
      const m = f.mean[i][h];
      const sd = f.sd[i][h];
      s += `${unitNames[i]},${f.time[h]},${h + 1},${m},${sd},${m - Z95 * sd},${m + Z95 * sd}\n`;
    }
    yield s;
  }
}

/**
 * The scores of an evaluation as long-format CSV rows kind,predictor,step,time,predicted_var,mse,
 * mse_over_var,coverage50,coverage95,lpd: one row per kernel or baseline and horizon step (the
 * report's overall scores are their means over the steps).
 */
export function* evaluationCsv(r: EvaluationReport): Generator<string> {
  yield 'kind,predictor,step,time,predicted_var,mse,mse_over_var,coverage50,coverage95,lpd\n';
  const groups: [string, Partial<Record<string, ForecastScores>>][] = [['kernel', r.kernels], ['baseline', r.baselines]];
  for (const [kind, scores] of groups) {
    for (const [name, v] of Object.entries(scores)) {
      if (!v) continue;
      const p = v.perHorizon;
      let s = '';
      for (let h = 0; h < p.time.length; h++) {
        s += `${kind},${name},${h + 1},${p.time[h]},${p.predicted_var[h]},${p.mse[h]},${p.mse_over_var[h]},${p.coverage50[h]},${p.coverage95[h]},${p.lpd[h]}\n`;
      }
      yield s;
    }
  }
}

export interface EvaluationOptions extends PredictorOptions {
  /** Fraction of the samples (from the start) that trains the data-driven kernels and baselines. */
  trainFraction?: number;
  stride?: number;
  /** Also score the network-aware ensemble (THEORY §3.3): `members` sampled networks on `windows` windows. */
  network?: { members: number; windows: number; seed: number };
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface EvaluationReport {
  kernels: Partial<Record<KernelName | 'network', ForecastScores>>;
  baselines: Partial<Record<BaselineName, ForecastScores>>;
  setup: {
    context: number;
    horizon: number;
    dt: number;
    stride: number;
    units: number;
    trainSamples: number;
    testSamples: number;
    windows: number;
    values: number;
  };
  info: Predictors['info'];
}

/**
 * Whether a recording of `nSamples` can be split for evaluation: the data-driven kernels estimate
 * context + horizon lags from the training part (more than twice as many samples), and the test part
 * holds at least one window.
 */
export function canEvaluateForecast(nSamples: number, context: number, horizon: number, trainFraction = 0.5): boolean {
  const cut = Math.floor(nSamples * trainFraction);
  return cut > 2 * (context + horizon) && nSamples - cut >= context + horizon;
}

/** Split `rec` into train/test, build all predictors and score them on the test part. */
export async function evaluateForecast(fit: FitFile, rec: Recording, opt: EvaluationOptions): Promise<EvaluationReport> {
  const frac = opt.trainFraction ?? 0.5;
  if (!(frac > 0 && frac < 1)) throw new InputError(`the training fraction must be in (0, 1), got ${frac}`, { field: '--train-fraction' });
  const cut = Math.floor(rec.nSamples * frac);
  const span = opt.context + opt.horizon;
  if (!canEvaluateForecast(rec.nSamples, opt.context, opt.horizon, frac)) {
    throw new InputError(
      `the recording has ${rec.nSamples} samples: the evaluation needs a training part (the first ${frac} of them, ${cut}) of more than ` +
        `2 × (context + horizon) = ${2 * span} samples and a test part of at least ${span}; give a longer recording, or lower --context or --horizon`,
      { field: '--data' },
    );
  }
  const train = sliceRecording(rec, 0, cut);
  const test = sliceRecording(rec, cut, rec.nSamples);
  const report = await evaluateSplit(fit, train, test, opt);
  const net = opt.network;
  if (net && net.members > 0) {
    report.kernels.network = await evaluateNetworkEnsemble(fit, train, test, {
      horizon: opt.horizon, members: net.members, windows: net.windows, seed: net.seed, onProgress: (d, t) => opt.onProgress?.('network ensemble', d, t),
    });
  }
  return report;
}

/** Build predictors on `train`, score them on `test` (both sampled at the forecast step). */
export async function evaluateSplit(fit: FitFile, train: Recording, test: Recording, opt: EvaluationOptions): Promise<EvaluationReport> {
  opt.onProgress?.('kernels', 0, 1);
  const preds = buildPredictors(fit, train, {
    ...opt,
    baselines: opt.baselines ?? BASELINE_NAMES,
    theory: { ...opt.theory, onProgress: opt.theory?.onProgress ?? ((d, t) => opt.onProgress?.('theory kernel', d, t)) },
  });
  const all = [...Object.values(preds.kernels), ...Object.values(preds.baselines)];
  const stride = opt.stride ?? 1;
  const r = await evaluatePredictors(all, test, { groups: preds.populations.groups, stride, dt: test.dt, onProgress: (d, t) => opt.onProgress?.('evaluate', d, t) });
  const pick = <K extends string>(names: K[]): Partial<Record<K, ForecastScores>> => Object.fromEntries(names.map((n) => [n, r.scores[n]])) as Partial<Record<K, ForecastScores>>;
  return {
    kernels: pick(Object.keys(preds.kernels) as KernelName[]),
    baselines: pick(Object.keys(preds.baselines) as BaselineName[]),
    setup: {
      context: opt.context,
      horizon: opt.horizon,
      dt: test.dt ?? 1,
      stride,
      units: test.nUnits,
      trainSamples: train.nSamples,
      testSamples: test.nSamples,
      windows: r.windows,
      values: r.values,
    },
    info: preds.info,
  };
}
