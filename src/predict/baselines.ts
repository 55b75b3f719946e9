/**
 * Model-free forecasting baselines, fitted on a training recording and pooled over units (like the
 * population kernels they are compared with), each as a LinearGaussianPredictor:
 *
 *  persistence  x̂(t+h) = x(t); Σ from the data's increment variances V_h = <(x(t+h) − x(t))²>:
 *               cov(x(t+i) − x(t), x(t+j) − x(t)) = (V_i + V_j − V_|i−j|)/2 for a stationary series.
 *  AR(p)        least squares on the lagged training data (p ≤ pMax, chosen by AIC on a common sample
 *               set); means by iterating the recursion, Σ = σ_e² Σ_k ψ_{i−k} ψ_{j−k} from the MA(∞)
 *               coefficients ψ.
 *  SE GP        kernel A·exp(−τ²/2ℓ²) + nugget·δ, with A and ℓ matched to the empirical autocovariance
 *               at lags ≥ 1 (least squares) and the nugget = C(0) − A (the rough part of the signal that
 *               the smooth kernel cannot carry; without it K_pp is numerically singular).
 */
import type { Recording } from '../recording/types.js';
import { choleskyInPlace, choleskySolve } from '../linalg/small.js';
import { gpPredictor, type LinearGaussianPredictor, type StationaryKernel } from './gaussian.js';
import { grandMeanOf } from './kernels.js';

export function persistencePredictor(train: Recording, context: number, horizon: number): LinearGaussianPredictor {
  const N = train.nUnits;
  const T = train.nSamples;
  if (T <= horizon) throw new RangeError(`persistence needs more than ${horizon} training samples, got ${T}`);
  const V = new Float64Array(horizon + 1);
  for (let h = 1; h <= horizon; h++) {
    let s = 0;
    for (let t = 0; t + h < T; t++) {
      const a = t * N;
      const b = (t + h) * N;
      for (let i = 0; i < N; i++) {
        const d = train.data[b + i] - train.data[a + i];
        s += d * d;
      }
    }
    V[h] = s / ((T - h) * N);
  }
  const weights = new Float64Array(horizon * context);
  for (let j = 0; j < horizon; j++) weights[j * context + context - 1] = 1;
  const covariance = new Float64Array(horizon * horizon);
  for (let i = 0; i < horizon; i++) for (let j = 0; j < horizon; j++) covariance[i * horizon + j] = (V[i + 1] + V[j + 1] - V[Math.abs(i - j)]) / 2;
  return { name: 'persistence', context, horizon, centre: 0, weights, covariance, firstColumn: context - 1, note: 'last value; variance from the training increments' };
}

export interface ArFit {
  p: number;
  coefficients: Float64Array; // a_1..a_p: x[t] = Σ a_k x[t−k] + e
  residualVariance: number;
  aic: number[];
  centre: number;
}

/** Pooled least-squares AR(p) for p = 1..pMax on the centred training data, p chosen by AIC. */
export function fitAr(train: Recording, pMax: number): ArFit {
  const N = train.nUnits;
  const T = train.nSamples;
  const q = pMax + 1;
  if (T <= 2 * q) throw new RangeError(`AR(${pMax}) needs more than ${2 * q} training samples, got ${T}`);
  const centre = grandMeanOf(train);
  // Cross-products S_kl = Σ x[t−k] x[t−l], k, l = 0..pMax, over t = pMax..T−1 (one sample set for all p).
  const S = new Float64Array(q * q);
  const v = new Float64Array(q);
  for (let i = 0; i < N; i++) {
    for (let t = pMax; t < T; t++) {
      for (let k = 0; k < q; k++) v[k] = train.data[(t - k) * N + i] - centre;
      for (let k = 0; k < q; k++) {
        const vk = v[k];
        for (let l = k; l < q; l++) S[k * q + l] += vk * v[l];
      }
    }
  }
  for (let k = 0; k < q; k++) for (let l = 0; l < k; l++) S[k * q + l] = S[l * q + k];
  const n = (T - pMax) * N;
  let best: ArFit | undefined;
  const aic: number[] = [];
  for (let p = 1; p <= pMax; p++) {
    const A = new Float64Array(p * p);
    const b = new Float64Array(p);
    for (let k = 0; k < p; k++) {
      b[k] = S[0 * q + k + 1];
      for (let l = 0; l < p; l++) A[k * p + l] = S[(k + 1) * q + l + 1];
    }
    if (!choleskyInPlace(A, p)) break;
    choleskySolve(A, p, b);
    // RSS = S00 − bᵀ a at the least-squares solution (normal equations)
    let rss = S[0];
    for (let k = 0; k < p; k++) rss -= b[k] * S[k + 1];
    const s2 = Math.max(rss / n, 1e-300);
    const crit = n * Math.log(s2) + 2 * p;
    aic.push(crit);
    if (!best || crit < Math.min(...aic.slice(0, -1))) best = { p, coefficients: b, residualVariance: s2, aic, centre };
  }
  if (!best) throw new RangeError('AR fit failed: the lagged training data are singular (constant series?)');
  return best;
}

/** The AR fit as a predictor: W rows from the recursion applied to unit vectors, Σ from ψ. */
export function arPredictor(ar: ArFit, context: number, horizon: number): LinearGaussianPredictor {
  const { p, coefficients: a } = ar;
  if (p > context) throw new RangeError(`AR(${p}) needs a context of at least ${p} samples, got ${context}`);
  const weights = new Float64Array(horizon * context);
  // state[c] = weight of past sample c in the value at position context + j (linear in the past)
  const rows: Float64Array[] = [];
  const unit = (c: number) => {
    const r = new Float64Array(context);
    r[c] = 1;
    return r;
  };
  const valueAt = (pos: number) => (pos < context ? unit(pos) : rows[pos - context]);
  for (let j = 0; j < horizon; j++) {
    const r = new Float64Array(context);
    for (let k = 1; k <= p; k++) {
      const prev = valueAt(context + j - k);
      for (let c = 0; c < context; c++) r[c] += a[k - 1] * prev[c];
    }
    rows.push(r);
    weights.set(r, j * context);
  }
  const psi = new Float64Array(horizon);
  psi[0] = 1;
  for (let j = 1; j < horizon; j++) for (let k = 1; k <= Math.min(p, j); k++) psi[j] += a[k - 1] * psi[j - k];
  const covariance = new Float64Array(horizon * horizon);
  for (let i = 0; i < horizon; i++) {
    for (let j = 0; j < horizon; j++) {
      let s = 0;
      for (let k = 0; k <= Math.min(i, j); k++) s += psi[i - k] * psi[j - k];
      covariance[i * horizon + j] = ar.residualVariance * s;
    }
  }
  return { name: 'ar', context, horizon, centre: ar.centre, weights, covariance, firstColumn: context - p, note: `AR(${p}) by AIC (p ≤ ${ar.aic.length}), residual variance ${ar.residualVariance.toPrecision(4)}` };
}

export interface SeFit {
  amplitude: number;
  length: number;
  nugget: number;
}

/** Match A·exp(−(k·dt)²/2ℓ²) to the empirical autocovariance at lags 1..L (A by least squares per ℓ). */
export function fitSquaredExponential(empirical: StationaryKernel): SeFit {
  const C = empirical.cov;
  const dt = empirical.dt;
  const L = C.length - 1;
  const sse = (ell: number): { A: number; f: number } => {
    let ce = 0;
    let ee = 0;
    for (let k = 1; k <= L; k++) {
      const e = Math.exp(-((k * dt) ** 2) / (2 * ell * ell));
      ce += C[k] * e;
      ee += e * e;
    }
    const A = Math.min(Math.max(ce / ee, 0), C[0]);
    let f = 0;
    for (let k = 1; k <= L; k++) f += (C[k] - A * Math.exp(-((k * dt) ** 2) / (2 * ell * ell))) ** 2;
    return { A, f };
  };
  // log grid, then golden-section refinement around the best grid point
  const lo = Math.log(dt / 4);
  const hi = Math.log(L * dt * 2);
  const G = 200;
  let bi = 0;
  let bf = Infinity;
  for (let i = 0; i <= G; i++) {
    const f = sse(Math.exp(lo + ((hi - lo) * i) / G)).f;
    if (f < bf) {
      bf = f;
      bi = i;
    }
  }
  let a = lo + ((hi - lo) * Math.max(bi - 1, 0)) / G;
  let b = lo + ((hi - lo) * Math.min(bi + 1, G)) / G;
  const r = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 60; it++) {
    const c = b - r * (b - a);
    const d = a + r * (b - a);
    if (sse(Math.exp(c)).f < sse(Math.exp(d)).f) b = d;
    else a = c;
  }
  const length = Math.exp((a + b) / 2);
  const { A } = sse(length);
  return { amplitude: A, length, nugget: Math.max(C[0] - A, 1e-6 * C[0]) };
}

export function squaredExponentialKernel(se: SeFit, dt: number, centre: number, maxLag: number): StationaryKernel {
  const cov = new Float64Array(maxLag + 1);
  for (let k = 0; k <= maxLag; k++) cov[k] = se.amplitude * Math.exp(-((k * dt) ** 2) / (2 * se.length * se.length));
  cov[0] += se.nugget;
  return { name: 'se_gp', dt, centre, cov, note: `A ${se.amplitude.toPrecision(4)}, ℓ ${se.length.toPrecision(4)}, nugget ${se.nugget.toPrecision(3)} (matched to the empirical autocovariance)` };
}

/** SE-GP baseline predictor from the empirical kernel of the training data. */
export function seGpPredictor(empirical: StationaryKernel, context: number, horizon: number): { predictor: LinearGaussianPredictor; fit: SeFit } {
  const fit = fitSquaredExponential(empirical);
  const k = squaredExponentialKernel(fit, empirical.dt, empirical.centre, context + horizon);
  return { predictor: gpPredictor(k, context, horizon), fit };
}
