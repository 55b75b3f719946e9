/**
 * Gaussian integrals of the nonlinearities (THEORY §1.2), pure float64.
 *
 * Notation: for zero-mean (or mean-shifted) jointly Gaussian (x1, x2) with variances Δ11, Δ22 and
 * covariance Δ12, C_f(Δ12; Δ11, Δ22) = <f(x1) f(x2)>. Stationary form (Δ11 = Δ22 = Δ0, 0 ≤ Δ ≤ Δ0):
 *   C_f(Δ; Δ0) = ∫Dz [∫Dz1 f(sqrt(Δ0−Δ) z1 + sqrt(Δ) z)]².
 * Φ(x) = ∫_0^x φ is the antiderivative used by the DMFT potential (log cosh for tanh).
 *
 * φ = erf(√π x/2): closed forms (§1.2b). φ = tanh: probabilists' Gauss–Hermite quadrature
 * (160 nodes, computed here by Sturm bisection on the Jacobi matrix + Newton polish = Golub–Welsch
 * eigenvalues, Christoffel weights), switching to a dense composite (trapezoid) rule of ≥ 2401
 * points on z ∈ [−12, 12] when the variance exceeds 6, where Gauss–Hermite loses accuracy
 * (tanh(√Δ z) becomes step-like). A trapezoid rule on a Gaussian-weighted analytic integrand is
 * spectrally accurate, so the "fast" rule (used in the O(T²) discrete recursion) is a trapezoid rule
 * whose step is matched to the variance.
 *
 * This module does not import tfjs: it only needs the PhiName type.
 */
import erf from '@stdlib/math-base-special-erf';
import type { PhiName } from '../nonlinearity.js';

// ---------------------------------------------------------------------------------------------
// Quadrature rules for ∫Dz f(z), Dz the standard normal measure
// ---------------------------------------------------------------------------------------------

/** Nodes z and weights w with Σ w_i f(z_i) ≈ ∫Dz f(z) (weights sum to 1). */
export interface NormalRule {
  z: Float64Array;
  w: Float64Array;
}

export const GH_NODES = 160;
/** Above this variance the tanh integrals switch from Gauss–Hermite to the dense rule (§1.2a). */
export const DENSE_VARIANCE = 6;
export const DENSE_ZMAX = 12;
export const DENSE_MIN_POINTS = 2401;

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const ghCache = new Map<number, NormalRule>();

/**
 * Orthonormal probabilists' Hermite polynomials h_k = He_k/√k! at x, k = 0..n; returns
 * [h_n(x), h_{n−1}(x)].
 */
function hermitePair(n: number, x: number): [number, number] {
  let hPrev = 0;
  let h = 1;
  for (let k = 0; k < n; k++) {
    const next = (x * h - Math.sqrt(k) * hPrev) / Math.sqrt(k + 1);
    hPrev = h;
    h = next;
  }
  return [h, hPrev];
}

/** Number of eigenvalues of the n×n Hermite Jacobi matrix (zero diagonal, off-diagonal √k) below x (Sturm count). */
function sturmCount(n: number, x: number): number {
  let count = 0;
  let q = -x; // d_1 − x with d = 0
  if (q < 0) count++;
  for (let k = 1; k < n; k++) {
    if (q === 0) q = 1e-300;
    q = -x - k / q; // b_k² = k
    if (q < 0) count++;
  }
  return count;
}

/**
 * Probabilists' Gauss–Hermite rule with n nodes, weights normalised to the standard normal measure.
 * Golub–Welsch: the nodes are the eigenvalues of the Jacobi matrix (found by bisection on Sturm
 * counts, then polished by Newton on h_n), the weights are 1/(n h_{n−1}(z)²).
 */
export function gaussHermite(n: number): NormalRule {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Gauss–Hermite needs a positive integer node count, got ${n}`);
  const cached = ghCache.get(n);
  if (cached) return cached;
  const z = new Float64Array(n);
  const w = new Float64Array(n);
  const bound = 2 * Math.sqrt(n) + 2; // Gershgorin: |λ| ≤ 2 max √k
  for (let i = 0; i < n; i++) {
    // i-th smallest eigenvalue
    let lo = -bound;
    let hi = bound;
    for (let it = 0; it < 200 && hi - lo > 1e-14 * Math.max(1, Math.abs(lo) + Math.abs(hi)); it++) {
      const mid = 0.5 * (lo + hi);
      if (sturmCount(n, mid) > i) hi = mid;
      else lo = mid;
    }
    let x = 0.5 * (lo + hi);
    for (let it = 0; it < 3; it++) {
      const [hn, hn1] = hermitePair(n, x);
      const d = Math.sqrt(n) * hn1; // h_n' = √n h_{n−1}
      if (d === 0) break;
      const step = hn / d;
      if (!Number.isFinite(step) || Math.abs(step) > 1e-6) break;
      x -= step;
    }
    z[i] = x;
  }
  // enforce exact symmetry
  for (let i = 0; i < n / 2; i++) {
    const s = 0.5 * (z[n - 1 - i] - z[i]);
    z[i] = -s;
    z[n - 1 - i] = s;
  }
  if (n % 2 === 1) z[(n - 1) / 2] = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const [, hn1] = hermitePair(n, z[i]);
    w[i] = 1 / (n * hn1 * hn1);
    total += w[i];
  }
  for (let i = 0; i < n; i++) w[i] /= total; // removes the last ulp of drift
  const rule = { z, w };
  ghCache.set(n, rule);
  return rule;
}

const trapCache = new Map<string, NormalRule>();

/** Composite trapezoid rule for ∫Dz on [−zmax, zmax] with `points` nodes (the Gaussian weight is in w). */
export function trapezoidRule(zmax: number, points: number): NormalRule {
  const key = `${zmax}:${points}`;
  const cached = trapCache.get(key);
  if (cached) return cached;
  const z = new Float64Array(points);
  const w = new Float64Array(points);
  const h = (2 * zmax) / (points - 1);
  for (let i = 0; i < points; i++) {
    const x = -zmax + i * h;
    z[i] = x;
    w[i] = h * INV_SQRT_2PI * Math.exp(-0.5 * x * x) * (i === 0 || i === points - 1 ? 0.5 : 1);
  }
  const rule = { z, w };
  if (trapCache.size > 2000) trapCache.clear();
  trapCache.set(key, rule);
  return rule;
}

/** Dense composite rule of §1.2a: ≥ 2401 points on [−12, 12], more if √variance demands (x-spacing ≤ 0.15). */
export function denseRule(variance: number): NormalRule {
  const need = Math.ceil((2 * DENSE_ZMAX * Math.sqrt(Math.max(variance, 0))) / 0.15) + 1;
  const points = Math.max(DENSE_MIN_POINTS, need % 2 === 0 ? need + 1 : need);
  return trapezoidRule(DENSE_ZMAX, points);
}

/** Reference rule for a Gaussian of the given variance: 160-node Gauss–Hermite, dense above variance 6. */
export function referenceRule(variance: number): NormalRule {
  return variance > DENSE_VARIANCE ? denseRule(variance) : gaussHermite(GH_NODES);
}

/**
 * Fast spectrally accurate rule: trapezoid on [−8.5, 8.5] with step min(0.3, 0.27/√variance)
 * (≈ 1e-15 for tanh and erf whose singularities/growth sit ≥ π/(2√variance) off the real z axis).
 */
export function fastRule(variance: number): NormalRule {
  const h = Math.min(0.3, 0.27 / Math.sqrt(Math.max(variance, 1e-300)));
  let n = Math.ceil(17 / h);
  if (n % 2 === 1) n++;
  // quantise the point count to keep the cache small
  n = n <= 64 ? n : 8 * Math.ceil(n / 8);
  return trapezoidRule(8.5, n + 1);
}

// ---------------------------------------------------------------------------------------------
// Generic expectations
// ---------------------------------------------------------------------------------------------

export type Fn = (x: number) => number;
export type RuleChooser = (variance: number) => NormalRule;

/** <f(x)>, x ~ N(mu, variance). */
export function expect1(f: Fn, variance: number, mu = 0, rule: RuleChooser = referenceRule): number {
  if (!(variance > 0)) return f(mu);
  const { z, w } = rule(variance);
  const s = Math.sqrt(variance);
  let acc = 0;
  for (let i = 0; i < z.length; i++) acc += w[i] * f(mu + s * z[i]);
  return acc;
}

/**
 * <f1(x1) f2(x2)> for jointly Gaussian x with means (mu1, mu2), variances d11, d22, covariance d12:
 * x1 = mu1 + √d11 z1, x2 = mu2 + (d12/√d11) z1 + sqrt(d22 − d12²/d11) z2 (nested 2-D rule).
 */
export function expect2(
  f1: Fn,
  f2: Fn,
  d11: number,
  d22: number,
  d12: number,
  mu1 = 0,
  mu2 = 0,
  rule: RuleChooser = referenceRule,
): number {
  if (!(d11 > 0)) return f1(mu1) * expect1(f2, d22, mu2, rule);
  if (!(d22 > 0)) return f2(mu2) * expect1(f1, d11, mu1, rule);
  const s1 = Math.sqrt(d11);
  const c = d12 / s1;
  const cond = Math.max(d22 - c * c, 0);
  const outer = rule(d11);
  let acc = 0;
  if (cond <= 1e-300) {
    for (let i = 0; i < outer.z.length; i++) {
      const z1 = outer.z[i];
      acc += outer.w[i] * f1(mu1 + s1 * z1) * f2(mu2 + c * z1);
    }
    return acc;
  }
  const inner = rule(cond);
  const sc = Math.sqrt(cond);
  const iz = inner.z;
  const iw = inner.w;
  for (let i = 0; i < outer.z.length; i++) {
    const z1 = outer.z[i];
    const base = mu2 + c * z1;
    let in2 = 0;
    for (let j = 0; j < iz.length; j++) in2 += iw[j] * f2(base + sc * iz[j]);
    acc += outer.w[i] * f1(mu1 + s1 * z1) * in2;
  }
  return acc;
}

/** Stationary nested form C_f(Δ;Δ0) = ∫Dz [∫Dz1 f(sqrt(Δ0−Δ) z1 + sqrt(Δ) z)]², 0 ≤ Δ ≤ Δ0 (also with a common mean mu). */
export function expectStationary(
  f: Fn,
  delta: number,
  delta0: number,
  mu = 0,
  rule: RuleChooser = referenceRule,
  innerRule: RuleChooser = rule,
): number {
  const d = Math.min(Math.max(delta, 0), delta0);
  const inVar = delta0 - d;
  if (!(d > 0)) {
    const m = expect1(f, inVar, mu, rule);
    return m * m;
  }
  const outer = rule(d);
  const sOut = Math.sqrt(d);
  let acc = 0;
  if (!(inVar > 0)) {
    for (let i = 0; i < outer.z.length; i++) {
      const v = f(mu + sOut * outer.z[i]);
      acc += outer.w[i] * v * v;
    }
    return acc;
  }
  const inner = innerRule(inVar);
  const sIn = Math.sqrt(inVar);
  const iz = inner.z;
  const iw = inner.w;
  for (let i = 0; i < outer.z.length; i++) {
    const base = mu + sOut * outer.z[i];
    let m = 0;
    for (let j = 0; j < iz.length; j++) m += iw[j] * f(base + sIn * iz[j]);
    acc += outer.w[i] * m * m;
  }
  return acc;
}

/**
 * Orthonormal Hermite (Mehler) coefficients a_j = <f(mu + √variance z) h_j(z)>, j = 0..J−1,
 * h_j = He_j/√j!. Then for x1, x2 with correlation ρ: <f(x1) f(x2)> = Σ_j ρ^j a_j(1) a_j(2) (Mehler).
 * For bounded f the integrand is [f e^{−z²/4}]·[h_j e^{−z²/4}] with the second factor an
 * L²-normalised Hermite function (|·| ≲ 1), so |z| ≤ 12.5 truncates below 1e-16 for every j; the
 * trapezoid step (≤ 0.1, ≤ 0.2/√variance, ≤ 2.4/√J) resolves the Hermite oscillations (local
 * wavenumber ≤ √(j + 1/2)) and f. At most 1000 terms.
 */
export function hermiteCoefficients(f: Fn, variance: number, J: number, mu = 0): Float64Array {
  const a = new Float64Array(J);
  if (!(variance > 0)) {
    a[0] = f(mu);
    return a;
  }
  if (J > 1000) throw new RangeError(`hermiteCoefficients: at most 1000 terms, got ${J}`);
  const zmax = 12.5;
  const h = Math.min(0.1, 0.2 / Math.sqrt(variance), 2.4 / Math.sqrt(J));
  const n = 2 * Math.ceil(zmax / h);
  const hh = (2 * zmax) / n;
  const s = Math.sqrt(variance);
  const sq = new Float64Array(J + 1);
  for (let k = 0; k <= J; k++) sq[k] = Math.sqrt(k);
  for (let i = 0; i <= n; i++) {
    const x = -zmax + i * hh;
    const wt = hh * INV_SQRT_2PI * Math.exp(-0.5 * x * x) * (i === 0 || i === n ? 0.5 : 1) * f(mu + s * x);
    if (wt === 0) continue;
    let hPrev = 0;
    let hk = 1;
    for (let k = 0; k < J; k++) {
      a[k] += wt * hk;
      const next = (x * hk - sq[k] * hPrev) / sq[k + 1];
      hPrev = hk;
      hk = next;
    }
  }
  return a;
}

/**
 * Stable log cosh x: |x| + log1p(e^{−2|x|}) − log 2 (= logaddexp(x, −x) − log 2, no overflow) for
 * |x| ≥ 0.5, log1p(2 sinh²(x/2)) below (full relative accuracy near 0, where log cosh x ≈ x²/2).
 */
export function logCosh(x: number): number {
  const a = Math.abs(x);
  if (a < 0.5) {
    const s = Math.sinh(a / 2);
    return Math.log1p(2 * s * s);
  }
  return a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
}

// ---------------------------------------------------------------------------------------------
// erf(√π x/2) closed forms (§1.2b)
// ---------------------------------------------------------------------------------------------

const HALF_SQRT_PI = Math.sqrt(Math.PI) / 2;
const TWO_OVER_PI = 2 / Math.PI;

export const erfClosed = {
  /** <φ'(x)> = (1 + πΔ/2)^(−1/2), x ~ N(mu, Δ) (mean factor exp(−πmu²/(4(1+πΔ/2)))). */
  meanGain(delta: number, mu = 0): number {
    const q = 1 + (Math.PI * delta) / 2;
    return Math.exp((-Math.PI * mu * mu) / (4 * q)) / Math.sqrt(q);
  },
  /** <φ'(x)²> = (1 + πΔ)^(−1/2), x ~ N(mu, Δ). */
  meanGain2(delta: number, mu = 0): number {
    const q = 1 + Math.PI * delta;
    return Math.exp((-Math.PI * mu * mu) / (2 * q)) / Math.sqrt(q);
  },
  /** <φ(x)> = erf(√π mu / (2 sqrt(1 + πΔ/2))). */
  meanPhi(delta: number, mu = 0): number {
    return erf((HALF_SQRT_PI * mu) / Math.sqrt(1 + (Math.PI * delta) / 2));
  },
  /** C_φ(Δ12; Δ11, Δ22) = (2/π) arcsin(Δ12 / sqrt((Δ11 + 2/π)(Δ22 + 2/π))) (zero means). */
  cphi(d12: number, d11: number, d22: number): number {
    const r = d12 / Math.sqrt((d11 + TWO_OVER_PI) * (d22 + TWO_OVER_PI));
    return TWO_OVER_PI * Math.asin(Math.max(-1, Math.min(1, r)));
  },
  /** <φ'(x1)φ'(x2)> = [(1 + πΔ11/2)(1 + πΔ22/2) − (πΔ12/2)²]^(−1/2) (zero means). */
  cdphi(d12: number, d11: number, d22: number): number {
    const h = Math.PI / 2;
    return 1 / Math.sqrt((1 + h * d11) * (1 + h * d22) - (h * d12) ** 2);
  },
  /**
   * Stationary C_Φ antiderivative in Δ (A = Δ0 + 2/π): (2/π)[sqrt(A² − Δ²) + Δ arcsin(Δ/A)].
   * Differs from the raw moment <Φ(x1)Φ(x2)> by a Δ-independent constant (see cPhiStationary).
   */
  cPhiAntiderivative(delta: number, delta0: number): number {
    const A = delta0 + TWO_OVER_PI;
    return TWO_OVER_PI * (Math.sqrt(Math.max(A * A - delta * delta, 0)) + delta * Math.asin(Math.min(1, delta / A)));
  },
  /** <Φ(x)> for x ~ N(0, Δ0): Δ0 ψ + (2/π)(ψ − 1), ψ = <φ'>. */
  meanPhiAnti(delta0: number): number {
    const psi = 1 / Math.sqrt(1 + (Math.PI * delta0) / 2);
    return delta0 * psi + TWO_OVER_PI * (psi - 1);
  },
  /** ψ⁻¹: the variance Δ with <φ'> = gain, Δ = 2(1/gain² − 1)/π (§1.2b with x = 1/gain). */
  gainInverse(gain: number): number {
    const x = 1 / gain;
    return (2 * (x * x - 1)) / Math.PI;
  },
};

// ---------------------------------------------------------------------------------------------
// Common interface keyed by PhiName
// ---------------------------------------------------------------------------------------------

export interface GaussianPhi {
  name: PhiName;
  /** φ, φ', φ''' (the last for near-critical expansions) and Φ = ∫_0^x φ. */
  f: Fn;
  df: Fn;
  /** Φ(x) = ∫_0^x φ (log cosh for tanh; x·erf(√πx/2) + (2/π)(e^{−πx²/4} − 1) for erf). */
  F: Fn;
  /** Odd φ with φ'(0) = 1 (both built-ins). */
  slopeAtZero: number;
  /** Cubic coefficient c3 of φ = x + c3 x³ + … (tanh −1/3, erf −π/12). */
  c3: number;
  /** <φ(x)>, x ~ N(mu, Δ). */
  meanPhi(delta: number, mu?: number): number;
  /** <φ'(x)>. */
  meanGain(delta: number, mu?: number): number;
  /** <φ'(x)²>. */
  meanGain2(delta: number, mu?: number): number;
  /** <φ(x)²>. */
  meanPhi2(delta: number, mu?: number): number;
  /** <Φ(x)> and Var Φ(x), x ~ N(0, Δ0) (1-D integrals, for the energy W(Δ0) = Δ0²/2 − g² Var Φ). */
  meanPhiAnti(delta0: number): number;
  varPhiAnti(delta0: number): number;
  /** General bivariate C_φ(Δ12; Δ11, Δ22) with optional means. */
  cphi(d12: number, d11: number, d22: number, mu1?: number, mu2?: number): number;
  /** General bivariate <φ'(x1) φ'(x2)>. */
  cdphi(d12: number, d11: number, d22: number, mu1?: number, mu2?: number): number;
  /** Stationary C_φ(Δ; Δ0) (common mean mu). */
  cphiStationary(delta: number, delta0: number, mu?: number): number;
  /** Stationary raw moment C_Φ(Δ; Δ0) = <Φ(x1) Φ(x2)> (common mean mu, default 0). */
  cPhiStationary(delta: number, delta0: number, mu?: number): number;
  /**
   * Squared orthonormal Hermite coefficients a_j², j < J, of φ(√Δ0 z) (zero mean), so that
   * C_φ(Δ;Δ0) = Σ_j (Δ/Δ0)^j a_j² (Mehler) and C_Φ(Δ) − C_Φ(0) = Δ0 Σ_{k≥1} (Δ/Δ0)^k a_{k−1}²/k.
   */
  hermiteSquared(delta0: number, J: number): Float64Array;
  /** Signed orthonormal Hermite coefficients of φ(mu + √Δ z). */
  hermite(delta: number, J: number, mu?: number): Float64Array;
}

const tanhDf: Fn = (x) => {
  const t = Math.tanh(x);
  return 1 - t * t;
};
const sq = (f: Fn): Fn => (x) => {
  const v = f(x);
  return v * v;
};

/**
 * Inner rule of the nested stationary form: Gauss–Hermite up to variance 6, above that the fast
 * spectrally accurate trapezoid (a dense × dense 2-D rule would cost 2401² evaluations).
 */
export const innerReferenceRule: RuleChooser = (v) => (v > DENSE_VARIANCE ? fastRule(v) : gaussHermite(GH_NODES));

function makeQuadraturePhi(name: PhiName, f: Fn, df: Fn, F: Fn, c3: number): GaussianPhi {
  const f2 = sq(f);
  const F2 = sq(F);
  const df2 = sq(df);
  return {
    name,
    f,
    df,
    F,
    slopeAtZero: 1,
    c3,
    meanPhi: (delta, mu = 0) => expect1(f, delta, mu),
    meanGain: (delta, mu = 0) => expect1(df, delta, mu),
    meanGain2: (delta, mu = 0) => expect1(df2, delta, mu),
    meanPhi2: (delta, mu = 0) => expect1(f2, delta, mu),
    meanPhiAnti: (delta0) => expect1(F, delta0),
    varPhiAnti: (delta0) => {
      const m = expect1(F, delta0);
      return expect1(F2, delta0) - m * m;
    },
    cphi: (d12, d11, d22, mu1 = 0, mu2 = 0) => expect2(f, f, d11, d22, d12, mu1, mu2),
    cdphi: (d12, d11, d22, mu1 = 0, mu2 = 0) => expect2(df, df, d11, d22, d12, mu1, mu2),
    cphiStationary: (delta, delta0, mu = 0) => expectStationary(f, delta, delta0, mu, referenceRule, innerReferenceRule),
    cPhiStationary: (delta, delta0, mu = 0) => expectStationary(F, delta, delta0, mu, referenceRule, innerReferenceRule),
    hermiteSquared: (delta0, J) => hermiteCoefficients(f, delta0, J).map((v) => v * v),
    hermite: (delta, J, mu = 0) => hermiteCoefficients(f, delta, J, mu),
  };
}

const erfF: Fn = (x) => erf(HALF_SQRT_PI * x);
const erfDf: Fn = (x) => Math.exp(-(Math.PI / 4) * x * x);
const erfAnti: Fn = (x) => x * erf(HALF_SQRT_PI * x) + TWO_OVER_PI * Math.expm1(-(Math.PI / 4) * x * x);

const tanhPhi = makeQuadraturePhi('tanh', Math.tanh, tanhDf, logCosh, -1 / 3);

/**
 * Closed-form Gaussian smoothing for erf(a x), a = √π/2, q = sqrt(1 + 2a²v):
 *   E[φ(y + √v Z)] = erf(a y/q),   E[φ'(y + √v Z)] = e^{−a²y²/q²}/q,
 *   E[Φ(y + √v Z)] = y erf(a y/q) + (v + 2/π) e^{−a²y²/q²}/q − 2/π   (Stein's lemma).
 * Used as the inner integral of the 2-D forms with nonzero means (1-D outer quadrature).
 */
const A2 = Math.PI / 4;
const erfSmooth = {
  f: (y: number, v: number) => erf((HALF_SQRT_PI * y) / Math.sqrt(1 + 2 * A2 * v)),
  df: (y: number, v: number) => {
    const q2 = 1 + 2 * A2 * v;
    return Math.exp((-A2 * y * y) / q2) / Math.sqrt(q2);
  },
  F: (y: number, v: number) => {
    const q2 = 1 + 2 * A2 * v;
    const q = Math.sqrt(q2);
    return y * erf((HALF_SQRT_PI * y) / q) + ((v + TWO_OVER_PI) * Math.exp((-A2 * y * y) / q2)) / q - TWO_OVER_PI;
  },
};

/** ∫Dz [S(mu + √delta z, delta0 − delta)]², S a closed-form smoothing (stationary form, 1-D). */
function smoothedStationary(S: (y: number, v: number) => number, delta: number, delta0: number, mu: number): number {
  const d = Math.min(Math.max(delta, 0), delta0);
  const v = delta0 - d;
  if (!(d > 0)) {
    const m = S(mu, v);
    return m * m;
  }
  const { z, w } = referenceRule(d);
  const sd = Math.sqrt(d);
  let acc = 0;
  for (let i = 0; i < z.length; i++) {
    const m = S(mu + sd * z[i], v);
    acc += w[i] * m * m;
  }
  return acc;
}

/** <f(x1) f(x2)> with the inner integral in closed form: ∫Dz1 f(x1) S(mu2 + c z1, cond). */
function smoothedBivariate(f: Fn, S: (y: number, v: number) => number, d12: number, d11: number, d22: number, mu1: number, mu2: number): number {
  if (!(d11 > 0)) return f(mu1) * S(mu2, Math.max(d22, 0));
  const s1 = Math.sqrt(d11);
  const c = d12 / s1;
  const cond = Math.max(d22 - c * c, 0);
  const { z, w } = referenceRule(d11);
  let acc = 0;
  for (let i = 0; i < z.length; i++) acc += w[i] * f(mu1 + s1 * z[i]) * S(mu2 + c * z[i], cond);
  return acc;
}

const erfGeneric = makeQuadraturePhi('erf', erfF, erfDf, erfAnti, -Math.PI / 12);

const erfPhi: GaussianPhi = {
  ...erfGeneric,
  meanPhi: (delta, mu = 0) => erfClosed.meanPhi(delta, mu),
  meanGain: (delta, mu = 0) => erfClosed.meanGain(delta, mu),
  meanGain2: (delta, mu = 0) => erfClosed.meanGain2(delta, mu),
  meanPhiAnti: (delta0) => erfClosed.meanPhiAnti(delta0),
  varPhiAnti: (delta0) => {
    // <Φ²> = C̃_Φ(Δ0;Δ0) + <Φ>² − C̃_Φ(0;Δ0), C̃ the closed-form antiderivative, C̃(0) = (2/π)A.
    const A = delta0 + TWO_OVER_PI;
    return erfClosed.cPhiAntiderivative(delta0, delta0) - TWO_OVER_PI * A;
  },
  meanPhi2: (delta, mu = 0) => (mu === 0 ? erfClosed.cphi(delta, delta, delta) : smoothedStationary(erfSmooth.f, delta, delta, mu)),
  cphi: (d12, d11, d22, mu1 = 0, mu2 = 0) =>
    mu1 === 0 && mu2 === 0 ? erfClosed.cphi(d12, d11, d22) : smoothedBivariate(erfF, erfSmooth.f, d12, d11, d22, mu1, mu2),
  cdphi: (d12, d11, d22, mu1 = 0, mu2 = 0) =>
    mu1 === 0 && mu2 === 0 ? erfClosed.cdphi(d12, d11, d22) : smoothedBivariate(erfDf, erfSmooth.df, d12, d11, d22, mu1, mu2),
  cphiStationary: (delta, delta0, mu = 0) =>
    mu === 0 ? erfClosed.cphi(delta, delta0, delta0) : smoothedStationary(erfSmooth.f, delta, delta0, mu),
  cPhiStationary: (delta, delta0, mu = 0) => {
    if (mu !== 0) return smoothedStationary(erfSmooth.F, delta, delta0, mu);
    const m = erfClosed.meanPhiAnti(delta0);
    const A = delta0 + TWO_OVER_PI;
    return erfClosed.cPhiAntiderivative(delta, delta0) - TWO_OVER_PI * A + m * m;
  },
  hermiteSquared: (delta0, J) => {
    // (2/π) arcsin(ρS), S = Δ0/(Δ0 + 2/π): a_{2n+1}² = (2/π) (2n)!/(4^n (n!)² (2n+1)) S^{2n+1}.
    const out = new Float64Array(J);
    const S = delta0 / (delta0 + TWO_OVER_PI);
    let c = 1; // (2n)!/(4^n (n!)²)
    let Sp = S;
    for (let n = 0; 2 * n + 1 < J; n++) {
      out[2 * n + 1] = TWO_OVER_PI * (c / (2 * n + 1)) * Sp;
      c *= (2 * n + 1) / (2 * n + 2);
      Sp *= S * S;
    }
    return out;
  },
};

export function gaussianPhi(name: PhiName): GaussianPhi {
  if (name === 'tanh') return tanhPhi;
  if (name === 'erf') return erfPhi;
  throw new RangeError(`unknown nonlinearity '${String(name)}' (expected tanh or erf)`);
}

/** Generic (quadrature-only) versions, used to validate the erf closed forms (V1). */
export function quadraturePhi(name: PhiName): GaussianPhi {
  if (name === 'tanh') return tanhPhi;
  return erfGeneric;
}
