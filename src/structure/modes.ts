/**
 * Low-rank modes (THEORY §1.3b): J = g Z/√N + (1/N) Σ_r m_r n_rᵀ. Only the product m nᵀ is
 * identified (m → mA, n → nA⁻ᵀ leaves it unchanged), so results are reported as canonical modes: the
 * SVD of B = m nᵀ/N, B = Σ_r s_r u_r v_rᵀ, with balanced loadings m_r = √(N s_r) u_r,
 * n_r = √(N s_r) v_r, ordered by s_r and signed so that Σ_i m_ir ≥ 0 (ties: the largest |m_ir| > 0).
 *
 * Loadings are stored column-major by mode: `m[r]` is the N-vector of mode r.
 */
import { symmetricEigen } from '../linalg/eigh.js';
import { choleskyFactor, dot } from '../linalg/small.js';
import type { Normal } from '../random.js';

export interface CanonicalModes {
  /** canonical input loadings, one N-vector per mode, strongest first */
  m: Float64Array[];
  /** canonical output (readout) loadings */
  n: Float64Array[];
  /** singular values s_r of m nᵀ/N */
  strength: number[];
  /** overlaps O_rs = n_rᵀ m_s / N (the R×R matrix whose eigenvalues are the outliers of J's spectrum) */
  overlaps: number[][];
}

/** Orthonormal basis of the span of the columns (modified Gram–Schmidt) and R with cols = Q R. */
export function orthonormalise(cols: readonly ArrayLike<number>[]): { Q: Float64Array[]; R: number[][] } {
  const k = cols.length;
  const Q: Float64Array[] = [];
  const R = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let c = 0; c < k; c++) {
    const v = Float64Array.from(cols[c]);
    for (let p = 0; p < Q.length; p++) {
      const r = dot(Q[p], v);
      R[p][c] = r;
      for (let i = 0; i < v.length; i++) v[i] -= r * Q[p][i];
    }
    const norm = Math.sqrt(dot(v, v));
    R[c][c] = norm;
    for (let i = 0; i < v.length; i++) v[i] = norm > 0 ? v[i] / norm : 0;
    Q.push(v);
  }
  return { Q, R };
}

/** SVD of a small k×k matrix (row-major arrays): C = U diag(s) Vᵀ, s descending. */
export function smallSvd(C: number[][]): { U: number[][]; s: number[]; V: number[][] } {
  const k = C.length;
  const CtC = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) for (let r = 0; r < k; r++) CtC[a * k + b] += C[r][a] * C[r][b];
  const eig = symmetricEigen(CtC, k, 'ml-matrix');
  const order = [...eig.values.keys()].sort((x, y) => eig.values[y] - eig.values[x]);
  const s = order.map((e) => Math.sqrt(Math.max(eig.values[e], 0)));
  const V = Array.from({ length: k }, (_, a) => order.map((e) => eig.vectors[a * k + e]));
  const U = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  order.forEach((_, c) => {
    for (let r = 0; r < k; r++) {
      let v = 0;
      for (let a = 0; a < k; a++) v += C[r][a] * V[a][c];
      U[r][c] = s[c] > 0 ? v / s[c] : r === c ? 1 : 0;
    }
  });
  return { U, s, V };
}

/**
 * Canonical modes of B = Σ_r m_r n_rᵀ / N (N: the normalisation, the network or recorded size). m and n
 * may have different lengths (a link between regions of different sizes); the overlaps nᵀm/N need both
 * on the same units and are left empty otherwise.
 */
export function canonicalModes(m: readonly ArrayLike<number>[], n: readonly ArrayLike<number>[], N: number): CanonicalModes {
  const R = m.length;
  if (R === 0) return { m: [], n: [], strength: [], overlaps: [] };
  const len = m[0].length;
  const lenN = n[0].length;
  const qm = orthonormalise(m);
  const qn = orthonormalise(n);
  // B = Qm Rm Rnᵀ Qnᵀ / N: the small core carries all of the SVD.
  const core = Array.from({ length: R }, (_, a) =>
    Array.from({ length: R }, (_, b) => {
      let v = 0;
      for (let r = 0; r < R; r++) v += qm.R[a][r] * qn.R[b][r];
      return v / N;
    }),
  );
  const { U, s, V } = smallSvd(core);
  const outM: Float64Array[] = [];
  const outN: Float64Array[] = [];
  for (let c = 0; c < R; c++) {
    const u = new Float64Array(len);
    const v = new Float64Array(lenN);
    for (let a = 0; a < R; a++) {
      for (let i = 0; i < len; i++) u[i] += qm.Q[a][i] * U[a][c];
      for (let i = 0; i < lenN; i++) v[i] += qn.Q[a][i] * V[a][c];
    }
    let sum = 0;
    let big = 0;
    for (let i = 0; i < len; i++) {
      sum += u[i];
      if (Math.abs(u[i]) > Math.abs(big)) big = u[i];
    }
    const sign = (Math.abs(sum) > 1e-9 * Math.sqrt(len) ? sum : big) < 0 ? -1 : 1;
    const scale = sign * Math.sqrt(N * s[c]);
    outM.push(u.map((x) => x * scale));
    outN.push(v.map((x) => x * scale));
  }
  const overlaps = len === lenN ? outN.map((nr) => outM.map((ms) => dot(nr, ms) / N)) : [];
  return { m: outM, n: outN, strength: s, overlaps };
}

/** Principal angles (degrees, ascending) between the spans of two sets of vectors. */
export function principalAngles(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number[] {
  const qa = orthonormalise(a).Q;
  const qb = orthonormalise(b).Q;
  const k = Math.min(qa.length, qb.length);
  if (k === 0) return [];
  // Singular values of QaᵀQb are the cosines.
  const C = qa.map((x) => qb.map((y) => dot(x, y)));
  const square = C.length === C[0].length ? C : C.length > C[0].length ? C.map((row) => [...row, ...new Array(C.length - row.length).fill(0)]) : [...C, ...Array.from({ length: C[0].length - C.length }, () => new Array(C[0].length).fill(0))];
  const { s } = smallSvd(square);
  return s.slice(0, k).map((c) => (Math.acos(Math.min(1, Math.max(-1, c))) * 180) / Math.PI).sort((x, y) => x - y);
}

/** Largest principal angle in degrees (0 for two empty spans). */
export function largestPrincipalAngle(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  const ang = principalAngles(a, b);
  return ang.length ? ang[ang.length - 1] : 0;
}

/**
 * Draw Gaussian loadings: per unit the 2R-vector (m_1..m_R, n_1..n_R) ~ N(0, Σ), Σ = `covariance`
 * (2R×2R, symmetric positive definite). Σ's m–n block is the expected overlap n_rᵀm_s/N.
 */
export function drawModes(N: number, covariance: number[][], normal: Normal): { m: Float64Array[]; n: Float64Array[] } {
  const L = choleskyLower(covariance);
  if (!L) throw new RangeError('the loading covariance is not positive definite');
  const K = covariance.length;
  const R = K / 2;
  const cols = Array.from({ length: K }, () => new Float64Array(N));
  const z = new Float64Array(K);
  for (let i = 0; i < N; i++) {
    for (let a = 0; a < K; a++) z[a] = normal();
    for (let a = 0; a < K; a++) {
      let v = 0;
      for (let b = 0; b <= a; b++) v += L[a][b] * z[b];
      cols[a][i] = v;
    }
  }
  return { m: cols.slice(0, R), n: cols.slice(R) };
}

/**
 * Lower Cholesky factor of a small symmetric matrix given as rows, or undefined when it is not
 * positive definite with some margin (every pivot > 1e-12 of its diagonal entry, so that a singular
 * loading covariance is refused rather than drawn from with a zero pivot).
 */
export function choleskyLower(A: number[][]): number[][] | undefined {
  const k = A.length;
  const L = choleskyFactor(Float64Array.from(A.flat()), k);
  if (!L) return undefined;
  for (let i = 0; i < k; i++) if (!(L[i * k + i] ** 2 > 1e-12 * Math.max(1, Math.abs(A[i][i])))) return undefined;
  return Array.from({ length: k }, (_, i) => Array.from(L.subarray(i * k, (i + 1) * k)));
}
