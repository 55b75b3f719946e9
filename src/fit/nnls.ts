/**
 * Non-negative least squares for a handful of coefficients (the regression initialisation of
 * THEORY §2.4: spectrum of y on [1, spectra of φ]). With p ≤ ~8 regressors the exact answer is the
 * best unconstrained fit over all 2^p active sets whose coefficients are all ≥ 0.
 */
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
      const sol = solveSymmetric(A, b, k);
      if (!sol || sol.some((v) => v < 0 || !Number.isFinite(v))) continue;
      idx.forEach((j, r) => (beta[j] = sol[r]));
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

/** Solve A x = b for small symmetric A by Gaussian elimination with partial pivoting. */
export function solveSymmetric(Ain: Float64Array, bin: Float64Array, k: number): Float64Array | undefined {
  const A = Float64Array.from(Ain);
  const b = Float64Array.from(bin);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r * k + c]) > Math.abs(A[piv * k + c])) piv = r;
    if (Math.abs(A[piv * k + c]) < 1e-300) return undefined;
    if (piv !== c) {
      for (let j = 0; j < k; j++) [A[c * k + j], A[piv * k + j]] = [A[piv * k + j], A[c * k + j]];
      [b[c], b[piv]] = [b[piv], b[c]];
    }
    for (let r = c + 1; r < k; r++) {
      const f = A[r * k + c] / A[c * k + c];
      for (let j = c; j < k; j++) A[r * k + j] -= f * A[c * k + j];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(k);
  for (let r = k - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < k; j++) s -= A[r * k + j] * x[j];
    x[r] = s / A[r * k + r];
  }
  return x;
}
