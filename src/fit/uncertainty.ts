/**
 * Uncertainty from the curvature of the loss at the optimum (observed information): the Hessian of the
 * negative log-likelihood in θ by central differences of the autodiff gradient, its inverse as the
 * Laplace/asymptotic covariance, and the delta method for every reported quantity. Positive quantities
 * get intervals on the log scale (they cannot cross zero).
 */
import { Matrix, inverse, EigenvalueDecomposition } from 'ml-matrix';
import type { ValueAndGradient } from './lbfgs.js';
import { Z95 } from '../statistics/normal.js';

export interface Estimate {
  value: number;
  se: number;
  ci95: [number, number];
}


/** Hessian of `scale·f` at x by central differences of the gradient (symmetrised). */
export function hessian(fg: (x: Float64Array) => ValueAndGradient, x: Float64Array, scale: number, step = 5e-3): Float64Array[] {
  const n = x.length;
  const H = Array.from({ length: n }, () => new Float64Array(n));
  for (let j = 0; j < n; j++) {
    const h = step * Math.max(1, Math.abs(x[j]));
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[j] += h;
    xm[j] -= h;
    const gp = fg(xp).g;
    const gm = fg(xm).g;
    for (let i = 0; i < n; i++) H[i][j] = ((gp[i] - gm[i]) / (2 * h)) * scale;
  }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (H[i][j] + H[j][i]);
      H[i][j] = v;
      H[j][i] = v;
    }
  return H;
}

export interface Covariance {
  matrix: Float64Array[];
  /** false when the Hessian was not positive definite (a saddle, or a flat direction whose inverse is not a variance). */
  positiveDefinite: boolean;
  smallestEigenvalue: number;
  largestEigenvalue: number;
}

/**
 * Eigenvalues below this fraction of the largest |λ| are numerically zero (a finite-difference Hessian
 * of a float32 loss): the pseudo-inverse leaves those directions out and marks them unidentified.
 */
const FLAT_EIGENVALUE = 1e-10;

/** M⁻¹ when it is a covariance (finite positive variances), else undefined (numerically singular M). */
function covarianceInverse(M: Matrix): Matrix | undefined {
  let inv: Matrix;
  try {
    inv = inverse(M);
  } catch {
    return undefined; // exactly singular
  }
  for (let i = 0; i < M.rows; i++) if (!(inv.get(i, i) > 0 && Number.isFinite(inv.get(i, i)))) return undefined;
  return inv;
}

export function covarianceFromHessian(H: Float64Array[]): Covariance {
  const n = H.length;
  if (n === 0) return { matrix: [], positiveDefinite: true, smallestEigenvalue: Infinity, largestEigenvalue: -Infinity };
  const M = new Matrix(H.map((r) => Array.from(r)));
  const eig = new EigenvalueDecomposition(M, { assumeSymmetric: true });
  const ev = eig.realEigenvalues;
  const minEv = Math.min(...ev);
  const maxEv = Math.max(...ev);
  const flat = FLAT_EIGENVALUE * Math.max(...ev.map(Math.abs));
  // λ_min > 0 can be round-off on a flat direction (e.g. log D at its floor): the inverse then has
  // variances of any sign and size (−2e14 seen), or LU finds the matrix singular
  const inv = minEv > 0 && Number.isFinite(minEv) ? covarianceInverse(M) : undefined;
  const positiveDefinite = inv !== undefined;
  let cov: Matrix;
  if (inv) cov = inv;
  else {
    // Pseudo-inverse over the curved directions; flat directions get infinite variance below.
    const V = eig.eigenvectorMatrix;
    cov = Matrix.zeros(n, n);
    ev.forEach((l, k) => {
      if (l > flat) {
        const v = V.getColumnVector(k);
        cov.add(v.mmul(v.transpose()).mul(1 / l));
      }
    });
  }
  const matrix = Array.from({ length: n }, (_, i) => Float64Array.from(cov.getRow(i)));
  if (!positiveDefinite) {
    // Mark the non-identified directions: parameters loading on them get NaN variance.
    const V = eig.eigenvectorMatrix;
    ev.forEach((l, k) => {
      if (!(l > flat)) for (let i = 0; i < n; i++) if (Math.abs(V.get(i, k)) > 1e-3) matrix[i][i] = Number.NaN;
    });
    for (let i = 0; i < n; i++) if (!(matrix[i][i] > 0)) matrix[i][i] = Number.NaN; // never a variance ≤ 0
  }
  return { matrix, positiveDefinite, smallestEigenvalue: minEv, largestEigenvalue: maxEv };
}

/** Gradient of a scalar function of θ by central differences (float64, analytic maps only). */
export function numericGradient(q: (x: Float64Array) => number, x: Float64Array, step = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const h = step * Math.max(1, Math.abs(x[j]));
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[j] += h;
    xm[j] -= h;
    g[j] = (q(xp) - q(xm)) / (2 * h);
  }
  return g;
}

export interface DerivedQuantity {
  name: string;
  fn: (theta: Float64Array) => number;
  positive: boolean;
}

/** Delta-method estimates and the correlation matrix of the derived quantities. */
export function deltaMethod(quantities: DerivedQuantity[], theta: Float64Array, cov: Float64Array[]) {
  const grads = quantities.map((q) => numericGradient(q.fn, theta));
  const n = theta.length;
  const covQ = quantities.map((_, a) =>
    quantities.map((__, b) => {
      let s = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += grads[a][i] * cov[i][j] * grads[b][j];
      return s;
    }),
  );
  const estimates: Record<string, Estimate> = {};
  quantities.forEach((q, a) => {
    const value = q.fn(theta);
    const se = Math.sqrt(Math.max(covQ[a][a], 0));
    let ci95: [number, number];
    if (!Number.isFinite(se)) ci95 = [Number.NaN, Number.NaN];
    else if (q.positive && value > 0) {
      const sl = se / value;
      ci95 = [value * Math.exp(-Z95 * sl), value * Math.exp(Z95 * sl)];
    } else ci95 = [value - Z95 * se, value + Z95 * se];
    estimates[q.name] = { value, se: Number.isFinite(covQ[a][a]) ? se : Number.NaN, ci95 };
  });
  const correlation = covQ.map((row, a) => row.map((v, b) => v / Math.sqrt(covQ[a][a] * covQ[b][b])));
  return { estimates, correlation, names: quantities.map((q) => q.name) };
}

/**
 * Hessian of a float64 objective by central second differences of its values (for losses that have
 * a float64 reference evaluator: far more accurate than differences of float32 autodiff gradients).
 */
export function hessianFromValues(f: (x: Float64Array) => number, x: Float64Array, step = 1e-3): Float64Array[] {
  const n = x.length;
  const h = Array.from(x, (v) => step * Math.max(1, Math.abs(v)));
  const at = (d: [number, number][]) => {
    const y = Float64Array.from(x);
    for (const [i, s] of d) y[i] += s * h[i];
    return f(y);
  };
  const f0 = f(x);
  const H = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    H[i][i] = (at([[i, 1]]) - 2 * f0 + at([[i, -1]])) / (h[i] * h[i]);
    for (let j = 0; j < i; j++) {
      const v = (at([[i, 1], [j, 1]]) - at([[i, 1], [j, -1]]) - at([[i, -1], [j, 1]]) + at([[i, -1], [j, -1]])) / (4 * h[i] * h[j]);
      H[i][j] = v;
      H[j][i] = v;
    }
  }
  return H;
}
