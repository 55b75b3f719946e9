/**
 * Non-negative least squares for a handful of coefficients (the regression initialisation of
 * THEORY §2.4: spectrum of y on [1, spectra of φ]). With p ≤ ~8 regressors the exact answer is the
 * best unconstrained fit over all 2^p active sets whose coefficients are all ≥ 0.
 */
import { solveInPlace } from '../linalg/small.js';

export function nnls(X: Float64Array[], y: Float64Array, weights?: Float64Array): Float64Array {
  const p = X.length;
  if (p > 12) throw new RangeError('nnls: too many regressors for active-set enumeration');
  const n = y.length;
  const w = weights ?? new Float64Array(n).fill(1);
  let best = new Float64Array(p);
  let bestRss = Infinity;
  for (let mask = 0; mask < 1 << p; mask++) {
    const idx: number[] = [];
    for (let j = 0; j < p; j++) if (mask & (1 << j)) idx.push(j);
    const beta = new Float64Array(p);
    if (idx.length) {
      const k = idx.length;
      const A = new Float64Array(k * k);
      const b = new Float64Array(k);
      for (let r = 0; r < k; r++) {
        const xr = X[idx[r]];
        for (let t = 0; t < n; t++) b[r] += w[t] * xr[t] * y[t];
        for (let c = r; c < k; c++) {
          const xc = X[idx[c]];
          let s = 0;
          for (let t = 0; t < n; t++) s += w[t] * xr[t] * xc[t];
          A[r * k + c] = s;
          A[c * k + r] = s;
        }
      }
      if (!solveInPlace(A, b, k) || b.some((v) => v < 0)) continue;
      idx.forEach((j, r) => (beta[j] = b[r]));
    }
    let rss = 0;
    for (let t = 0; t < n; t++) {
      let f = 0;
      for (let j = 0; j < p; j++) f += beta[j] * X[j][t];
      rss += w[t] * (y[t] - f) ** 2;
    }
    if (rss < bestRss) {
      bestRss = rss;
      best = beta;
    }
  }
  return best;
}
