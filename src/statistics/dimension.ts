/**
 * Dimension of activity and of coupling matrices.
 *
 * - Participation ratio of a recording (THEORY §5.1, normalised by N as in §0.2):
 *   PR = (Σ λ)² / (N Σ λ²), λ the eigenvalues of the equal-time covariance (time-averaged, means
 *   removed) of x or of φ(x); dimension = PR·N.
 * - Finite-sample bias by subsampling time (§5.5): PR of contiguous halves and quarters, linear
 *   extrapolation in 1/T to T → ∞ (of PR, and of 1/PR, the form of the leading-order bias).
 * - Spectrum statistics of a coupling matrix (§2.8, §1.3c): ĝ, Ĵ0, g_eff, PR_S and the effective rank
 *   α·PR_D = PR_S / (1 − 2 PR_S).
 */
import { nonlinearity, type PhiName } from '../nonlinearity.js';
import type { Recording } from '../recording/types.js';
import { symmetricEigen } from '../linalg/eigh.js';
import { checkDataScale, rangeScale, scaled } from './scale.js';

const PR_PHI_REMEDY = 'rescale the data (PR_φ depends on the units of x)';

export interface ParticipationRatioOptions {
  /** Use correlations instead of covariances (each unit scaled to unit variance). Default false. */
  zscore?: boolean;
  /** 'x': the recorded signal; 'phi': φ applied to it sample by sample. */
  of: 'x' | 'phi';
  /** Nonlinearity for of = 'phi' (default tanh). */
  phi?: PhiName;
}

export interface ParticipationRatioResult {
  of: 'x' | 'phi';
  zscore: boolean;
  nUnits: number;
  nSamples: number;
  /** (Σλ)² / (N Σλ²) ∈ (0, 1]. */
  pr: number;
  /** PR·N. */
  dimension: number;
  /** Covariance eigenvalues, descending. */
  eigenvalues: Float64Array;
}

export interface BiasLevel {
  /** Number of contiguous segments the recording was cut into (1, 2, 4). */
  segments: number;
  samplesPerSegment: number;
  /** Mean PR over the segments. */
  pr: number;
}

export interface PrBiasEstimate {
  levels: BiasLevel[];
  /** PR of the full recording. */
  prFull: number;
  /**
   * PR at T → ∞: 1/PR extrapolated linearly in 1/T to 1/T = 0 (least squares over the levels). That is the
   * leading-order form of the bias: each off-diagonal Ĉ_ij² gains Var Ĉ_ij ∝ 1/T, so
   * 1/PR̂ ≈ 1/PR + N·τ₂/T (τ₂ = ∫(C(τ)/C(0))²dτ per sample time). It matters when the bias is large (PR
   * near 1, N·τ₂ comparable to T): PR_x of tanh g 0.5, D 0.05, N 1000, 8001 samples at 0.5 τ: full 0.693,
   * this 0.871, PR linear in 1/T 0.766, theory 0.866 (bench/pr-vs-sim.ts). Higher orders matter when the
   * correction is large: slow chaotic activity cut into short windows (g 1.5, D 0.1, N 200, 50 τ each,
   * raw −12 % against 2000 τ) comes out +20 % (PR linear in 1/T −2 %); see LARGE_PR_BIAS.
   */
  prInfinite: number;
  /** PR itself extrapolated linearly in 1/T (agrees with prInfinite when the bias is small). */
  prInfiniteLinear: number;
  /** prFull − prInfinite. */
  bias: number;
  /** bias / prInfinite. */
  relativeBias: number;
  /** dPR / d(1/T_samples). */
  slope: number;
}

/** |relative bias| above which the T → ∞ value is only indicative (the levels are far from linear). */
export const LARGE_PR_BIAS = 0.2;

/** The signal whose covariance is analysed: x, or φ(x), time-major T × N. */
function signalOf(rec: Recording, opts: ParticipationRatioOptions): Float64Array {
  if (opts.of === 'x') return rec.data;
  // PR_x is scale-invariant, PR_φ is not: far from order one φ(x) is only a sign or the identity
  checkDataScale(rec, PR_PHI_REMEDY);
  const f = nonlinearity(opts.phi ?? 'tanh').f;
  const out = new Float64Array(rec.data.length);
  for (let k = 0; k < out.length; k++) out[k] = f(rec.data[k]);
  return out;
}

/**
 * The signal times s = 2^k (src/statistics/scale.ts), s = 1 unless its largest |value| is beyond 2^±64,
 * where covariances (squares) and Σλ² (fourth powers) would overflow or underflow. The PR is
 * scale-invariant; covariance eigenvalues are divided by s² afterwards.
 */
function scaledSignalOf(rec: Recording, opts: ParticipationRatioOptions): { data: Float64Array; s: number } {
  const signal = signalOf(rec, opts);
  const s = rangeScale(signal);
  return { data: scaled(signal, s), s };
}

/** Raw moments of samples about a fixed centre c: their count, Σ(x−c) and Σ(x−c)(x−c)ᵀ (full, symmetric). */
export interface TimeMoments {
  n: number;
  s1: Float64Array;
  s2: Float64Array;
}

/**
 * Moments of samples [t0, t1) of a time-major (T × N) array about `centre` (zero if omitted; a centre
 * near the mean keeps float64 sums accurate). The upper triangle is accumulated four centred rows per
 * pass (a quarter of the loads and stores of s2), then mirrored: at N = 1000 and 250 rows this takes
 * ~0.12 s against ~1 s for a tfjs-wasm matMul of the same shape, which matters because the
 * effective-rank calibration computes it for every simulated network.
 */
export function timeMoments(data: ArrayLike<number>, N: number, t0: number, t1: number, centre?: ArrayLike<number>): TimeMoments {
  const s1 = new Float64Array(N);
  const s2 = new Float64Array(N * N);
  const rows = new Float64Array(4 * N);
  for (let t = t0; t < t1; t += 4) {
    const k = Math.min(4, t1 - t);
    for (let r = 0; r < 4; r++)
      for (let i = 0; i < N; i++) {
        const v = r < k ? data[(t + r) * N + i] - (centre ? centre[i] : 0) : 0; // zero rows pad the tail
        rows[r * N + i] = v;
        s1[i] += v;
      }
    for (let i = 0; i < N; i++) {
      const v0 = rows[i];
      const v1 = rows[N + i];
      const v2 = rows[2 * N + i];
      const v3 = rows[3 * N + i];
      const row = i * N;
      for (let j = i; j < N; j++) s2[row + j] += v0 * rows[j] + v1 * rows[N + j] + v2 * rows[2 * N + j] + v3 * rows[3 * N + j];
    }
  }
  for (let i = 0; i < N; i++) for (let j = 0; j < i; j++) s2[i * N + j] = s2[j * N + i];
  return { n: t1 - t0, s1, s2 };
}

/** Moments of the union of segments (same centre), with multiplicity. */
export function sumMoments(parts: readonly TimeMoments[]): TimeMoments {
  const s1 = new Float64Array(parts[0].s1.length);
  const s2 = new Float64Array(parts[0].s2.length);
  let n = 0;
  for (const p of parts) {
    for (let i = 0; i < s1.length; i++) s1[i] += p.s1[i];
    for (let q = 0; q < s2.length; q++) s2[q] += p.s2[q];
    n += p.n;
  }
  return { n, s1, s2 };
}

/**
 * Least-squares line y = y∞ + slope·x through the points, evaluated at x = 0: the 1/T extrapolation of
 * a finite-sample statistic (x = 1/T per level, §5.5).
 */
export function extrapolateToZero(xs: readonly number[], ys: readonly number[]): { atZero: number; slope: number } {
  const mx = xs.reduce((a, v) => a + v, 0) / xs.length;
  const my = ys.reduce((a, v) => a + v, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < xs.length; k++) {
    sxy += (xs[k] - mx) * (ys[k] - my);
    sxx += (xs[k] - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { atZero: my - slope * mx, slope };
}

/** Full symmetric covariance (1/n normalisation, means removed) from moments; correlation if zscore. */
export function covarianceFromMoments(m: TimeMoments, N: number, zscore = false): Float64Array {
  const C = new Float64Array(N * N);
  const mu = new Float64Array(N);
  for (let i = 0; i < N; i++) mu[i] = m.s1[i] / m.n;
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) C[i * N + j] = m.s2[i * N + j] / m.n - mu[i] * mu[j];
  if (zscore) {
    const s = new Float64Array(N);
    for (let i = 0; i < N; i++) s[i] = C[i * N + i] > 0 ? 1 / Math.sqrt(C[i * N + i]) : 0;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) C[i * N + j] *= s[i] * s[j];
  }
  return C;
}

/** PR = (tr C)² / (N tr C²) of a covariance by the trace identity tr C² = Σ_ij C_ij² (= Σλ², no eigendecomposition). */
export function prByTraces(C: Float64Array, N: number): number {
  let tr = 0;
  let tr2 = 0;
  for (let i = 0; i < N; i++) tr += C[i * N + i];
  for (let k = 0; k < C.length; k++) tr2 += C[k] * C[k];
  return tr2 > 0 ? (tr * tr) / (N * tr2) : NaN;
}

function prOfEigenvalues(values: ArrayLike<number>, N: number): number {
  let s1 = 0;
  let s2 = 0;
  for (let k = 0; k < values.length; k++) {
    s1 += values[k];
    s2 += values[k] * values[k];
  }
  return s2 > 0 ? (s1 * s1) / (N * s2) : NaN;
}

function centreOf(data: Float64Array, T: number, N: number): Float64Array {
  const c = new Float64Array(N);
  for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) c[i] += data[t * N + i];
  for (let i = 0; i < N; i++) c[i] /= T;
  return c;
}

function checkRecording(rec: Recording, min: number): void {
  if (rec.nUnits < 1) throw new RangeError('the recording has no units');
  if (rec.nSamples < min) throw new RangeError(`need at least ${min} samples, the recording has ${rec.nSamples}`);
}

/**
 * Participation ratio of the equal-time covariance of x or φ(x). Call `await prepareEigensolver()`
 * beforehand for LAPACK speed at large N.
 */
export function participationRatio(rec: Recording, opts: ParticipationRatioOptions): ParticipationRatioResult {
  checkRecording(rec, 2);
  const N = rec.nUnits;
  const T = rec.nSamples;
  const { data, s } = scaledSignalOf(rec, opts);
  const m = timeMoments(data, N, 0, T, centreOf(data, T, N));
  const zscore = opts.zscore ?? false;
  const C = covarianceFromMoments(m, N, zscore);
  const values = symmetricEigen(C, N).values.slice().reverse();
  const pr = prOfEigenvalues(values, N);
  if (s !== 1 && !zscore) for (let k = 0; k < N; k++) values[k] /= s * s;
  return { of: opts.of, zscore: opts.zscore ?? false, nUnits: N, nSamples: T, pr, dimension: pr * N, eigenvalues: values };
}

/**
 * Finite-sample bias of the PR by subsampling time (THEORY §5.5): PR of the full recording, of its two
 * contiguous halves and of its four quarters (means removed per segment, PR averaged over segments),
 * fitted linearly in 1/T and extrapolated to 1/T = 0. Needs at least 8 samples.
 */
export function prFiniteSampleBias(rec: Recording, opts: ParticipationRatioOptions): PrBiasEstimate {
  checkRecording(rec, 8);
  const N = rec.nUnits;
  const T = rec.nSamples;
  const zscore = opts.zscore ?? false;
  const { data } = scaledSignalOf(rec, opts);
  const centre = centreOf(data, T, N);
  // Quarter boundaries; halves and the full recording are sums of quarters (one pass over the data).
  const b = [0, 1, 2, 3, 4].map((q) => Math.round((q * T) / 4));
  const quarters = [0, 1, 2, 3].map((q) => timeMoments(data, N, b[q], b[q + 1], centre));
  const halves = [sumMoments(quarters.slice(0, 2)), sumMoments(quarters.slice(2))];
  const full = sumMoments(halves);
  const level = (segs: TimeMoments[]): BiasLevel => {
    const prs = segs.map((s) => prByTraces(covarianceFromMoments(s, N, zscore), N));
    const samples = segs.reduce((a, s) => a + s.n, 0) / segs.length;
    return { segments: segs.length, samplesPerSegment: samples, pr: prs.reduce((a, v) => a + v, 0) / prs.length };
  };
  const levels = [level([full]), level(halves), level(quarters)];
  // Least squares 1/PR = 1/PR∞ + c · (1/T_seg), and PR = PR∞' + slope · (1/T_seg).
  const invT = levels.map((l) => 1 / l.samplesPerSegment);
  const inverse = extrapolateToZero(invT, levels.map((l) => 1 / l.pr));
  const { atZero: prInfiniteLinear, slope } = extrapolateToZero(invT, levels.map((l) => l.pr));
  const prInfinite = 1 / inverse.atZero;
  const prFull = levels[0].pr;
  const bias = prFull - prInfinite;
  return { levels, prFull, prInfinite, prInfiniteLinear, bias, relativeBias: bias / prInfinite, slope };
}

export interface MatrixSpectrumStats {
  N: number;
  /** ĝ = sqrt(N · Var(J_ij)). */
  g: number;
  /** Ĵ0 = N · mean(J_ij). */
  J0: number;
  /** ‖J‖_F / √N. */
  g_eff: number;
  /** (Σ s²)² / (N Σ s⁴), s the singular values of J. */
  pr_s: number;
  /** α·PR_D = PR_S / (1 − 2 PR_S) when PR_S < 1/2, else null (i.i.d.-like: unbounded). */
  effective_rank: number | null;
  /** Largest singular value (when the eigendecomposition was run). */
  s_max: number | null;
  /** 'eigen' (squared singular values from symmetricEigen of JᵀJ) or 'traces' (tr JᵀJ, ‖JᵀJ‖_F²). */
  method: 'eigen' | 'traces';
}

/** Largest N for which the singular values are computed by eigendecomposition of JᵀJ. */
export const MAX_EIGEN_N = 1100;

/** Below this fraction of non-zero couplings JᵀJ is accumulated row by row, skipping the zeros. */
const SPARSE_GRAM_DENSITY = 0.1;

/** JᵀJ of a mostly zero J: each row's outer product added to the upper triangle (zeros skipped), mirrored. */
function gramSparse(J: ArrayLike<number>, N: number): Float64Array {
  const A = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    const r = i * N;
    for (let k = 0; k < N; k++) {
      const v = J[r + k];
      if (v === 0) continue;
      const row = k * N;
      for (let l = k; l < N; l++) A[row + l] += v * J[r + l];
    }
  }
  for (let k = 0; k < N; k++) for (let l = k + 1; l < N; l++) A[l * N + k] = A[k * N + l];
  return A;
}

/**
 * JᵀJ of a dense J as dot products of its columns, 4 × 4 entries per pass over 8 columns (Jᵀ padded to
 * a multiple of 4 rows with zeros). The row-by-row update sweeps all of A once per row of J, which at
 * N = 2000 (a 32 MB A) is memory-bound: 21–27 s against 2.4–5.4 s for this on the shared 2-core machine
 * (0.54 s against 2.8 s at N = 1000). Same sums in the same order as the row-by-row update: same bits.
 */
function gramDense(J: ArrayLike<number>, N: number): Float64Array {
  const M = 4 * Math.ceil(N / 4);
  const Jt = new Float64Array(M * N); // Jt[k·N + i] = J[i, k]
  for (let i = 0; i < N; i++) for (let k = 0; k < N; k++) Jt[k * N + i] = J[i * N + k];
  const A = new Float64Array(M * M);
  for (let k = 0; k < M; k += 4) {
    const x0 = k * N;
    const x1 = x0 + N;
    const x2 = x1 + N;
    const x3 = x2 + N;
    for (let l = k; l < M; l += 4) {
      const y0 = l * N;
      const y1 = y0 + N;
      const y2 = y1 + N;
      const y3 = y2 + N;
      let a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
      let a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
      for (let i = 0; i < N; i++) {
        const u0 = Jt[x0 + i], u1 = Jt[x1 + i], u2 = Jt[x2 + i], u3 = Jt[x3 + i];
        const v0 = Jt[y0 + i], v1 = Jt[y1 + i], v2 = Jt[y2 + i], v3 = Jt[y3 + i];
        a00 += u0 * v0; a01 += u0 * v1; a02 += u0 * v2; a03 += u0 * v3;
        a10 += u1 * v0; a11 += u1 * v1; a12 += u1 * v2; a13 += u1 * v3;
        a20 += u2 * v0; a21 += u2 * v1; a22 += u2 * v2; a23 += u2 * v3;
        a30 += u3 * v0; a31 += u3 * v1; a32 += u3 * v2; a33 += u3 * v3;
      }
      const tile = [a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33];
      for (let p = 0; p < 4; p++)
        for (let q = 0; q < 4; q++) {
          A[(k + p) * M + l + q] = tile[4 * p + q];
          A[(l + q) * M + k + p] = tile[4 * p + q];
        }
    }
  }
  if (M === N) return A;
  const out = new Float64Array(N * N);
  for (let k = 0; k < N; k++) out.set(A.subarray(k * M, k * M + N), k * N);
  return out;
}

/**
 * Spectrum statistics of a square coupling matrix J (row-major N×N), THEORY §2.8. Squared singular
 * values are the eigenvalues of JᵀJ (symmetricEigen) for N ≤ MAX_EIGEN_N; above that only the traces
 * Σs² = tr JᵀJ and Σs⁴ = ‖JᵀJ‖_F² are used (same PR_S, no s_max).
 */
export function matrixSpectrumStats(J: ArrayLike<number>, N: number): MatrixSpectrumStats {
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`N must be a positive integer, got ${N}`);
  if (J.length !== N * N) throw new RangeError(`J must have N² = ${N * N} entries, got ${J.length}`);
  // Entries beyond 2^±64 are scaled by a power of two first (exact; Σ J², JᵀJ and Σ s⁴ would overflow
  // or underflow), ĝ, Ĵ0, g_eff and s_max unscaled at the end; PR_S is scale-invariant.
  const scale = rangeScale(J);
  if (scale !== 1) {
    const r = matrixSpectrumStats(Float64Array.from(J, (v) => v * scale), N);
    const un = (v: number) => v / scale;
    return { ...r, g: un(r.g), J0: un(r.J0), g_eff: un(r.g_eff), s_max: r.s_max === null ? null : un(r.s_max) };
  }
  let sum = 0;
  let sum2 = 0;
  let nonzero = 0;
  for (let k = 0; k < N * N; k++) {
    sum += J[k];
    sum2 += J[k] * J[k];
    if (J[k] !== 0) nonzero++;
  }
  const mean = sum / (N * N);
  const variance = Math.max(0, sum2 / (N * N) - mean * mean);
  const A = nonzero < SPARSE_GRAM_DENSITY * N * N ? gramSparse(J, N) : gramDense(J, N);
  let s2sum = 0;
  let s4sum = 0;
  let sMax: number | null = null;
  let method: 'eigen' | 'traces';
  if (N <= MAX_EIGEN_N) {
    const ev = symmetricEigen(A, N).values;
    for (let k = 0; k < N; k++) {
      const e = Math.max(0, ev[k]);
      s2sum += e;
      s4sum += e * e;
    }
    sMax = Math.sqrt(Math.max(0, ev[N - 1]));
    method = 'eigen';
  } else {
    for (let k = 0; k < N; k++) s2sum += A[k * N + k];
    for (let k = 0; k < A.length; k++) s4sum += A[k] * A[k];
    method = 'traces';
  }
  const prS = s4sum > 0 ? (s2sum * s2sum) / (N * s4sum) : NaN;
  return {
    N,
    g: Math.sqrt(N * variance),
    J0: N * mean,
    g_eff: Math.sqrt(sum2 / N),
    pr_s: prS,
    effective_rank: prS < 0.5 ? prS / (1 - 2 * prS) : null,
    s_max: sMax,
    method,
  };
}
