/**
 * Gaussian-process prediction with a stationary kernel on a regular sampling grid (THEORY §3.1).
 *
 * For a window of `context` past samples x_p and the next `horizon` samples x_f of one unit,
 *   mean  x̂_f = c + W (x_p − c),   W = K_fp K_pp⁻¹
 *   cov   Σ_f = K_ff − W K_pf
 * with K_ab = C(|t_a − t_b|). W and Σ_f depend only on the kernel, so they are computed once and
 * every unit and window is then a matrix–vector product: a `LinearGaussianPredictor`. The baselines
 * (persistence, AR) are predictors of the same form, so one evaluator serves all.
 */
import { choleskyInPlace, choleskySolve } from '../linalg/small.js';

/** A stationary covariance C(k·dt), k = 0..L, about a constant mean `centre` (data units). */
export interface StationaryKernel {
  name: string;
  dt: number;
  centre: number;
  /** C(k·dt), k = 0..L. */
  cov: Float64Array;
  /** How the kernel was obtained (solver, discretisation, fitted hyper-parameters). */
  note: string;
}

/** x̂_f = centre + W (x_p − centre), x_f ~ N(x̂_f, covariance); past samples oldest first. */
export interface LinearGaussianPredictor {
  name: string;
  context: number;
  horizon: number;
  centre: number;
  /** W, horizon × context row-major: row j is the target j+1 steps after the last past sample. */
  weights: Float64Array;
  /** Σ_f, horizon × horizon row-major. */
  covariance: Float64Array;
  /** First column of W that is not identically zero (AR and persistence use only the latest samples). */
  firstColumn: number;
  /** Diagonal jitter added to K_pp (GP predictors), relative to C(0). */
  jitter?: number;
  note: string;
}


const JITTER = 1e-9;
const MAX_JITTER = 1e-3;

/**
 * Condition the kernel on `context` past samples to predict the next `horizon` jointly. The jitter
 * starts at 1e-9·C(0) (THEORY §3.1) and grows tenfold while K_pp is not numerically positive
 * definite (smooth kernels, empirical estimates), up to 1e-3·C(0).
 */
export function gpPredictor(kernel: StationaryKernel, context: number, horizon: number): LinearGaussianPredictor {
  const C = kernel.cov;
  if (!(context >= 1 && horizon >= 1)) throw new RangeError(`context and horizon must be ≥ 1, got ${context}, ${horizon}`);
  if (C.length < context + horizon) throw new RangeError(`kernel '${kernel.name}' has ${C.length} lags, needs ${context + horizon}`);
  if (!(C[0] > 0)) throw new RangeError(`kernel '${kernel.name}' has C(0) = ${C[0]} (not a covariance)`);
  const n = context;
  let chol: Float64Array | undefined;
  let jitter = JITTER;
  for (; jitter <= MAX_JITTER * 1.0001; jitter *= 10) {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = C[Math.abs(i - j)];
    for (let i = 0; i < n; i++) a[i * n + i] += jitter * C[0];
    if (choleskyInPlace(a, n)) {
      chol = a;
      break;
    }
  }
  if (!chol) throw new RangeError(`kernel '${kernel.name}' is not positive definite on ${context} samples even with jitter ${MAX_JITTER}·C(0)`);
  const weights = new Float64Array(horizon * n);
  const kpf = new Float64Array(horizon * n); // row j: C(t_{n+j} − t_i), i = 0..n−1
  const row = new Float64Array(n);
  for (let j = 0; j < horizon; j++) {
    for (let i = 0; i < n; i++) row[i] = C[n + j - i];
    kpf.set(row, j * n);
    choleskySolve(chol, n, row);
    weights.set(row, j * n);
  }
  const covariance = new Float64Array(horizon * horizon);
  for (let j = 0; j < horizon; j++) {
    for (let l = 0; l < horizon; l++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += weights[j * n + i] * kpf[l * n + i];
      covariance[j * horizon + l] = C[Math.abs(j - l)] - s;
    }
  }
  return {
    name: kernel.name,
    context,
    horizon,
    centre: kernel.centre,
    weights,
    covariance,
    firstColumn: 0,
    jitter,
    note: kernel.note,
  };
}

/** Predictive means of one window: out[j] = centre + Σ_i W_ji (x[start+i] − centre). */
export function predictWindow(p: LinearGaussianPredictor, x: ArrayLike<number>, start: number, out: Float64Array): void {
  const { context: n, horizon, weights, centre, firstColumn } = p;
  for (let j = 0; j < horizon; j++) {
    let s = 0;
    const w = j * n;
    for (let i = firstColumn; i < n; i++) s += weights[w + i] * (x[start + i] - centre);
    out[j] = centre + s;
  }
}

/** Marginal predictive standard deviations sqrt(Σ_f,jj). */
export function marginalSd(p: LinearGaussianPredictor): Float64Array {
  const sd = new Float64Array(p.horizon);
  for (let j = 0; j < p.horizon; j++) sd[j] = Math.sqrt(Math.max(p.covariance[j * p.horizon + j], 0));
  return sd;
}
