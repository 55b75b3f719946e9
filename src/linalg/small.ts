/**
 * Dense linear algebra for small matrices (R×R normal equations, GP conditioning, readout systems,
 * Newton and Levenberg–Marquardt steps), in float64, row-major. Lower triangular factors L are stored
 * in full n×n arrays (the strict upper triangle is zero).
 */

/** Σ_i a_i b_i over the length of a. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** g_eff = ‖J‖_F/√N of an N×N coupling matrix (THEORY §1.3c, §2.8); NaN entries give NaN. */
export function effectiveGain(J: ArrayLike<number>, N: number): number {
  return Math.sqrt(dot(J, J) / N);
}

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

/** Lower Cholesky factor of A (A unchanged), or undefined when A is not positive definite. */
export function choleskyFactor(A: Float64Array, n: number): Float64Array | undefined {
  const L = Float64Array.from(A);
  return choleskyInPlace(L, n) ? L : undefined;
}

/**
 * Cholesky factor of a symmetric positive definite matrix that may have lost definiteness to
 * round-off: a ridge of 1e-12·tr/n, growing ×100, is added until the factorisation succeeds.
 */
export function choleskyWithRidge(A: Float64Array, n: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += A[i * n + i];
  for (let attempt = 0, ridge = 0; attempt < 8; attempt++, ridge = ridge === 0 ? (1e-12 * trace) / n : ridge * 100) {
    const L = Float64Array.from(A);
    for (let i = 0; i < n; i++) L[i * n + i] += ridge;
    if (choleskyInPlace(L, n)) return L;
  }
  throw new RangeError('the system matrix is not positive definite');
}

/** Forward substitution: solve L y = b in place (L lower triangular). */
export function solveLower(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** Back substitution: solve Lᵀ x = b in place (L lower triangular). */
export function solveLowerTransposed(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** Inverse of a lower-triangular n×n matrix (lower triangular; rows by forward substitution). */
export function lowerTriangularInverse(L: Float64Array, n: number): Float64Array {
  const X = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    // row r of X: X[r, c] = (δ_rc − Σ_{k<r} L[r, k] X[k, c]) / L[r, r] for c ≤ r
    const xr = X.subarray(r * n, r * n + r + 1);
    for (let k = 0; k < r; k++) {
      const l = L[r * n + k];
      if (l === 0) continue;
      const xk = X.subarray(k * n, k * n + k + 1);
      for (let c = 0; c <= k; c++) xr[c] -= l * xk[c];
    }
    xr[r] += 1;
    const d = L[r * n + r];
    for (let c = 0; c <= r; c++) xr[c] /= d;
  }
  return X;
}

/** Solve L Lᵀ x = b in place for one right-hand side (L from choleskyInPlace). */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  solveLower(l, n, b);
  solveLowerTransposed(l, n, b);
}

/** x with A x = b for a symmetric A that may be only numerically positive definite (choleskyWithRidge). */
export function solveSpd(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const x = Float64Array.from(b);
  choleskySolve(choleskyWithRidge(A, n), n, x);
  return x;
}

/** Inverse of a symmetric positive definite matrix, or undefined when it is not positive definite. */
export function inverseSpd(A: Float64Array, n: number): Float64Array | undefined {
  const L = choleskyFactor(A, n);
  if (!L) return undefined;
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
  const L = choleskyFactor(A, n);
  if (!L) return Number.NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += 2 * Math.log(L[i * n + i]);
  return s;
}

/**
 * Solve a general A x = b in place (A overwritten by its LU factors, x in b) by Gaussian elimination
 * with partial pivoting; false when A is singular or the solution is not finite.
 */
export function solveInPlace(A: Float64Array, b: Float64Array, n: number): boolean {
  for (let k = 0; k < n; k++) {
    let p = k;
    let max = Math.abs(A[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(A[i * n + k]);
      if (v > max) {
        max = v;
        p = i;
      }
    }
    if (!(max > 1e-300)) return false;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = A[k * n + j];
        A[k * n + j] = A[p * n + j];
        A[p * n + j] = t;
      }
      const t = b[k];
      b[k] = b[p];
      b[p] = t;
    }
    const pivot = A[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const f = A[i * n + k] / pivot;
      if (f === 0) continue;
      A[i * n + k] = f;
      for (let j = k + 1; j < n; j++) A[i * n + j] -= f * A[k * n + j];
      b[i] -= f * b[k];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= A[i * n + j] * b[j];
    b[i] = s / A[i * n + i];
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(b[i])) return false;
  return true;
}

/** Product of two row-major R×R matrices. */
export function multiplySquare(A: Float64Array, B: Float64Array, R: number): Float64Array {
  const out = new Float64Array(R * R);
  for (let a = 0; a < R; a++) for (let c = 0; c < R; c++) {
    const v = A[a * R + c];
    for (let b = 0; b < R; b++) out[a * R + b] += v * B[c * R + b];
  }
  return out;
}

/** Transpose of a row-major R×R matrix. */
export function transposeSquare(A: Float64Array, R: number): Float64Array {
  return Float64Array.from({ length: R * R }, (_, q) => A[(q % R) * R + Math.floor(q / R)]);
}
