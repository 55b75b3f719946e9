/**
 * Held-out evaluation of LinearGaussianPredictors: slide windows of context + horizon samples over
 * every unit of a test recording and score each predicted value by its Gaussian marginal.
 *
 * Per predictor and per horizon step h (and pooled over h):
 *   mse            mean squared error
 *   mse_over_var   mean of err²/σ²_h (1 when the predicted variances are right)
 *   coverage50/95  fraction of values inside the central 50 % / 95 % interval (±0.6745σ / ±1.96σ)
 *   lpd            mean log predictive density log N(x; x̂, σ²_h) per predicted value
 *
 * A predictor is one for every unit, or one per population (a fit's theory kernels): a unit then takes
 * its population's (`groups`), and the scores pool all units as before.
 */
import type { Recording } from '../recording/types.js';
import { yieldToEventLoop } from '../util/yield.js';
import { Z50, Z95 } from '../statistics/normal.js';
import { marginalSd, predictWindow, type LinearGaussianPredictor } from './gaussian.js';

export interface ForecastScores {
  mse: number;
  mse_over_var: number;
  coverage50: number;
  coverage95: number;
  lpd: number;
  perHorizon: {
    /** h·dt */
    time: number[];
    predicted_var: number[];
    mse: number[];
    mse_over_var: number[];
    coverage50: number[];
    coverage95: number[];
    lpd: number[];
  };
  note: string;
}

/** One predictor for every unit, or one per population (index = population, `EvaluateOptions.groups`). */
export type UnitPredictors = LinearGaussianPredictor | readonly LinearGaussianPredictor[];

/** UnitPredictors as a list: of one (for every unit) or one per population. */
export function predictorList(p: UnitPredictors): readonly LinearGaussianPredictor[] {
  return Array.isArray(p) ? p : [p as LinearGaussianPredictor];
}

/** Which entry of a list of `length` predictors unit i takes: its population's, or the one for all. */
export function predictorIndex(length: number, groups: Int32Array, i: number): number {
  return length === 1 ? 0 : groups[i];
}

export interface EvaluateOptions {
  /** Population of each unit of the test recording (default: all 0); indexes per-population predictors. */
  groups?: Int32Array;
  /** Window step in samples (default 1). */
  stride?: number;
  dt?: number;
  onProgress?: (done: number, total: number) => void;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Score all predictors (same context and horizon) on every window of every unit of `test`. */
export async function evaluatePredictors(predictors: UnitPredictors[], test: Recording, opt: EvaluateOptions = {}): Promise<{ scores: Record<string, ForecastScores>; windows: number; values: number }> {
  if (predictors.length === 0) return { scores: {}, windows: 0, values: 0 };
  const lists = predictors.map(predictorList);
  const { context, horizon } = lists[0][0];
  for (const p of lists.flat()) if (p.context !== context || p.horizon !== horizon) throw new RangeError('all predictors must share context and horizon');
  const stride = opt.stride ?? 1;
  if (!(Number.isInteger(stride) && stride >= 1)) throw new RangeError(`stride must be a whole number ≥ 1, got ${stride}`);
  const T = test.nSamples;
  const N = test.nUnits;
  const groups = opt.groups ?? new Int32Array(N);
  if (groups.length !== N) throw new RangeError(`groups has ${groups.length} entries for ${N} units`);
  const span = context + horizon;
  if (T < span) throw new RangeError(`the evaluation data have ${T} samples, fewer than context + horizon = ${span}`);
  const starts = Math.floor((T - span) / stride) + 1;
  const P = predictors.length;
  const sds = lists.map((l) => l.map(marginalSd));
  const logNorms = sds.map((l) => l.map((s) => Array.from(s, (v) => -0.5 * LOG_2PI - Math.log(v))));
  // accumulators [predictor][h]
  const acc = (): Float64Array[] => predictors.map(() => new Float64Array(horizon));
  const sq = acc();
  const z2 = acc();
  const c50 = acc();
  const c95 = acc();
  const lp = acc();
  const vars = acc();
  const x = new Float64Array(T);
  const mean = new Float64Array(horizon);
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < T; t++) x[t] = test.data[t * N + i];
    for (let q = 0; q < P; q++) {
      const a = predictorIndex(lists[q].length, groups, i);
      const p = lists[q][a];
      const s = sds[q][a];
      const ln = logNorms[q][a];
      const aSq = sq[q], aZ = z2[q], a50 = c50[q], a95 = c95[q], aLp = lp[q];
      for (let h = 0; h < horizon; h++) vars[q][h] += s[h] * s[h];
      for (let w = 0; w < starts; w++) {
        const start = w * stride;
        predictWindow(p, x, start, mean);
        for (let h = 0; h < horizon; h++) {
          const e = x[start + context + h] - mean[h];
          const z = e / s[h];
          aSq[h] += e * e;
          aZ[h] += z * z;
          const az = Math.abs(z);
          if (az <= Z50) a50[h]++;
          if (az <= Z95) a95[h]++;
          aLp[h] += ln[h] - 0.5 * z * z;
        }
      }
    }
    opt.onProgress?.(i + 1, N);
    await yieldToEventLoop();
  }
  const count = starts * N;
  const dt = opt.dt ?? test.dt ?? 1;
  const scores: Record<string, ForecastScores> = {};
  const avg = (a: Float64Array) => a.reduce((u, v) => u + v, 0) / (count * horizon);
  const per = (a: Float64Array) => Array.from(a, (v) => v / count);
  lists.forEach((l, q) => {
    scores[l[0].name] = {
      mse: avg(sq[q]),
      mse_over_var: avg(z2[q]),
      coverage50: avg(c50[q]),
      coverage95: avg(c95[q]),
      lpd: avg(lp[q]),
      perHorizon: {
        time: Array.from({ length: horizon }, (_, h) => (h + 1) * dt),
        predicted_var: Array.from(vars[q], (v) => v / N), // (the units' mean: per population it differs)
        mse: per(sq[q]),
        mse_over_var: per(z2[q]),
        coverage50: per(c50[q]),
        coverage95: per(c95[q]),
        lpd: per(lp[q]),
      },
      note: [...new Set(l.map((p) => p.note))].join(' | '),
    };
  });
  return { scores, windows: starts, values: count * horizon };
}
