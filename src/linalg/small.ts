/**
 * Dense linear algebra for small symmetric positive definite matrices (R×R normal equations, GP
 * conditioning, readout systems), in float64, row-major.
 */

/** In-place lower Cholesky factor of a symmetric n×n row-major matrix; false if not positive definite. */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

/** Solve L Lᵀ x = b in place for one right-hand side (L from choleskyInPlace). */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * b[k];
    b[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** Inverse of a symmetric positive definite matrix, or undefined when it is not positive definite. */
export function inverseSpd(A: Float64Array, n: number): Float64Array | undefined {
  const L = Float64Array.from(A);
  if (!choleskyInPlace(L, n)) return undefined;
  const out = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    e.fill(0);
    e[c] = 1;
    choleskySolve(L, n, e);
    for (let r = 0; r < n; r++) out[r * n + c] = e[r];
  }
  return out;
}

/** log det of a symmetric positive definite matrix (NaN when it is not positive definite). */
export function logDetSpd(A: Float64Array, n: number): number {
  const L = Float64Array.from(A);
  if (!choleskyInPlace(L, n)) return Number.NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += 2 * Math.log(L[i * n + i]);
  return s;
}
