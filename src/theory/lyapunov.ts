/**
 * The mean-field maximal Lyapunov exponent of a noisy (or chaotic) stationary network, one or several
 * populations: the rate at which two copies of the network under the same noise separate
 * (Schuecker, Goedeke & Helias 2018, "Optimal sequence memory in driven random networks"; derived here).
 *
 * A perturbation δx obeys (∂_t + 1) δx_i = Σ_j J_ij φ'(x_j) δx_j. In mean field its input is Gaussian, so
 * Q_a(t, s) = ⟨δx_i(t) δx_i(s)⟩ over i ∈ a solves
 *   (∂_t + 1)(∂_s + 1) Q_a(t, s) = Σ_b g²_ab C_φ',b(t − s) Q_b(t, s),   C_φ',b(τ) = ⟨φ'(x(t)) φ'(x(t+τ))⟩_b,
 * with x's stationary statistics (mean μ_b, autocovariance Δ_b(τ)). Q = e^{2λT} q(τ), T = (t+s)/2, gives
 *   q''(τ) + Σ_b g²_ab C_φ',b(τ) q_b = (1 + λ)² q_a :
 * (1 + λ)² is the largest eigenvalue (spectral abscissa) of ∂² + V(τ), V_ab = g²_ab C_φ',b. Chaos (λ > 0)
 * needs it above 1. As C_φ' ≤ ⟨φ'²⟩ the old criterion g²⟨φ'²⟩ ≥ 1 (local expansion) is necessary, not
 * sufficient: the noise decorrelates φ' and moves the onset of chaos to larger couplings.
 * The Euler network of step h has the same equation with (∂_t + 1) → (S − a)/h, a = 1 − h (S a step):
 *   a r [q(n+1) + q(n−1)] + h² V(n) q(n) = (r² + a²) q(n),  λ = ln(r)/h for the largest such r.
 *
 * Numerics: q even in τ on lags 0..L (reflection at 0, q = 0 beyond L; C_φ' held at its last value beyond the
 * given profile). Without a bound state the exponent is the continuum's top, (1 + λ)² = ν = ρ(g²_ab C_φ',b(∞))
 * (r = a + h√ν), which the box approaches only as 1/L², so it is taken exactly. The operator is Metzler (non-negative off the diagonal), so σ lies above its spectral
 * abscissa exactly when σI − M is a non-singular M-matrix, i.e. when Gaussian elimination meets only
 * positive pivots: bisection on that test, O(L P³) per step, no eigensolver.
 */
import { nonlinearity, type PhiName } from '../nonlinearity.js';
import { expect1, expect2, hermiteCoefficients } from './gaussian.js';
import { gainedLead } from './participationPopulations.js';

export interface StationaryPopulation {
  /** Δ(n·h), n = 0, 1, …: x's autocovariance on the lag grid (Δ(0) the variance). */
  delta: ArrayLike<number>;
  /** μ: x's mean. */
  mean: number;
}

export interface MeanFieldLyapunovOptions {
  phi: PhiName;
  /** g²_ab (rows: target a); [[g²]] for one population. */
  g2: number[][];
  pops: readonly StationaryPopulation[];
  /** Lag step of the profiles, in τ. */
  h: number;
  /** 'euler': the Euler network of step h (its map's exponent); 'continuous': the ODE, h only the grid. */
  time: 'euler' | 'continuous';
}

export interface MeanFieldLyapunov {
  /** λ_max per τ (mean field); > 0 chaotic. */
  exponent: number;
  /** Leading eigenvalue of g²_ab⟨φ'²⟩_b: above 1 the dynamics expand locally, which chaos needs but does not imply. */
  localExpansion: number;
  /** Lags 0..L of the box. */
  lags: number;
}

const MEHLER_TERMS = 400;
const MEHLER_RHO = 0.9;

/** Largest number of lags in the box (cost ∝ lags × populations³ per bisection step). */
const MAX_LAGS = 40000;

export function meanFieldLyapunov(opt: MeanFieldLyapunovOptions): MeanFieldLyapunov {
  const { g2, pops, h } = opt;
  const P = pops.length;
  if (!(h > 0 && h <= 1)) throw new RangeError(`the lag step h must be in (0, 1], got ${h}`);
  if (g2.length !== P || g2.some((row) => row.length !== P)) throw new RangeError(`g² must be ${P}×${P}`);
  const df = nonlinearity(opt.phi).df;
  const variance = pops.map((p) => p.delta[0]);
  if (!variance.every((v) => v >= 0 && Number.isFinite(v))) throw new RangeError('the profiles must start at a variance Δ(0) ≥ 0');
  const gain2 = pops.map((p, b) => expect1((x) => df(x) ** 2, variance[b], p.mean));
  const localExpansion = gainedLead(g2, gain2);
  // C_φ',b(k h) from the profile, held at its last value beyond it (⟨φ'⟩_b² once Δ has decayed, more with a static part Δ∞)
  const cphiAt = (b: number, k: number, a2: Float64Array): number => {
    const p = pops[b];
    const rho = variance[b] > 0 ? p.delta[k] / variance[b] : 0;
    if (Math.abs(rho) > MEHLER_RHO) return expect2(df, df, variance[b], variance[b], p.delta[k], p.mean, p.mean);
    let s = 0;
    for (let j = MEHLER_TERMS - 1; j >= 0; j--) s = s * rho + a2[j];
    return s;
  };
  // (Mehler: C_φ' = Σ_j a_j² ρ^j with ρ = Δ/Δ0, 400 terms exact to 0.9^400 ≈ 5e-19; nearer ρ = 1 the 2-D rule)
  const a2 = pops.map((p, b) => hermiteCoefficients(df, variance[b], MEHLER_TERMS, p.mean).map((v) => v * v));
  const far = pops.map((p, b) => cphiAt(b, p.delta.length - 1, a2[b]));
  // the top of the continuum: V at long lags, where q is a plane wave, (1 + λ)² = ν∞ = ρ(g²_ab C_φ',b(∞))
  const nuFar = gainedLead(g2, far);
  // the box: 40 decay lengths of the bound state at the onset, exp(−sqrt(1 − ν∞) τ)
  const L = Math.min(MAX_LAGS, Math.ceil(40 / Math.max(Math.sqrt(1 - Math.min(nuFar, 1)), 0.02) / h));
  // V(n)_ab = g²_ab C_φ',b(n h)
  const cphi = pops.map((p, b) => {
    const c = new Float64Array(L + 1);
    const n = Math.min(p.delta.length, L + 1);
    for (let k = 0; k < n; k++) c[k] = cphiAt(b, k, a2[b]);
    if (n <= L) c.fill(far[b], n);
    return c;
  });
  const V = (n: number, a: number, b: number) => g2[a][b] * cphi[b][n];
  let maxRow = 0;
  for (let n = 0; n <= L; n++) for (let a = 0; a < P; a++) maxRow = Math.max(maxRow, g2[a].reduce((s, _, b) => s + V(n, a, b), 0));

  // σI − M with M = c·(shifts) + w·V(n) + d·I, off-diagonal blocks −c I (−2c I from lag 0, the reflection)
  const isAbove = (sigma: number, c: number, w: number, d: number): boolean => {
    let prev: Float64Array | undefined; // S_{n−1}⁻¹
    for (let n = 0; n <= L; n++) {
      const S = new Float64Array(P * P);
      for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) S[a * P + b] = (a === b ? sigma - d : 0) - w * V(n, a, b);
      if (prev) {
        // S_n −= B_{n,n−1} S_{n−1}⁻¹ B_{n−1,n} = (c)(c or 2c) S_{n−1}⁻¹
        const f = c * c * (n === 1 ? 2 : 1);
        for (let k = 0; k < P * P; k++) S[k] -= f * prev[k];
      }
      const inv = invertWithPositivePivots(S, P);
      if (!inv) return false;
      prev = inv;
    }
    return true;
  };

  let exponent: number;
  if (opt.time === 'continuous') {
    // M = (S + S⁻¹ − 2)/h² + V; (1 + λ)² its spectral abscissa
    const c = 1 / (h * h);
    let lo = -4 * c;
    let hi = maxRow + 1e-12;
    for (let it = 0; it < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(hi)); it++) {
      const mid = 0.5 * (lo + hi);
      if (isAbove(mid, c, 1, -2 * c)) hi = mid;
      else lo = mid;
    }
    // without a bound state the box's top lies (π/2L)² below the continuum's, which is exactly ν
    const s = Math.max(0.5 * (lo + hi), nuFar);
    exponent = Math.sqrt(s) - 1;
  } else {
    // the largest r with r² + a² at the abscissa of a r (S + S⁻¹) + h² V. That abscissa exceeds 2ar, so
    // r = a lies between the two roots (the smaller one, near a − h√ν, is not a growth rate of q).
    const a = 1 - h;
    let lo = a;
    let hi = a + h * Math.sqrt(maxRow) + 1e-12;
    for (let it = 0; it < 200 && hi - lo > 1e-15; it++) {
      const r = 0.5 * (lo + hi);
      if (isAbove(r * r + a * a, a * r, h * h, 0)) hi = r;
      else lo = r;
    }
    const r = Math.max(0.5 * (lo + hi), a + h * Math.sqrt(nuFar)); // the continuum's top, as above
    exponent = Math.log(r) / h;
  }
  return { exponent, localExpansion, lags: L };
}

/** Lag step of a continuous profile sampled for its exponent (the exponent's error is O(step²)). */
const PROFILE_STEP = 0.05;

/**
 * λ_max of one population's stationary ODE state given as a continuous profile Δ(τ) → Δ∞ about the mean μ
 * (the m = 0 state: Δ∞ = μ = 0; the magnetised state of §7: both ≠ 0), Δ − Δ∞ sampled until it is 1e-12 of
 * Δ0 (then held). decayRate: the slowest decay rate of Δ − Δ∞, which sets how far the profile is sampled.
 */
export function profileLyapunov(opt: {
  phi: PhiName;
  g: number;
  delta0: number;
  deltaInf?: number;
  mean?: number;
  deltaAt: (tau: number) => number;
  decayRate: number;
}): number {
  const dInf = opt.deltaInf ?? 0;
  const span = Math.log(1e12) / Math.max(opt.decayRate, 0.02);
  const n = Math.min(MAX_LAGS, Math.ceil(span / PROFILE_STEP) + 1);
  const delta: number[] = [opt.delta0];
  for (let k = 1; k < n; k++) {
    const d = opt.deltaAt(k * PROFILE_STEP);
    delta.push(d);
    if (d - dInf < 1e-12 * opt.delta0) break;
  }
  return meanFieldLyapunov({ phi: opt.phi, g2: [[opt.g * opt.g]], pops: [{ delta, mean: opt.mean ?? 0 }], h: PROFILE_STEP, time: 'continuous' }).exponent;
}

/** S⁻¹ (P×P) when Gaussian elimination without pivoting meets only positive pivots, else undefined. */
function invertWithPositivePivots(S: Float64Array, P: number): Float64Array | undefined {
  if (P === 1) return S[0] > 0 ? Float64Array.of(1 / S[0]) : undefined;
  const A = Float64Array.from(S);
  const inv = new Float64Array(P * P);
  for (let i = 0; i < P; i++) inv[i * P + i] = 1;
  for (let k = 0; k < P; k++) {
    const p = A[k * P + k];
    if (!(p > 0)) return undefined;
    for (let i = 0; i < P; i++) {
      if (i === k) continue;
      const f = A[i * P + k] / p;
      if (f === 0) continue;
      for (let j = 0; j < P; j++) {
        A[i * P + j] -= f * A[k * P + j];
        inv[i * P + j] -= f * inv[k * P + j];
      }
    }
  }
  for (let i = 0; i < P; i++) {
    const p = A[i * P + i];
    for (let j = 0; j < P; j++) inv[i * P + j] /= p;
  }
  return inv;
}
