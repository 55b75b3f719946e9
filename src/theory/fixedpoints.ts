/**
 * Fixed points of the noiseless rate network ẋ = −x + Jφ(x) (THEORY §8): damped Newton on
 * F(x) = −x + Jφ(x) with a backtracking line search on q(x) = ½|F|², run from many random starts
 * (and optional supplied points), de-duplicated; for each fixed point the shell radius (x*ᵀx*) / N, the
 * spectrum of the Jacobian −I + J diag(φ'(x*)) and its number of unstable directions.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { nonlinearity, type Nonlinearity, type PhiName } from '../nonlinearity.js';
import { normalGenerator } from '../random.js';
import { solveDelta0 } from './dmft.js';
import { solveInPlace } from '../linalg/small.js';

export interface FixedPointOptions {
  /** Row-major couplings, J[i*N + j] = J_ij. */
  J: Float64Array;
  N: number;
  phi: PhiName | Nonlinearity;
  /** Number of random starts (default 200). */
  starts?: number;
  /** Seed of the random starts (default 1). */
  seed?: number;
  /** Convergence tolerance on |F|∞ (default 1e-10). */
  tol?: number;
  /** Extra starting points (each of length N). */
  points?: ArrayLike<number>[];
  /**
   * Variance of the random starts (default: the DMFT Δ0 for g² = N·mean(J_ij²), at least 1); each
   * start uses this scaled by a random factor in [0.1, 1.5] to sample several shells.
   */
  startVariance?: number;
  /** Newton iterations per start (default 200). */
  maxIter?: number;
  /** Add −x* for each fixed point found (odd φ; default true). */
  mirror?: boolean;
  /** Also start from x = 0 (default true). */
  includeOrigin?: boolean;
  /** Starts per trajectory chain: one random point, then chain − 1 points along its trajectory (default 4). */
  chain?: number;
  /** Time between trajectory starts of a chain (default 2). */
  trajectoryGap?: number;
  /** Compute Jacobian spectra (default true). */
  spectra?: boolean;
  /**
   * Called after every Newton start and every Jacobian spectrum: work done and total so far (the total
   * grows once the fixed points, each needing an N³ spectrum, are known).
   */
  onProgress?: (done: number, total: number) => void;
}

export interface FixedPoint {
  x: Float64Array;
  /** (x*ᵀx*) / N. */
  shell: number;
  /** |F(x*)|∞. */
  residual: number;
  /** φ'(x*). */
  gains: Float64Array;
  /** Eigenvalues of −I + J diag(φ'(x*)) (empty when spectra: false). */
  eigenReal: Float64Array;
  eigenImag: Float64Array;
  /** Number of eigenvalues with Re λ > 0 (NaN when spectra: false). */
  unstable: number;
  /** Number of starts that converged here. */
  hits: number;
}

export interface FixedPointResult {
  N: number;
  fixedPoints: FixedPoint[];
  starts: number;
  converged: number;
  startVariance: number;
}

/** F(x) = −x + Jφ(x); fills phiX and dphi. */
function residual(J: Float64Array, N: number, phi: Nonlinearity, x: Float64Array, F: Float64Array, phiX: Float64Array): void {
  for (let j = 0; j < N; j++) phiX[j] = phi.f(x[j]);
  for (let i = 0; i < N; i++) {
    let s = 0;
    const row = i * N;
    for (let j = 0; j < N; j++) s += J[row + j] * phiX[j];
    F[i] = s - x[i];
  }
}

function normInf(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (a > m || Number.isNaN(a)) m = a;
  }
  return m;
}

function half2(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return 0.5 * s;
}

/** Jacobian −I + J diag(φ'(x)), row-major. */
export function fixedPointJacobian(J: Float64Array, N: number, phi: Nonlinearity, x: ArrayLike<number>): Float64Array {
  const A = new Float64Array(N * N);
  const d = new Float64Array(N);
  for (let j = 0; j < N; j++) d[j] = phi.df(x[j]);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) A[i * N + j] = J[i * N + j] * d[j];
    A[i * N + i] -= 1;
  }
  return A;
}

/**
 * Damped Newton from x0 (modified in place): returns the point when |F|∞ < tol, otherwise null.
 * The Newton step is a descent direction of q = ½|F|² wherever the Jacobian is regular.
 */
export function newtonFixedPoint(
  J: Float64Array,
  N: number,
  phi: Nonlinearity,
  x0: ArrayLike<number>,
  tol = 1e-10,
  maxIter = 200,
): Float64Array | null {
  const x = Float64Array.from(x0);
  const F = new Float64Array(N);
  const phiX = new Float64Array(N);
  const step = new Float64Array(N);
  const trial = new Float64Array(N);
  const Ft = new Float64Array(N);
  const A = new Float64Array(N * N);
  residual(J, N, phi, x, F, phiX);
  let q = half2(F);
  // q every `window` iterations: give up when it has not halved over a window (stuck near a
  // non-zero local minimum of q, where the Jacobian is nearly singular and steps are tiny)
  const window = 15;
  let qCheck = q;
  for (let it = 0; it < maxIter; it++) {
    if (it > 0 && it % window === 0) {
      if (q > 0.5 * qCheck) return null;
      qCheck = q;
    }
    if (normInf(F) < tol) {
      // one polishing step for accuracy, kept only if it does not hurt
      polish(J, N, phi, x, F, phiX, A, step, trial, Ft);
      return normInf(F) < tol ? x : null;
    }
    for (let i = 0; i < N; i++) {
      const row = i * N;
      for (let j = 0; j < N; j++) A[row + j] = J[row + j] * phi.df(x[j]);
      A[row + i] -= 1;
      step[i] = -F[i];
    }
    if (!solveInPlace(A, step, N)) return null;
    // backtracking (Armijo on q; directional derivative of q along the Newton step is −2q)
    let t = 1;
    let accepted = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < N; i++) trial[i] = x[i] + t * step[i];
      residual(J, N, phi, trial, Ft, phiX);
      const qt = half2(Ft);
      if (Number.isFinite(qt) && qt <= (1 - 1e-4 * 2 * t) * q) {
        accepted = true;
        x.set(trial);
        F.set(Ft);
        q = qt;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) return normInf(F) < tol ? x : null;
  }
  return normInf(F) < tol ? x : null;
}

function polish(
  J: Float64Array,
  N: number,
  phi: Nonlinearity,
  x: Float64Array,
  F: Float64Array,
  phiX: Float64Array,
  A: Float64Array,
  step: Float64Array,
  trial: Float64Array,
  Ft: Float64Array,
): void {
  for (let i = 0; i < N; i++) {
    const row = i * N;
    for (let j = 0; j < N; j++) A[row + j] = J[row + j] * phi.df(x[j]);
    A[row + i] -= 1;
    step[i] = -F[i];
  }
  if (!solveInPlace(A, step, N)) return;
  for (let i = 0; i < N; i++) trial[i] = x[i] + step[i];
  residual(J, N, phi, trial, Ft, phiX);
  if (normInf(Ft) <= normInf(F)) {
    x.set(trial);
    F.set(Ft);
  }
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Jacobian eigenvalues at x (general real matrix). */
export function jacobianSpectrum(J: Float64Array, N: number, phi: Nonlinearity, x: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
  const A = fixedPointJacobian(J, N, phi, x);
  const rows: number[][] = [];
  for (let i = 0; i < N; i++) rows.push(Array.from(A.subarray(i * N, (i + 1) * N)));
  const e = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: false });
  return { re: Float64Array.from(e.realEigenvalues), im: Float64Array.from(e.imaginaryEigenvalues) };
}

export function findFixedPoints(opt: FixedPointOptions): FixedPointResult {
  const { J, N } = opt;
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`N must be a positive integer, got ${N}`);
  if (J.length !== N * N) throw new RangeError(`J must have N² = ${N * N} entries, got ${J.length}`);
  const phi = typeof opt.phi === 'string' ? nonlinearity(opt.phi) : opt.phi;
  const starts = opt.starts ?? 200;
  if (!Number.isInteger(starts) || starts < 0) throw new RangeError(`starts must be a whole number >= 0, got ${starts}`);
  const tol = opt.tol ?? 1e-10;
  const maxIter = opt.maxIter ?? 200;
  const mirror = opt.mirror ?? true;
  const spectra = opt.spectra ?? true;
  let startVariance = opt.startVariance;
  if (startVariance === undefined) {
    let s2 = 0;
    for (let k = 0; k < J.length; k++) s2 += J[k] * J[k];
    const gEst = Math.sqrt(s2 / N);
    let d0 = 0;
    try {
      d0 = solveDelta0(phi.name, gEst);
    } catch {
      d0 = 0;
    }
    startVariance = Math.max(1, d0);
  }
  if (!(startVariance > 0)) throw new RangeError(`startVariance must be > 0, got ${startVariance}`);
  const normal = normalGenerator(opt.seed ?? 1);
  const dedup = 1e-6 * Math.sqrt(N);
  const found: { x: Float64Array; hits: number }[] = [];
  const add = (x: Float64Array, hit: boolean): void => {
    for (const f of found) {
      if (distance(f.x, x) < dedup) {
        if (hit) f.hits++;
        return;
      }
    }
    found.push({ x, hits: hit ? 1 : 0 });
  };
  let converged = 0;
  let done = 0;
  let total = (opt.points?.length ?? 0) + ((opt.includeOrigin ?? true) ? 1 : 0) + starts;
  const tick = () => opt.onProgress?.(++done, total);
  const tryStart = (x0: ArrayLike<number>): void => {
    const x = newtonFixedPoint(J, N, phi, x0, tol, maxIter);
    if (x) {
      converged++;
      add(x, true);
    }
    tick();
  };
  for (const p of opt.points ?? []) {
    if (p.length !== N) throw new RangeError(`start points must have length N = ${N}, got ${p.length}`);
    tryStart(p);
  }
  if (opt.includeOrigin ?? true) tryStart(new Float64Array(N));
  // Starts come in chains: a random point, then points further along the trajectory of
  // ẋ = −x + Jφ(x) from it (Euler, dt 0.1, `trajectoryGap` time units apart), which pass near
  // fixed points far more often than random points do (THEORY §8 numerics).
  const chain = Math.max(1, opt.chain ?? 4);
  const gapSteps = Math.max(1, Math.round((opt.trajectoryGap ?? 2) / 0.1));
  const x0 = new Float64Array(N);
  const drive = new Float64Array(N);
  const phiX = new Float64Array(N);
  for (let s = 0; s < starts; s++) {
    if (s % chain === 0) {
      // scale factor in [0.1, 1.5] from a normal draw (logistic squashing)
      const u = 1 / (1 + Math.exp(-1.7 * normal()));
      const sd = Math.sqrt(startVariance * (0.1 + 1.4 * u));
      for (let i = 0; i < N; i++) x0[i] = sd * normal();
    } else {
      for (let k = 0; k < gapSteps; k++) {
        residual(J, N, phi, x0, drive, phiX);
        for (let i = 0; i < N; i++) x0[i] += 0.1 * drive[i];
      }
    }
    tryStart(x0);
  }
  if (mirror) {
    const F = new Float64Array(N);
    for (const f of [...found]) {
      const m = f.x.map((v) => -v);
      residual(J, N, phi, m, F, phiX);
      if (normInf(F) < tol) add(m, false);
      else {
        const x = newtonFixedPoint(J, N, phi, m, tol, maxIter);
        if (x) add(x, false);
      }
    }
  }
  const F = new Float64Array(N);
  if (spectra) total += found.length;
  const fixedPoints: FixedPoint[] = found.map(({ x, hits }) => {
    residual(J, N, phi, x, F, phiX);
    let shell = 0;
    for (let i = 0; i < N; i++) shell += x[i] * x[i];
    shell /= N;
    const gains = x.map((v) => phi.df(v));
    let re: Float64Array = new Float64Array(0);
    let im: Float64Array = new Float64Array(0);
    let unstable = NaN;
    if (spectra) {
      ({ re, im } = jacobianSpectrum(J, N, phi, x));
      unstable = 0;
      for (let k = 0; k < re.length; k++) if (re[k] > 0) unstable++;
      tick();
    }
    return { x, shell, residual: normInf(F), gains, eigenReal: re, eigenImag: im, unstable, hits };
  });
  fixedPoints.sort((a, b) => a.shell - b.shell);
  return { N, fixedPoints, starts, converged, startVariance };
}
