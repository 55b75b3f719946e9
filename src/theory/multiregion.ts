/**
 * Multiregion mean-field theory (THEORY §1.3d, §6; Clark, Abbott & Litwin-Kumar 2402.12188), pure float64.
 *
 * R regions; J^{αβ}_ij = δ_αβ χ^α_ij + m^{αβ}_i n^{αβ}_j / N_β (χ^α ~ N(0, g_α²/N_α)). Geometry tensors
 *   T_αβγ = <n^{αβ} m^{βγ}>  (both vectors live in region β),   U_αβγ = <m^{αβ} m^{αγ}>  (region α).
 * Currents S_αβ (signal from β into α): (1+∂_t) S_αβ = H_αβ = ψ_β Σ_γ T_αβγ S_βγ, ψ_β = <φ'> over region β.
 *
 * Index conventions: tensors are number[][][] indexed T[α][β][γ];
 * current matrices are flat Float64Array of length R² with S[α·R + β] = S_αβ (target row α, source
 * column β); T̂ is the R²×R² row-major matrix T̂_{(αβ),(γδ)} = δ_βγ T_αβδ, so Ṡ = −S + ψ ⊙ T̂ S with the
 * gain of the source region β multiplying row (αβ).
 *
 * Contents: geometry (sampling loadings, NetworkSpec, T̂ and its leading eigenvalue); §6.2 fixed
 * points without disorder (closed forms, numerical solution, current dynamics, routing rule); §6.3
 * routing region with disorder (regimes, g_c1, g_c2); §6.4 the discrete-time multiregion DMFT with
 * currents, a replica-separation (mean-field Lyapunov) rate, and a phase classifier.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { PhiName } from '../nonlinearity.js';
import { uniformGenerator, type Normal } from '../random.js';
import type { LowRankModes, NetworkSpec } from '../simulate/network.js';
import { erfClosed, gaussianPhi } from './gaussian.js';
import { solveDelta0 } from './dmft.js';
import { brent } from './numerics.js';
import { choleskyFactor, dot, solveInPlace, solveLower } from '../linalg/small.js';

/** T[α][β][γ] or U[α][β][γ]. */
export type Tensor3 = number[][][];

const TWO_OVER_PI = 2 / Math.PI;

// ---------------------------------------------------------------------------------------------
// Validation and tensor helpers
// ---------------------------------------------------------------------------------------------

function checkR(R: number): void {
  if (!Number.isInteger(R) || R < 1) throw new RangeError(`number of regions R must be a positive integer, got ${R}`);
}

/** Shape/finiteness check of an R×R×R tensor; returns R. */
export function tensorSize(T: Tensor3, name = 'T'): number {
  if (!Array.isArray(T) || T.length === 0) throw new RangeError(`${name} must be a non-empty R×R×R array`);
  const R = T.length;
  for (let a = 0; a < R; a++) {
    if (!Array.isArray(T[a]) || T[a].length !== R) throw new RangeError(`${name}[${a}] must have ${R} rows (R×R×R tensor)`);
    for (let b = 0; b < R; b++) {
      const row = T[a][b];
      if (!Array.isArray(row) || row.length !== R) throw new RangeError(`${name}[${a}][${b}] must have ${R} entries (R×R×R tensor)`);
      for (let c = 0; c < R; c++) if (!Number.isFinite(row[c])) throw new RangeError(`${name}[${a}][${b}][${c}] is not finite`);
    }
  }
  return R;
}

function flatten3(T: Tensor3): Float64Array {
  const R = T.length;
  const out = new Float64Array(R * R * R);
  for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) for (let c = 0; c < R; c++) out[(a * R + b) * R + c] = T[a][b][c];
  return out;
}

/** One value per region (a number: the same in all), each finite and ≥ 0. */
function perRegion(v: number | number[], R: number, name: string): number[] {
  const arr = typeof v === 'number' ? new Array<number>(R).fill(v) : v;
  if (arr.length !== R) throw new RangeError(`${name} must have ${R} entries (one per region), got ${arr.length}`);
  for (const x of arr) if (!(Number.isFinite(x) && x >= 0)) throw new RangeError(`${name} entries must be finite and >= 0, got ${x}`);
  return arr;
}

/** U_αβγ = δ_βγ: inputs into a region from different sources orthogonal (the paper's choice). */
export function identityU(R: number): Tensor3 {
  checkR(R);
  return Array.from({ length: R }, () => Array.from({ length: R }, (_, b) => Array.from({ length: R }, (_, c) => (b === c ? 1 : 0))));
}

/** U[α] must be symmetric positive definite for every α (it is a Gram matrix of input patterns). */
export function checkU(U: Tensor3, R: number): void {
  if (tensorSize(U, 'U') !== R) throw new RangeError(`U must be ${R}×${R}×${R} like T, got R = ${U.length}`);
  for (let a = 0; a < R; a++) {
    const m = new Float64Array(R * R);
    for (let b = 0; b < R; b++)
      for (let c = 0; c < R; c++) {
        if (Math.abs(U[a][b][c] - U[a][c][b]) > 1e-10) throw new RangeError(`U[${a}] is not symmetric`);
        m[b * R + c] = U[a][b][c];
      }
    if (!choleskyFactor(m, R)) throw new RangeError(`U[${a}] is not positive definite`);
  }
}

// ---------------------------------------------------------------------------------------------
// Geometry: symmetric interactions, T̂, its spectrum, tensor sampling
// ---------------------------------------------------------------------------------------------

/** c = u uᵀ + diag(h) (§6.2): rank-one-plus-diagonal symmetric effective interactions. */
export function cFromUH(u: number[], h: number[]): number[][] {
  if (u.length === 0 || u.length !== h.length) throw new RangeError(`u and h must have the same positive length, got ${u.length} and ${h.length}`);
  if (![...u, ...h].every(Number.isFinite)) throw new RangeError('u and h must be finite');
  return u.map((ua, a) => u.map((ub, b) => ua * ub + (a === b ? h[a] : 0)));
}

/** T_αβγ = δ_αγ c_αβ: the readout in β of the input from α is aligned with what β sends back to α. */
export function symmetricT(c: number[][]): Tensor3 {
  const R = c.length;
  checkR(R);
  for (let a = 0; a < R; a++) {
    if (c[a].length !== R) throw new RangeError(`c must be ${R}×${R}, row ${a} has ${c[a].length} entries`);
    for (let b = 0; b < R; b++) if (!Number.isFinite(c[a][b])) throw new RangeError(`c[${a}][${b}] is not finite`);
  }
  return Array.from({ length: R }, (_, a) => Array.from({ length: R }, (_, b) => Array.from({ length: R }, (_, g) => (a === g ? c[a][b] : 0))));
}

/** T̂_{(αβ),(γδ)} = δ_βγ T_αβδ, R²×R² row-major (§6.1): the linearised current map. */
export function tHat(T: Tensor3): Float64Array {
  const R = tensorSize(T);
  const n = R * R;
  const out = new Float64Array(n * n);
  for (let a = 0; a < R; a++)
    for (let b = 0; b < R; b++)
      for (let d = 0; d < R; d++) out[(a * R + b) * n + (b * R + d)] = T[a][b][d];
  return out;
}

export interface Eigenvalue {
  re: number;
  im: number;
}

/** All eigenvalues of a general real n×n row-major matrix (ml-matrix's Hessenberg–QR). */
export function eigenvaluesGeneral(a: Float64Array, n: number): Eigenvalue[] {
  if (a.length !== n * n) throw new RangeError(`matrix must have ${n}×${n} = ${n * n} entries, got ${a.length}`);
  const rows = Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, (i + 1) * n)));
  const e = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: false });
  return e.realEigenvalues.map((re, i) => ({ re, im: e.imaginaryEigenvalues[i] }));
}

/**
 * Leading eigenvalue of T̂ = the one with the largest real part (it decides the instability of the
 * zero-current state, Ṡ = (ψT̂ − 1)S); of a complex pair the member with Im ≥ 0 is returned.
 */
export function leadingEigenvalue(T: Tensor3): Eigenvalue {
  const R = T.length;
  const ev = eigenvaluesGeneral(tHat(T), R * R);
  let best = ev[0];
  for (const e of ev) if (e.re > best.re + 1e-12 || (Math.abs(e.re - best.re) <= 1e-12 && e.im > best.im)) best = e;
  return { re: best.re, im: Math.abs(best.im) };
}

export interface SampleTOptions {
  /** Acceptance half-width on Re λ and on |Im λ| (default 0.01875, the code's value). */
  tol?: number;
  /** Give up after this many draws (default 1e6). */
  maxTries?: number;
}

/**
 * §6.4 ensemble: T entries i.i.d. N(0, |λ|²/R), accepted when the leading eigenvalue of T̂ lies within
 * ±tol of the target in Re and |Im| (rejection sampling, as in the paper's code). U is the identity.
 */
export function sampleTensorNear(R: number, target: Eigenvalue, normal: Normal, opt: SampleTOptions = {}): { T: Tensor3; lambda: Eigenvalue; tries: number } {
  checkR(R);
  const tol = opt.tol ?? 0.01875;
  const maxTries = opt.maxTries ?? 1e6;
  if (!(tol > 0)) throw new RangeError(`tol must be positive, got ${tol}`);
  const scale = Math.hypot(target.re, target.im) / Math.sqrt(R);
  for (let tries = 1; tries <= maxTries; tries++) {
    const T: Tensor3 = Array.from({ length: R }, () => Array.from({ length: R }, () => Array.from({ length: R }, () => scale * normal())));
    const lambda = leadingEigenvalue(T);
    if (Math.abs(lambda.re - target.re) < tol && Math.abs(lambda.im - Math.abs(target.im)) < tol) return { T, lambda, tries };
  }
  throw new RangeError(`no tensor with leading eigenvalue within ${tol} of ${target.re} + ${target.im}i in ${maxTries} draws`);
}

// ---------------------------------------------------------------------------------------------
// Loadings (§1.3d sampling recipe) and the network
// ---------------------------------------------------------------------------------------------

export interface MultiregionLoadings {
  sizes: number[];
  /** m[α][β]: input pattern in target region α for the signal from β (length N_α). */
  m: Float64Array[][];
  /** n[α][β]: readout pattern in source region β of the signal to α (length N_β). */
  n: Float64Array[][];
  /** Per source region β, the variance s of the n–n block that made Σ positive definite. */
  s: number[];
}

export interface SampleLoadingsOptions {
  /**
   * Rescale each region's sample so that its empirical second moments equal Σ exactly (so the realised
   * T and U equal the requested ones at finite N; default false = plain Gaussian draws).
   */
  exactOverlaps?: boolean;
}

/**
 * §1.3d recipe: per region β and neuron, ({n^{αβ}}_α, {m^{βγ}}_γ) ~ N(0, Σ),
 * Σ = [[s I, T[:,β,:]], [T[:,β,:]ᵀ, U[β]]], s = 1·1.05^k with the smallest k making Σ PD.
 */
export function sampleLoadings(T: Tensor3, U: Tensor3, sizes: number | number[], normal: Normal, opt: SampleLoadingsOptions = {}): MultiregionLoadings {
  const R = tensorSize(T);
  checkU(U, R);
  const N = typeof sizes === 'number' ? new Array<number>(R).fill(sizes) : sizes;
  if (N.length !== R) throw new RangeError(`sizes must list ${R} region sizes, got ${N.length}`);
  for (const v of N) if (!Number.isInteger(v) || v < 1) throw new RangeError(`region sizes must be positive integers, got ${v}`);
  const d = 2 * R;
  const m: Float64Array[][] = Array.from({ length: R }, (_, a) => Array.from({ length: R }, () => new Float64Array(N[a])));
  const n: Float64Array[][] = Array.from({ length: R }, () => Array.from({ length: R }, (_, b) => new Float64Array(N[b])));
  const sUsed: number[] = [];
  for (let b = 0; b < R; b++) {
    let s = 1;
    let L: Float64Array | undefined;
    const sigma = new Float64Array(d * d);
    for (let k = 0; k < 2000 && !L; k++, s *= 1.05) {
      sigma.fill(0);
      for (let i = 0; i < R; i++) {
        sigma[i * d + i] = s;
        for (let j = 0; j < R; j++) {
          sigma[i * d + R + j] = T[i][b][j];
          sigma[(R + j) * d + i] = T[i][b][j];
          sigma[(R + i) * d + R + j] = U[b][i][j];
        }
      }
      L = choleskyFactor(sigma, d);
      if (L) sUsed.push(s);
    }
    if (!L) throw new RangeError(`region ${b}: could not make the loading covariance positive definite`);
    const Nb = N[b];
    const X = new Float64Array(Nb * d); // row i: the 2R-vector of neuron i
    const z = new Float64Array(d);
    for (let i = 0; i < Nb; i++) {
      for (let k = 0; k < d; k++) z[k] = normal();
      for (let r = 0; r < d; r++) {
        let v = 0;
        for (let k = 0; k <= r; k++) v += L[r * d + k] * z[k];
        X[i * d + r] = v;
      }
    }
    if (opt.exactOverlaps) matchSecondMoments(X, Nb, d, L, b);
    for (let i = 0; i < Nb; i++) {
      for (let a = 0; a < R; a++) n[a][b][i] = X[i * d + a];
      for (let g = 0; g < R; g++) m[b][g][i] = X[i * d + R + g];
    }
  }
  return { sizes: N.slice(), m, n, s: sUsed };
}

/** x_i ← L_Σ L_M⁻¹ x_i with M = XᵀX/N = L_M L_Mᵀ: afterwards XᵀX/N = Σ exactly. */
function matchSecondMoments(X: Float64Array, N: number, d: number, Lsig: Float64Array, region: number): void {
  if (N < d) throw new RangeError(`exactOverlaps needs at least ${d} neurons per region, region ${region} has ${N}`);
  const M = new Float64Array(d * d);
  for (let i = 0; i < N; i++) for (let r = 0; r < d; r++) for (let c = 0; c <= r; c++) M[r * d + c] += X[i * d + r] * X[i * d + c];
  for (let r = 0; r < d; r++) for (let c = 0; c <= r; c++) M[c * d + r] = M[r * d + c] /= N;
  const LM = choleskyFactor(M, d);
  if (!LM) throw new RangeError(`region ${region}: sampled loadings are degenerate`);
  const y = new Float64Array(d);
  for (let i = 0; i < N; i++) {
    y.set(X.subarray(i * d, (i + 1) * d));
    solveLower(LM, d, y);
    for (let r = 0; r < d; r++) {
      let v = 0;
      for (let k = 0; k <= r; k++) v += Lsig[r * d + k] * y[k];
      X[i * d + r] = v;
    }
  }
}

/** Realised T_αβγ = (1/N_β) Σ_i n^{αβ}_i m^{βγ}_i and U_αβγ = (1/N_α) Σ_i m^{αβ}_i m^{αγ}_i. */
export function empiricalOverlaps(L: MultiregionLoadings): { T: Tensor3; U: Tensor3 } {
  const R = L.sizes.length;
  const T = Array.from({ length: R }, (_, a) => Array.from({ length: R }, (_, b) => Array.from({ length: R }, (_, g) => dot(L.n[a][b], L.m[b][g]) / L.sizes[b])));
  const U = Array.from({ length: R }, (_, a) => Array.from({ length: R }, (_, b) => Array.from({ length: R }, (_, g) => dot(L.m[a][b], L.m[a][g]) / L.sizes[a])));
  return { T, U };
}

export interface MultiregionNetworkOptions {
  /** Disorder g_α per region (a number: the same in all regions). */
  g: number | number[];
  /** Noise per region (default 0). */
  D?: number | number[];
  phi?: PhiName;
  tau?: number;
  /** leak shape s of U(x) = x²/2 − s·log cosh x, every unit (default 0) */
  s?: number;
  names?: string[];
  /**
   * The links β → α to build (region indices; default: every ordered pair, the §1.3d model). The
   * loadings of the others are left out: sampling draws them all, jointly Gaussian, so leaving some out
   * does not change the distribution of the rest.
   */
  links?: { target: number; source: number }[];
}

/**
 * The simulator's mode vectors (length N_total, regions contiguous in order) of links β → α with rank-K
 * loadings, J^{αβ} = Σ_r m_r n_rᵀ / N_β: the simulator adds m nᵀ/N_total, so m is scaled by N_total/N_β.
 */
export function linkModes(sizes: number[], links: { target: number; source: number; m: ArrayLike<number>[]; n: ArrayLike<number>[] }[]): LowRankModes {
  const Ntot = sizes.reduce((x, y) => x + y, 0);
  const offset = sizes.map((_, a) => sizes.slice(0, a).reduce((x, y) => x + y, 0));
  const m: Float64Array[] = [];
  const n: Float64Array[] = [];
  for (const { target: a, source: b, m: ms, n: ns } of links) {
    const scale = Ntot / sizes[b];
    ms.forEach((mr, r) => {
      const mv = new Float64Array(Ntot);
      const nv = new Float64Array(Ntot);
      for (let i = 0; i < sizes[a]; i++) mv[offset[a] + i] = scale * mr[i];
      for (let j = 0; j < sizes[b]; j++) nv[offset[b] + j] = ns[r][j];
      m.push(mv);
      n.push(nv);
    });
  }
  return { m, n };
}

/**
 * NetworkSpec for the simulator: one population per region with g²_αα = g_α² and no cross-region
 * disorder, plus one rank-one mode per link β → α (linkModes: J^{αβ} = m^{αβ} n^{αβ}ᵀ / N_β).
 */
export function multiregionNetwork(L: MultiregionLoadings, opt: MultiregionNetworkOptions): NetworkSpec {
  const R = L.sizes.length;
  const g = perRegion(opt.g, R, 'g');
  const D = perRegion(opt.D ?? 0, R, 'D');
  const names = opt.names ?? L.sizes.map((_, a) => `region${a + 1}`);
  if (names.length !== R) throw new RangeError(`names must have ${R} entries, got ${names.length}`);
  const links = opt.links ?? L.sizes.flatMap((_, a) => L.sizes.map((__, b) => ({ target: a, source: b })));
  const modes = linkModes(
    L.sizes,
    links.map(({ target: a, source: b }) => {
      if (!(a >= 0 && a < R && b >= 0 && b < R)) throw new RangeError(`link ${b} → ${a}: regions are 0..${R - 1}`);
      return { target: a, source: b, m: [L.m[a][b]], n: [L.n[a][b]] };
    }),
  );
  return {
    phi: opt.phi ?? 'erf',
    sizes: L.sizes.slice(),
    names,
    g2: Array.from({ length: R }, (_, a) => Array.from({ length: R }, (_, b) => (a === b ? g[a] * g[a] : 0))),
    J0: Array.from({ length: R }, () => new Array<number>(R).fill(0)),
    D,
    tau: opt.tau ?? 1,
    s: opt.s ?? 0,
    modes,
  };
}

// ---------------------------------------------------------------------------------------------
// Gains
// ---------------------------------------------------------------------------------------------

/** ψ(A) = <φ'(x)>, x ~ N(0, A). */
export function gainOf(phi: PhiName, A: number): number {
  if (phi === 'erf') return erfClosed.meanGain(A);
  return gaussianPhi(phi).meanGain(A);
}

/** ψ⁻¹: the variance A with <φ'> = psi ∈ (0, 1]; erf closed form 2(1/ψ² − 1)/π, tanh by root search. */
export function gainInverse(phi: PhiName, psi: number): number {
  if (!(psi > 0 && psi <= 1)) throw new RangeError(`a mean gain <φ'> must lie in (0, 1], got ${psi} (needs a, b > 1)`);
  if (phi === 'erf') return erfClosed.gainInverse(psi);
  const gp = gaussianPhi(phi);
  if (psi === 1) return 0;
  let hi = 1;
  while (gp.meanGain(hi) > psi) hi *= 2;
  return brent((A) => gp.meanGain(A) - psi, 0, hi, { rtol: 1e-14 });
}

// ---------------------------------------------------------------------------------------------
// Mean-field current dynamics without disorder (§6.1 with g = 0, §6.2)
// ---------------------------------------------------------------------------------------------

/** A_α = Σ_βγ U_αβγ S_αβ S_αγ: variance of region α's preactivation carried by the currents. */
export function currentVariance(S: Float64Array, U: Float64Array, R: number): Float64Array {
  const A = new Float64Array(R);
  for (let a = 0; a < R; a++) {
    let v = 0;
    for (let b = 0; b < R; b++) for (let c = 0; c < R; c++) v += U[(a * R + b) * R + c] * S[a * R + b] * S[a * R + c];
    A[a] = v;
  }
  return A;
}

/** H_αβ = ψ_β Σ_γ T_αβγ S_βγ (out has length R²). */
function drive(T: Float64Array, S: Float64Array, psi: Float64Array, R: number, out: Float64Array): void {
  for (let a = 0; a < R; a++)
    for (let b = 0; b < R; b++) {
      let v = 0;
      for (let g = 0; g < R; g++) v += T[(a * R + b) * R + g] * S[b * R + g];
      out[a * R + b] = psi[b] * v;
    }
}

/** F(S) = −S + H(S) with ψ_β = ψ(A_β(S)) (the no-disorder mean field: Δ_β = A_β). */
function currentField(T: Float64Array, U: Float64Array, S: Float64Array, R: number, phi: PhiName, out: Float64Array): void {
  const A = currentVariance(S, U, R);
  const psi = A.map((v) => gainOf(phi, v));
  drive(T, S, psi, R, out);
  for (let i = 0; i < R * R; i++) out[i] -= S[i];
}

function checkS(S: ArrayLike<number>, R: number, name: string): Float64Array {
  if (S.length !== R * R) throw new RangeError(`${name} must have R² = ${R * R} entries (S[α·R+β] = S_αβ), got ${S.length}`);
  const out = Float64Array.from(S);
  if (!out.every(Number.isFinite)) throw new RangeError(`${name} must be finite`);
  return out;
}

export interface CurrentDynamicsOptions {
  U?: Tensor3;
  phi?: PhiName;
  /** RK4 step (default 0.05). */
  dt?: number;
  /** Maximum time (default 2000). */
  tMax?: number;
  /** Stop when max |Ṡ| < tol (default 1e-13). */
  tol?: number;
}

export interface CurrentState {
  /** Final currents, S[α·R+β]. */
  S: Float64Array;
  /** A_α (variance carried by the currents). */
  A: Float64Array;
  /** ψ_α = ψ(A_α). */
  psi: Float64Array;
  /** max |Ṡ| at the end. */
  residual: number;
  /** Integration time used. */
  time: number;
}

/**
 * Mean-field current dynamics without disorder, Ṡ = −S + H(S), integrated by RK4 until the velocity
 * vanishes (fixed points of RK4 are exactly the zeros of the field, so the end state is the exact
 * fixed point the flow selects).
 */
export function integrateCurrents(T: Tensor3, S0: ArrayLike<number>, opt: CurrentDynamicsOptions = {}): CurrentState {
  const R = tensorSize(T);
  const U = opt.U ?? identityU(R);
  checkU(U, R);
  const phi = opt.phi ?? 'erf';
  const dt = opt.dt ?? 0.05;
  const tMax = opt.tMax ?? 2000;
  const tol = opt.tol ?? 1e-13;
  if (!(dt > 0)) throw new RangeError(`dt must be positive, got ${dt}`);
  const t = flatten3(T);
  const u = flatten3(U);
  const n = R * R;
  let S = checkS(S0, R, 'S0');
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const tmp = new Float64Array(n);
  let time = 0;
  let residual = Infinity;
  while (time < tMax) {
    currentField(t, u, S, R, phi, k1);
    residual = 0;
    for (let i = 0; i < n; i++) residual = Math.max(residual, Math.abs(k1[i]));
    if (residual < tol) break;
    for (let i = 0; i < n; i++) tmp[i] = S[i] + 0.5 * dt * k1[i];
    currentField(t, u, tmp, R, phi, k2);
    for (let i = 0; i < n; i++) tmp[i] = S[i] + 0.5 * dt * k2[i];
    currentField(t, u, tmp, R, phi, k3);
    for (let i = 0; i < n; i++) tmp[i] = S[i] + dt * k3[i];
    currentField(t, u, tmp, R, phi, k4);
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) next[i] = S[i] + (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
    S = next;
    time += dt;
  }
  const A = currentVariance(S, u, R);
  return { S, A, psi: A.map((v) => gainOf(phi, v)), residual, time };
}

/**
 * Numerical solution of the fixed-point equations S = H(S) (no disorder) by Levenberg–Marquardt from
 * S0, with a central-difference Jacobian. LM rather than Newton because the stable sets are
 * continuous attractors, where the Jacobian is singular along the free directions.
 */
export function solveCurrentFixedPoint(T: Tensor3, S0: ArrayLike<number>, opt: { U?: Tensor3; phi?: PhiName; tol?: number; maxIter?: number } = {}): CurrentState {
  const R = tensorSize(T);
  const U = opt.U ?? identityU(R);
  checkU(U, R);
  const phi = opt.phi ?? 'erf';
  const tol = opt.tol ?? 1e-14;
  const maxIter = opt.maxIter ?? 500;
  const t = flatten3(T);
  const u = flatten3(U);
  const n = R * R;
  let S = checkS(S0, R, 'S0');
  const F = new Float64Array(n);
  const Fp = new Float64Array(n);
  const Fm = new Float64Array(n);
  const norm2 = (v: Float64Array) => v.reduce((s, x) => s + x * x, 0);
  currentField(t, u, S, R, phi, F);
  let cost = norm2(F);
  let mu = 1e-3;
  for (let it = 0; it < maxIter && Math.sqrt(cost) > tol; it++) {
    const J = new Float64Array(n * n); // J[i*n + j] = ∂F_i/∂S_j
    for (let j = 0; j < n; j++) {
      const h = 1e-6 * Math.max(1, Math.abs(S[j]));
      const sp = Float64Array.from(S);
      const sm = Float64Array.from(S);
      sp[j] += h;
      sm[j] -= h;
      currentField(t, u, sp, R, phi, Fp);
      currentField(t, u, sm, R, phi, Fm);
      for (let i = 0; i < n; i++) J[i * n + j] = (Fp[i] - Fm[i]) / (2 * h);
    }
    const JtJ = new Float64Array(n * n);
    const JtF = new Float64Array(n);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++) {
        const jki = J[k * n + i];
        JtF[i] += jki * F[k];
        for (let j = 0; j < n; j++) JtJ[i * n + j] += jki * J[k * n + j];
      }
    let accepted = false;
    for (let tries = 0; tries < 30 && !accepted; tries++) {
      const A = Float64Array.from(JtJ);
      for (let i = 0; i < n; i++) A[i * n + i] += mu * (1 + JtJ[i * n + i]);
      const step = JtF.map((v) => -v);
      if (!solveInPlace(A, step, n)) {
        mu *= 10;
        continue;
      }
      const trial = S.map((v, i) => v + step[i]);
      const Ft = new Float64Array(n);
      currentField(t, u, trial, R, phi, Ft);
      const c = norm2(Ft);
      if (c < cost) {
        S = trial;
        F.set(Ft);
        cost = c;
        mu = Math.max(mu / 10, 1e-15);
        accepted = true;
      } else mu *= 10;
    }
    if (!accepted) break;
  }
  const A = currentVariance(S, u, R);
  return { S, A, psi: A.map((v) => gainOf(phi, v)), residual: Math.sqrt(cost), time: 0 };
}

// ---------------------------------------------------------------------------------------------
// §6.2 closed forms and the routing rule
// ---------------------------------------------------------------------------------------------

export interface RegionRouting {
  /** Routing iff a < b (§6.2 stability rule). */
  routing: boolean;
  /** Direct self-interaction a = c_αα = u² + h. */
  a: number;
  /** Indirect interaction b = u². */
  b: number;
  /** Preactivation variance at the stable fixed point: ψ⁻¹(1/a) (nonrouting) or ψ⁻¹(1/b) (routing). */
  A: number;
  /** Gain ψ = 1/a or 1/b. */
  psi: number;
}

export type RoutingInput = { u: number[]; h: number[] } | { c: number[][] } | { T: Tensor3; U?: Tensor3 };

/** c from T when T is of the symmetric form δ_αγ c_αβ (entries off that pattern must vanish). */
function cFromT(T: Tensor3, U: Tensor3 | undefined): number[][] {
  const R = tensorSize(T);
  if (U) checkU(U, R);
  const scale = Math.max(1e-300, ...T.flat(2).map(Math.abs));
  for (let a = 0; a < R; a++)
    for (let b = 0; b < R; b++)
      for (let g = 0; g < R; g++)
        if (a !== g && Math.abs(T[a][b][g]) > 1e-10 * scale)
          throw new RangeError(`T is not of the symmetric-interaction form T_αβγ = δ_αγ c_αβ (T[${a}][${b}][${g}] = ${T[a][b][g]})`);
  return T.map((Ta, a) => Ta.map((row) => row[a]));
}

/**
 * u from a symmetric c = u uᵀ + diag(h): u_α² = c_αβ c_αγ / c_βγ for distinct β, γ ≠ α (needs R ≥ 3;
 * for R = 2 the split of c_αα into u² + h is not identifiable from c, so pass { u, h }).
 */
function uFromC(c: number[][]): number[] {
  const R = c.length;
  for (let a = 0; a < R; a++) {
    if (c[a].length !== R) throw new RangeError(`c must be ${R}×${R}`);
    for (let b = 0; b < R; b++) if (Math.abs(c[a][b] - c[b][a]) > 1e-10 * (1 + Math.abs(c[a][b]))) throw new RangeError('c must be symmetric');
  }
  if (R < 3) throw new RangeError('with fewer than 3 regions c does not determine u (b = u²): pass { u, h } instead');
  const u: number[] = [];
  for (let a = 0; a < R; a++) {
    const [b, g] = [0, 1, 2, 3].filter((x) => x !== a).slice(0, 2);
    if (c[b][g] === 0) throw new RangeError(`c[${b}][${g}] = 0: c is not rank-one off the diagonal with nonzero u`);
    const u2 = (c[a][b] * c[a][g]) / c[b][g];
    if (!(u2 >= 0)) throw new RangeError(`c is not rank-one-plus-diagonal (u_${a}² = ${u2} < 0)`);
    u.push(Math.sqrt(u2) * (a === 0 ? 1 : Math.sign(c[0][a]) || 1));
  }
  for (let a = 0; a < R; a++)
    for (let b = 0; b < R; b++)
      if (a !== b && Math.abs(u[a] * u[b] - c[a][b]) > 1e-8 * (1 + Math.abs(c[a][b])))
        throw new RangeError(`c is not rank-one-plus-diagonal: c[${a}][${b}] = ${c[a][b]} but u_${a}u_${b} = ${u[a] * u[b]}`);
  return u;
}

/**
 * §6.2 routing classification of every region: a = c_αα, b = u_α², routing iff a < b, and the fixed-point
 * variance A = ψ⁻¹(1/a) resp. ψ⁻¹(1/b) (erf: 2(a² − 1)/π resp. 2(b² − 1)/π). The general-U case only
 * changes the Mahalanobis norm of S, not A (A is fixed by the gain condition). Throws when the relevant
 * interaction is ≤ 1 (no nontrivial fixed point: the region's currents decay).
 */
export function routingClassification(input: RoutingInput, phi: PhiName = 'erf'): RegionRouting[] {
  let u: number[];
  let diag: number[];
  if ('u' in input) {
    const c = cFromUH(input.u, input.h);
    u = input.u;
    diag = c.map((r, a) => r[a]);
  } else {
    const c = 'c' in input ? input.c : cFromT(input.T, input.U);
    if (c.length === 0) throw new RangeError('c must be non-empty');
    u = uFromC(c);
    diag = c.map((r, a) => r[a]);
  }
  return u.map((ua, k) => {
    const a = diag[k];
    const b = ua * ua;
    const routing = a < b;
    const x = routing ? b : a;
    if (!(x > 1)) throw new RangeError(`region ${k}: ${routing ? 'b' : 'a'} = ${x} ≤ 1, no nontrivial fixed point`);
    return { routing, a, b, A: gainInverse(phi, 1 / x), psi: 1 / x };
  });
}

/**
 * A fixed point of the symmetric no-disorder equations with a prescribed routing set (U = identity):
 * nonrouting α: S_αα = √A_α; routing α, β: S_αβ = p_αβ/u_β with p symmetric, p_αβ² solving
 * Σ_β p_αβ²/b_β = A_α (least-norm solution when the routing set has ≥ 4 regions, i.e. one point of
 * the continuous attractor). Throws when the routing set cannot carry the required variance
 * (negative p², or a routing set of size 1 or 2 where the gain condition is overdetermined).
 */
export function routingFixedPoint(u: number[], h: number[], routing: boolean[], phi: PhiName = 'erf'): Float64Array {
  const R = u.length;
  if (h.length !== R || routing.length !== R) throw new RangeError(`u, h and routing must all have ${R} entries`);
  const S = new Float64Array(R * R);
  const set = routing.map((r, k) => (r ? k : -1)).filter((k) => k >= 0);
  for (let k = 0; k < R; k++) {
    if (routing[k]) continue;
    S[k * R + k] = Math.sqrt(gainInverse(phi, 1 / (u[k] * u[k] + h[k])));
  }
  if (set.length === 0) return S;
  if (set.length < 3) throw new RangeError(`a routing set of ${set.length} region(s) cannot satisfy ψ_α = 1/b_α in every member (needs ≥ 3)`);
  const pairs: [number, number][] = [];
  for (let i = 0; i < set.length; i++) for (let j = i + 1; j < set.length; j++) pairs.push([set[i], set[j]]);
  // M q = A with q = p² per pair; least-norm solution q = Mᵀ (M Mᵀ)⁻¹ A
  const k = set.length;
  const M = new Float64Array(k * pairs.length);
  pairs.forEach(([x, y], p) => {
    M[set.indexOf(x) * pairs.length + p] = 1 / (u[y] * u[y]);
    M[set.indexOf(y) * pairs.length + p] = 1 / (u[x] * u[x]);
  });
  const Avec = Float64Array.from(set, (x) => gainInverse(phi, 1 / (u[x] * u[x])));
  const MMt = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let p = 0; p < pairs.length; p++) MMt[i * k + j] += M[i * pairs.length + p] * M[j * pairs.length + p];
  const y = Avec;
  if (!solveInPlace(MMt, y, k)) throw new RangeError('singular linear system');
  pairs.forEach(([x, z], p) => {
    let q = 0;
    for (let i = 0; i < k; i++) q += M[i * pairs.length + p] * y[i];
    if (q < -1e-12) throw new RangeError(`routing set {${set.join(', ')}} infeasible: needs p² = ${q} < 0 for pair (${x}, ${z})`);
    const pv = Math.sqrt(Math.max(q, 0));
    S[x * R + z] = pv / u[z];
    S[z * R + x] = pv / u[x];
  });
  return S;
}

// ---------------------------------------------------------------------------------------------
// §6.3 routing region with disorder (erf)
// ---------------------------------------------------------------------------------------------

export type DisorderRegime = 'chaos-suppressed' | 'chaos-with-currents' | 'disorder-dominated';

export interface RoutingDisorderState {
  regime: DisorderRegime;
  /** Total preactivation variance Δ0. */
  delta0: number;
  /** Δ(τ → ∞). */
  deltaInf: number;
  /** Variance carried by the currents. */
  A: number;
}

/** g_c1 = (2b² − 1)^{1/4}: where g²<φ'²>_{Δ0} = 1 at the gain-locked Δ0 = 2(b² − 1)/π (erf). */
export function routingGc1(b: number): number {
  if (!(b > 1)) throw new RangeError(`b must exceed 1, got ${b}`);
  return Math.pow(2 * b * b - 1, 0.25);
}

/** g_c2: the SCS Δ0(g) equals the gain-locked 2(b² − 1)/π (currents vanish beyond it). */
export function routingGc2(b: number): number {
  if (!(b > 1)) throw new RangeError(`b must exceed 1, got ${b}`);
  const target = erfClosed.gainInverse(1 / b);
  let hi = 2;
  while (solveDelta0('erf', hi) < target) hi *= 2;
  return brent((g) => solveDelta0('erf', g) - target, 1, hi, { rtol: 1e-13 });
}

/**
 * Stationary state of a routing region (gain locked at ψ = 1/b) with disorder g (erf, §6.3):
 * (i) g ≤ g_c1: Δ ≡ Δ0, A = Δ0 − g²<φ²>_{Δ0}; (ii) g_c1 < g < g_c2: Δ∞ from the energy condition
 * V(Δ∞) = V(Δ0) with A = Δ∞ − g² C_φ(Δ∞; Δ0) (so V'(Δ∞) = 0); (iii) g ≥ g_c2: A = 0, SCS chaos.
 */
export function routingWithDisorder(b: number, g: number): RoutingDisorderState {
  if (!(b > 1)) throw new RangeError(`b must exceed 1, got ${b}`);
  if (!(g >= 0 && Number.isFinite(g))) throw new RangeError(`g must be finite and >= 0, got ${g}`);
  const d0 = erfClosed.gainInverse(1 / b);
  const cphi = (d: number) => erfClosed.cphi(d, d0, d0);
  const g2 = g * g;
  if (g <= routingGc1(b)) return { regime: 'chaos-suppressed', delta0: d0, deltaInf: d0, A: d0 - g2 * cphi(d0) };
  if (g >= routingGc2(b)) {
    const scs = solveDelta0('erf', g);
    return { regime: 'disorder-dominated', delta0: scs, deltaInf: 0, A: 0 };
  }
  const CPhi = (d: number) => erfClosed.cPhiAntiderivative(d, d0);
  const energy = (dInf: number) => {
    const A = dInf - g2 * cphi(dInf);
    return -0.5 * (dInf * dInf - d0 * d0) + g2 * (CPhi(dInf) - CPhi(d0)) + A * (dInf - d0);
  };
  // energy ≈ ½(1 − g²<φ'²>)(Δ∞ − Δ0)² < 0 just below Δ0 for g > g_c1 (then cubic terms take over), and
  // > 0 at Δ∞ = 0 for g < g_c2: scan ε = Δ0 − Δ∞ geometrically (from 1e-5 Δ0) for the first sign change, then Brent.
  let epsPrev = 0;
  let dInf = NaN;
  for (let i = 0; i <= 600; i++) {
    const eps = d0 * Math.pow(10, -5 + (5 * i) / 600); // below 1e-5·Δ0 the quadratic term drowns in roundoff
    const e = energy(d0 - eps);
    if (e >= 0 && epsPrev > 0) {
      dInf = e === 0 ? d0 - eps : brent(energy, d0 - eps, d0 - epsPrev, { rtol: 1e-15 });
      break;
    }
    if (e < 0) epsPrev = eps;
  }
  // no sign change above 1e-5 Δ0: g is so close to g_c1 that Δ∞ = Δ0 to that accuracy
  if (!Number.isFinite(dInf)) dInf = d0;
  return { regime: 'chaos-with-currents', delta0: d0, deltaInf: dInf, A: dInf - g2 * cphi(dInf) };
}

// ---------------------------------------------------------------------------------------------
// §6.4 discrete-time multiregion DMFT with currents (erf)
// ---------------------------------------------------------------------------------------------

export interface MultiregionDmftOptions {
  T: Tensor3;
  U?: Tensor3;
  /** Disorder per region (a number: all regions). */
  g: number | number[];
  /** Euler step (default 0.05). */
  dt?: number;
  /** Number of steps (default 2500). */
  steps?: number;
  /** Initial currents S[α·R+β] (default: i.i.d. uniform [0, 1) drawn with `seed`, like the paper's code). */
  S0?: ArrayLike<number>;
  /** Seed (integer in [0, 2³²)) of the uniform draws of the default S0 (default 0): same options, same run. */
  seed?: number;
  /** Var(x_0) of the non-current part per region (default 1). */
  var0?: number | number[];
  /** Step indices k0 at which normalised slices Δ̂(k0, k0 + n) are recorded (default [steps/2]). */
  anchors?: number[];
  /** Step k1 from which the separation of two infinitesimally close replicas is followed (default floor(steps/4)). */
  lyapunovStart?: number;
}

export interface MultiregionDmftResult {
  dt: number;
  steps: number;
  R: number;
  /** S[k] (R² entries), k = 0..steps. */
  S: Float64Array[];
  /** Δ_α(k, k): variance[α][k]. */
  variance: Float64Array[];
  /** ψ_α(k). */
  psi: Float64Array[];
  anchors: number[];
  /** slices[i][α][n] = Δ̂_α(k0, k0 + n) for anchor k0 = anchors[i], n = 0..steps − k0. */
  slices: Float64Array[][];
  /** k1: where the replica separation starts. */
  lyapunovStart: number;
  /**
   * logSeparation[α][n] = ln K_α(k1 + n, k1 + n), n = 0..steps − k1: mean-square distance between two
   * replicas of region α's units (same couplings and currents) that differ by an infinitesimal
   * perturbation of unit variance at k1, normalised to K(k1, k1) = 1.
   */
  logSeparation: Float64Array[];
  /**
   * lyapunov[α]: growth rate of the replica distance sqrt(K) (mean-field maximal Lyapunov exponent of the
   * region's disorder-driven part): least-squares slope of ½ ln K(t, t) over the second half of [k1, steps].
   * > 0: the aperiodic (chaotic) part sustains itself; < 0: it decays and the state is deterministic.
   */
  lyapunov: number[];
}

/**
 * Exact large-N limit of the Euler-discretised multiregion network (§6.1 at finite dt). Region α:
 *   x = y + Σ_β m^{αβ} S_αβ,  y_{k+1} = a y_k + dt η_k (a = 1 − dt),  η ~ GP(0, g_α² C_α),
 *   S_{k+1} = a S_k + dt H_k,  H_k = ψ(Δ_kk) ⊙ T̂ S_k,
 *   Δ_kl = Δ^y_kl + Σ_βγ U_αβγ S_αβ,k S_αγ,l,   C_kl = C_φ(Δ_kl; Δ_kk, Δ_ll),
 *   G_{k,l+1} = a G_kl + dt g² C_kl (G_kl = <η_k y_l>),  Δ^y_{k+1,l+1} = a² Δ^y_kl + a dt (G_kl + G_lk) + dt² g² C_kl.
 * Filled causally keeping only the current row of Δ^y and the current column of G (O(T) memory,
 * O(R T²) time); the normalised slices Δ̂(k0, k0 + n) are read off rows as they pass.
 *
 * Chaos test (THEORY §4.4 extended to time-dependent states): from step k1 on, the covariance K of the
 * difference δx of two infinitesimally close replicas (same couplings, same currents) obeys the same
 * recursion as Δ^y with C replaced by the linearised source q K, q_kl = <φ'(x_k) φ'(x_l)> over the
 * solution's Δ (Gaussian closure, as for the single-population Lyapunov exponent):
 *   GK_{k,l+1} = a GK_kl + dt g² q_kl K_kl,  K_{k+1,l+1} = a² K_kl + a dt (GK_kl + GK_lk) + dt² g² q_kl K_kl,
 *   K_{k1,k1} = 1, GK_{k,k1} = 0, K_{k+1,k1} = a K_{k,k1}.
 * For a static Δ this gives ln sqrt(K) ∝ (g sqrt(<φ'²>) − 1) t, the §4.4 criterion g² <φ'²> = 1.
 * Perturbations of the currents themselves (R² directions) are not included: the test is for the
 * high-dimensional chaotic part only.
 */
export function multiregionDmft(opt: MultiregionDmftOptions): MultiregionDmftResult {
  const R = tensorSize(opt.T);
  const Ut = opt.U ?? identityU(R);
  checkU(Ut, R);
  const dt = opt.dt ?? 0.05;
  const steps = opt.steps ?? 2500;
  if (!(dt > 0 && dt <= 1)) throw new RangeError(`dt must be in (0, 1], got ${dt}`);
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  const g = perRegion(opt.g, R, 'g');
  const var0 = perRegion(opt.var0 ?? 1, R, 'var0');
  const anchors = (opt.anchors ?? [Math.floor(steps / 2)]).slice();
  for (const k of anchors) if (!Number.isInteger(k) || k < 0 || k > steps) throw new RangeError(`anchors must be step indices in [0, ${steps}], got ${k}`);
  const k1 = opt.lyapunovStart ?? Math.floor(steps / 4);
  if (!Number.isInteger(k1) || k1 < 0 || k1 > steps - 4) throw new RangeError(`lyapunovStart must be a step index in [0, ${steps - 4}], got ${k1}`);
  const t = flatten3(opt.T);
  const u = flatten3(Ut);
  const n2 = R * R;
  let S0: Float64Array;
  if (opt.S0) S0 = checkS(opt.S0, R, 'S0');
  else {
    const uniform = uniformGenerator(opt.seed ?? 0); // throws RangeError for a bad seed
    S0 = new Float64Array(n2);
    for (let i = 0; i < n2; i++) S0[i] = uniform();
  }
  const a = 1 - dt;
  const S: Float64Array[] = [S0];
  const variance = Array.from({ length: R }, () => new Float64Array(steps + 1));
  const psi = Array.from({ length: R }, () => new Float64Array(steps + 1));
  const slices = anchors.map((k0) => Array.from({ length: R }, () => new Float64Array(steps - k0 + 1)));
  // per region: Δ^y row, G column, C row, G row, current-part projections
  const dy = Array.from({ length: R }, (_, al) => {
    const r = new Float64Array(steps + 2);
    r[0] = var0[al];
    return r;
  });
  const gCol = Array.from({ length: R }, () => new Float64Array(steps + 2));
  const cRow = new Float64Array(steps + 1);
  const gRow = new Float64Array(steps + 2);
  const full = new Float64Array(steps + 1);
  // w[α][l·R + β] = Σ_γ U_αβγ S_αγ,l: lets Σ_βγ U S_k S_l be an R-term dot product per l.
  const w = Array.from({ length: R }, () => new Float64Array((steps + 1) * R));
  const H = new Float64Array(n2);
  // replica separation from k1 (index l − k1): K row, GK column, source row g² q K, GK row; ln K(k, k)
  const nK = steps - k1 + 2;
  const kRow = Array.from({ length: R }, () => new Float64Array(nK));
  const kgCol = Array.from({ length: R }, () => new Float64Array(nK));
  const qkRow = new Float64Array(nK);
  const kgRow = new Float64Array(nK);
  const logOffset = new Float64Array(R); // K is kept rescaled: true K = e^{logOffset} · stored K
  const logSeparation = Array.from({ length: R }, () => new Float64Array(steps - k1 + 1));
  for (let al = 0; al < R; al++) kRow[al][0] = 1;
  const halfPi = Math.PI / 2;
  for (let k = 0; k <= steps; k++) {
    const Sk = S[k];
    for (let al = 0; al < R; al++) {
      for (let b = 0; b < R; b++) {
        let v = 0;
        for (let c = 0; c < R; c++) v += u[(al * R + b) * R + c] * Sk[al * R + c];
        w[al][k * R + b] = v;
      }
    }
    const psiK = new Float64Array(R);
    for (let al = 0; al < R; al++) {
      // full covariance Δ_kl for l ≤ k
      const wa = w[al];
      for (let l = 0; l <= k; l++) {
        let v = dy[al][l];
        for (let b = 0; b < R; b++) v += Sk[al * R + b] * wa[l * R + b];
        full[l] = v;
      }
      const vk = full[k];
      variance[al][k] = vk;
      psiK[al] = erfClosed.meanGain(vk);
      psi[al][k] = psiK[al];
      const varA = variance[al];
      anchors.forEach((k0, i) => {
        if (k >= k0) slices[i][al][k - k0] = full[k0] / Math.sqrt(vk * varA[k0]);
      });
      if (k === steps) continue;
      const gg = g[al] * g[al];
      const s1 = vk + TWO_OVER_PI;
      for (let l = 0; l <= k; l++) {
        const r = full[l] / Math.sqrt(s1 * (varA[l] + TWO_OVER_PI));
        cRow[l] = TWO_OVER_PI * Math.asin(r > 1 ? 1 : r < -1 ? -1 : r);
      }
      // G_{k,l}, l = 0..k, along the row
      gRow[0] = 0;
      for (let l = 0; l < k; l++) gRow[l + 1] = a * gRow[l] + dt * gg * cRow[l];
      const gc = gCol[al];
      gc[k] = gRow[k]; // G_{k,k} from the row recursion
      const dRow = dy[al];
      // next row Δ^y_{k+1, l+1} (written from the top so that dRow[l] is still Δ^y_{k,l} when read)
      for (let l = k; l >= 0; l--) dRow[l + 1] = a * a * dRow[l] + a * dt * (gRow[l] + gc[l]) + dt * dt * gg * cRow[l];
      dRow[0] = a * dRow[0]; // <y_{k+1} y_0> = a <y_k y_0>: η_k is independent of y_0 (dRow[0] was not overwritten)
      // next column G_{l, k+1} = a G_{l,k} + dt g² C_{l,k}
      for (let l = 0; l <= k; l++) gc[l] = a * gc[l] + dt * gg * cRow[l];
      if (k >= k1) {
        // replica separation: same recursion, source g² q_kl K_kl (indices relative to k1)
        const kr = kRow[al];
        const kc = kgCol[al];
        const m = k - k1;
        logSeparation[al][m] = Math.log(kr[m]) + logOffset[al];
        const hk = 1 + halfPi * vk;
        for (let j = 0; j <= m; j++) {
          const l = k1 + j;
          const hd = halfPi * full[l];
          qkRow[j] = (gg * kr[j]) / Math.sqrt(hk * (1 + halfPi * varA[l]) - hd * hd);
        }
        kgRow[0] = 0;
        for (let j = 0; j < m; j++) kgRow[j + 1] = a * kgRow[j] + dt * qkRow[j];
        kc[m] = kgRow[m];
        for (let j = m; j >= 0; j--) kr[j + 1] = a * a * kr[j] + a * dt * (kgRow[j] + kc[j]) + dt * dt * qkRow[j];
        kr[0] = a * kr[0];
        for (let j = 0; j <= m; j++) kc[j] = a * kc[j] + dt * qkRow[j];
        // K is linear in (K, GK): rescale when the diagonal drifts far from 1
        const dk = kr[m + 1];
        if (dk > 1e100 || dk < 1e-100) {
          for (let j = 0; j <= m + 1; j++) {
            kr[j] /= dk;
            kc[j] /= dk;
          }
          logOffset[al] += Math.log(dk);
        }
      }
    }
    if (k === steps) {
      for (let al = 0; al < R; al++) logSeparation[al][steps - k1] = Math.log(kRow[al][steps - k1]) + logOffset[al];
      break;
    }
    drive(t, Sk, psiK, R, H);
    const next = new Float64Array(n2);
    for (let i = 0; i < n2; i++) next[i] = a * Sk[i] + dt * H[i];
    S.push(next);
  }
  // least-squares slope of ½ ln K over the second half of [k1, steps]
  const lyapunov = logSeparation.map((ls) => {
    const j0 = Math.floor((ls.length - 1) / 2);
    const n = ls.length - j0;
    let st = 0, sy = 0, stt = 0, sty = 0;
    for (let j = j0; j < ls.length; j++) {
      const tj = j * dt;
      st += tj;
      sy += ls[j];
      stt += tj * tj;
      sty += tj * ls[j];
    }
    return (0.5 * (n * sty - st * sy)) / (n * stt - st * st);
  });
  return { dt, steps, R, S, variance, psi, anchors, slices, lyapunovStart: k1, logSeparation, lyapunov };
}

export type CurrentBehaviour = 'zero' | 'fixed-point' | 'limit-cycle';

export interface PhaseClassification {
  currents: CurrentBehaviour;
  /** Self-sustained chaotic fluctuations in some region (see classifyPhase). */
  chaos: boolean;
  /** Regions with chaos. */
  chaoticRegions: number[];
  /** Phase label of §6.4: 'pure chaos', 'fixed points + chaos', 'pure fixed points', 'limit cycles + chaos', 'pure limit cycles', or 'quiescent'. */
  phase: string;
  /** max |S| over the last quarter. */
  currentAmplitude: number;
  /** max over the last quarter of |S(t) − S(end)| / amplitude. */
  currentVariation: number;
  /**
   * Per region: min over lags τ ≥ τ_min of the mean-square distance (1/N)Σ_i (x_i(t0 + τ) − x_i(t0))²
   * = Δ(t0,t0) + Δ(t0+τ,t0+τ) − 2Δ(t0,t0+τ), relative to Δ(t0,t0), at the first anchor t0, with the lag
   * refined between grid steps by a parabola through each discrete minimum: the part of the state that
   * never recurs (0 for a fixed point or a limit cycle, up to ~1e-5 of discretisation error).
   */
  aperiodic: number[];
  /** Per region: the run's replica-separation growth rate (MultiregionDmftResult.lyapunov). */
  lyapunov: number[];
}

export interface ClassifyOptions {
  /** Currents below this amplitude count as zero (default 1e-4). */
  zeroTol?: number;
  /** Relative variation below which currents count as a fixed point (default 1e-3). */
  fixedTol?: number;
  /** Non-recurring part (`aperiodic`) above which a region can be chaotic (default 1e-3). */
  aperiodicTol?: number;
  /**
   * A region whose replica separation decays faster than this rate is not chaotic (default 1/(2 t̄),
   * t̄ = mean time since lyapunovStart over the fit window: twice the downward bias 1/(4 t̄) that the
   * t^(−1/2) prefactor of a marginal state puts on the fitted slope; 0.0071 for 2500 steps).
   */
  lyapunovTol?: number;
  /** Oscillating currents whose envelope shrinks by more than this fraction between the last two eighths count as decaying to zero (default 0.2). */
  decayTol?: number;
  /** Shortest lag (time units) used for the recurrence test (default 10). */
  tauMin?: number;
}

/**
 * §6.4 diagnostic on a DMFT run: the currents over the last quarter (zero / constant / oscillating)
 * and chaos per region. A deterministic state (fixed point or limit cycle) returns to its own past, so
 * the first anchor's `aperiodic` part is ~0; chaos never returns. A finite run also carries the decaying
 * remainder of its initial condition, which near the chaos-suppression boundary decays slowly and can
 * exceed weak persistent chaos at t0, so no amplitude threshold alone separates them; the replica
 * separation does: a region is chaotic iff aperiodic > aperiodicTol and lyapunov > −lyapunovTol.
 * Calibration (R = 2, g = 1.5, Im λ = 1.2, Re λ = 1.65 and 1.8, 24 tensors, 2500 steps, checked against
 * 6000–16 000 step runs of the same tensors): persistent chaos has lyapunov ≥ −0.006 (≈ 0 to +0.03
 * asymptotically), decaying remainders ≤ −0.011 with aperiodic up to 2e-2 at t0 = 62.5; pure limit
 * cycles reach aperiodic ≤ 1e-4 by t ≈ 250. For a static state the fitted slope is g sqrt(<φ'²>) − 1
 * − 1/(4 t̄) (g = 0.9 without currents: −0.1039 at 2500 steps, −0.1003 after the correction, exact).
 */
export function classifyPhase(res: MultiregionDmftResult, opt: ClassifyOptions = {}): PhaseClassification {
  const zeroTol = opt.zeroTol ?? 1e-4;
  const fixedTol = opt.fixedTol ?? 1e-3;
  const aperiodicTol = opt.aperiodicTol ?? 1e-3;
  const nSep = res.logSeparation[0].length;
  const tBar = (res.dt * (Math.floor((nSep - 1) / 2) + nSep - 1)) / 2; // mean t − t1 over lyapunov's fit window
  const lyapunovTol = opt.lyapunovTol ?? 1 / (2 * tBar);
  const tauMin = opt.tauMin ?? 10;
  const decayTol = opt.decayTol ?? 0.2;
  const { S, steps, R } = res;
  const from = Math.floor((3 * steps) / 4);
  const last = S[steps];
  const maxAbs = (k0: number, k1: number) => {
    let m = 0;
    for (let k = k0; k <= k1; k++) for (let i = 0; i < R * R; i++) m = Math.max(m, Math.abs(S[k][i]));
    return m;
  };
  const amp = maxAbs(from, steps);
  let varn = 0;
  for (let k = from; k <= steps; k++) for (let i = 0; i < R * R; i++) varn = Math.max(varn, Math.abs(S[k][i] - last[i]));
  const variation = amp > 0 ? varn / amp : 0;
  // Oscillations still decaying towards zero (slowly, near the instability) are not a limit cycle:
  // compare the envelopes of the last two eighths of the run.
  const mid = Math.floor((7 * steps) / 8);
  const decaying = maxAbs(mid, steps) < (1 - decayTol) * maxAbs(from, mid);
  const currents: CurrentBehaviour = amp < zeroTol ? 'zero' : variation < fixedTol ? 'fixed-point' : decaying ? 'zero' : 'limit-cycle';
  if (res.slices.length === 0) throw new RangeError('classifyPhase needs at least one anchor slice');
  const nMin = Math.round(tauMin / res.dt);
  const k0 = res.anchors[0];
  const aperiodic: number[] = [];
  const chaoticRegions: number[] = [];
  for (let al = 0; al < R; al++) {
    const sl = res.slices[0][al];
    const v = res.variance[al];
    const top = sl.length - 1;
    if (top < nMin + 2) throw new RangeError(`anchor slice shorter than tauMin = ${tauMin}`);
    const dist = (n: number) => (v[k0] + v[k0 + n] - 2 * sl[n] * Math.sqrt(v[k0] * v[k0 + n])) / v[k0];
    let best = Infinity;
    for (let n = nMin; n <= top; n++) {
      const c = dist(n);
      let est = c;
      if (n > nMin && n < top) {
        const lo = dist(n - 1);
        const hi = dist(n + 1);
        const curv = lo - 2 * c + hi;
        if (c <= lo && c <= hi && curv > 0) est = c - ((hi - lo) * (hi - lo)) / (8 * curv);
      }
      best = Math.min(best, est);
    }
    aperiodic.push(best);
    if (best > aperiodicTol && res.lyapunov[al] > -lyapunovTol) chaoticRegions.push(al);
  }
  const chaos = chaoticRegions.length > 0;
  const phase =
    currents === 'zero'
      ? chaos
        ? 'pure chaos'
        : 'quiescent'
      : currents === 'fixed-point'
        ? chaos
          ? 'fixed points + chaos'
          : 'pure fixed points'
        : chaos
          ? 'limit cycles + chaos'
          : 'pure limit cycles';
  return { currents, chaos, chaoticRegions, phase, currentAmplitude: amp, currentVariation: variation, aperiodic, lyapunov: res.lyapunov.slice() };
}
