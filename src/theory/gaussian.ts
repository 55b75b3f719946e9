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
 * whose step is matched to the variance. Both cost ∝ √variance per dimension, so above variance 6 the
 * tanh expectations of GaussianPhi use TANH_SATURATION instead: Gauss–Legendre panels on the window
 * |x| ≤ 20 and exact Gauss rules on the tails, where tanh, φ', log cosh are polynomials (saturatedRule),
 * at a cost independent of the variance.
 *
 * This module does not import tfjs: it only needs the PhiName type.
 */
import erf from '@stdlib/math-base-special-erf';
import normalCdf from '@stdlib/stats/base/dists/normal/cdf/lib/index.js';
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
  let n = Math.ceil((2 * FAST_ZMAX) / fastStep(variance));
  if (n % 2 === 1) n++;
  // quantise the point count to keep the cache small
  n = n <= 64 ? n : 8 * Math.ceil(n / 8);
  return trapezoidRule(FAST_ZMAX, n + 1);
}

const FAST_ZMAX = 8.5;

/** Largest z-step of the fast rule for f(√variance z): 0.3 for the Gaussian weight, 0.27/√variance for f. */
export function fastStep(variance: number): number {
  return Math.min(0.3, 0.27 / Math.sqrt(Math.max(variance, 1e-300)));
}

// ---------------------------------------------------------------------------------------------
// Saturating integrands at large variance: a finite window plus exact polynomial tails
// ---------------------------------------------------------------------------------------------
//
// The dense and fast rules above resolve tanh(x) in x with a z-step ∝ 1/√variance, so their cost
// grows like √variance (and a nested 2-D integral like the variance). But tanh, φ' = 1 − tanh²,
// log cosh and their squares are polynomials in x (degree ≤ 2) for |x| ≥ 20 to double precision:
// tanh(20) = 1 − 8e-18 rounds to 1, so there φ' = 0 and log cosh x = |x| − log 2 + 4e-18. Split
// ∫Dz f(μ + s z) at the window |x| ≤ 20: inside, Gauss–Legendre panels of fixed width in x (their
// number does not grow with s); outside, on each tail, the 2-node Gauss rule of the truncated normal
// weight, exact for polynomials of degree ≤ 3 in z (normal CDF and pdf in closed form).
//
// In a nested integral the outer integrand is a Gaussian smoothing m(y) = E[f(y + σ z)] of f. It is
// again polynomial (to 1e-19) beyond |y| > 20 + 9σ, and analytic with no features finer than ~σ, so
// the same construction applies with a wider window and panels of width ~2σ: again a bounded count.

/** The normal mass beyond Z_CUT = 9 is 1e-19: windows are clipped there, a smoothing of s.d. σ reaches 9σ. */
const Z_CUT = 9;
/** Nodes per Gauss–Legendre panel. */
const PANEL_NODES = 20;
/** Widest panel in z, so that the Gaussian weight itself is resolved. */
const MAX_Z_PANEL = 2;
/** A Gaussian smoothing of s.d. σ leaves no features finer than σ: panels up to this many σ wide. */
const SMOOTHED_PANEL = 2;

const glCache = new Map<number, { x: Float64Array; w: Float64Array }>();

/** Gauss–Legendre rule on [−1, 1] (Newton on the Legendre recurrence from Chebyshev-like guesses). */
export function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const cached = glCache.get(n);
  if (cached) return cached;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 1;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = t;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (t * p1 - p0)) / (t * t - 1);
      const step = p1 / dp;
      t -= step;
      if (Math.abs(step) < 1e-16) break;
    }
    x[i] = -t;
    x[n - 1 - i] = t;
    w[i] = w[n - 1 - i] = 2 / ((1 - t * t) * dp * dp);
  }
  const rule = { x, w };
  glCache.set(n, rule);
  return rule;
}

/** Standard-normal upper tail Q(z) = P(Z > z) (erfc-based, full relative accuracy for large z). */
export function normalTail(z: number): number {
  return normalCdf(-z, 0, 1);
}

/**
 * Writes the 2-node Gauss rule of the weight φ(z) on [lo, hi] (either end may be infinite; exact for
 * cubics in z) at index k of z, w; returns the next index. Moments J_k = ∫(z − c)^k φ from
 * J_{k+1} = k J_{k−1} − c J_k + [(z − c)^k φ]_hi^lo, about the end c nearest the normal's bulk,
 * which keeps them well conditioned.
 */
function putNormalPair(lo: number, hi: number, z: Float64Array, w: Float64Array, k: number): number {
  let mass: number;
  let c: number;
  if (lo >= 0) {
    mass = normalTail(lo) - normalTail(hi);
    c = lo;
  } else if (hi <= 0) {
    mass = normalTail(-hi) - normalTail(-lo);
    c = hi;
  } else {
    mass = 1 - normalTail(-lo) - normalTail(hi);
    c = 0;
  }
  if (!(mass > 0)) return k;
  const pl = Number.isFinite(lo) ? INV_SQRT_2PI * Math.exp(-0.5 * lo * lo) : 0;
  const ph = Number.isFinite(hi) ? INV_SQRT_2PI * Math.exp(-0.5 * hi * hi) : 0;
  const el = Number.isFinite(lo) ? lo - c : 0;
  const eh = Number.isFinite(hi) ? hi - c : 0;
  const j1 = -c * mass + pl - ph;
  const j2 = mass - c * j1 + el * pl - eh * ph;
  const j3 = 2 * j1 - c * j2 + el * el * pl - eh * eh * ph;
  const m = j1 / mass;
  const v = j2 / mass - m * m;
  if (!(v > 0)) {
    // degenerate (a far tail of negligible mass, moments lost to rounding): one node at the mean
    z[k] = c + m;
    w[k] = mass;
    return k + 1;
  }
  // monic orthogonal quadratic in d = t − m: d² − (κ3/v) d − v; roots d+ > 0 > d−, d+ d− = −v
  const k3 = j3 / mass - 3 * m * (j2 / mass) + 2 * m * m * m;
  const h = k3 / (2 * v);
  const r = Math.sqrt(h * h + v);
  const dPlus = h >= 0 ? h + r : -v / (h - r);
  const dMinus = -v / dPlus;
  z[k] = c + m + dMinus;
  w[k] = (mass * dPlus) / (dPlus - dMinus);
  z[k + 1] = c + m + dPlus;
  w[k + 1] = (-mass * dMinus) / (dPlus - dMinus);
  return k + 2;
}

/**
 * One factor g(offset + slope·z) of an integrand in z: g is a polynomial for u > edge and another
 * for u < −edge, and analytic for |u| ≤ edge with no features finer than `scale` (all in x units).
 */
export interface SaturatingFactor {
  offset: number;
  slope: number;
  edge: number;
  scale: number;
}

/**
 * Rule for ∫Dz Π g_i(offset_i + slope_i z) whose factors saturate (SaturatingFactor) and whose product
 * beyond the windows is a polynomial of degree ≤ 3 in z: Gauss–Legendre panels over the union of
 * the factors' windows (clipped to |z| ≤ 9), the 2-node truncated-normal Gauss rule on each
 * interval between them. The node count is bounded independently of the slopes.
 */
export function saturatedRule(factors: SaturatingFactor[]): NormalRule {
  const windows: { lo: number; hi: number; width: number }[] = [];
  for (const f of factors) {
    if (f.slope === 0) continue; // a constant factor
    const a = (-f.edge - f.offset) / f.slope;
    const b = (f.edge - f.offset) / f.slope;
    const lo = Math.max(Math.min(a, b), -Z_CUT);
    const hi = Math.min(Math.max(a, b), Z_CUT);
    if (hi > lo) windows.push({ lo, hi, width: Math.min(MAX_Z_PANEL, f.scale / Math.abs(f.slope)) });
  }
  if (windows.length > 1) windows.sort((p, q) => p.lo - q.lo);
  const merged: { lo: number; hi: number; panels: number }[] = [];
  let width = Infinity;
  for (let i = 0; i < windows.length; i++) {
    const win = windows[i];
    const last = merged[merged.length - 1];
    if (last && win.lo <= last.hi) {
      last.hi = Math.max(last.hi, win.hi);
      width = Math.min(width, win.width);
    } else {
      if (last) last.panels = Math.max(1, Math.ceil((last.hi - last.lo) / width - 1e-9));
      merged.push({ lo: win.lo, hi: win.hi, panels: 0 });
      width = win.width;
    }
  }
  let count = 2;
  if (merged.length > 0) {
    const last = merged[merged.length - 1];
    last.panels = Math.max(1, Math.ceil((last.hi - last.lo) / width - 1e-9));
    for (const win of merged) count += 2 + win.panels * PANEL_NODES;
  }
  const gl = gaussLegendre(PANEL_NODES);
  const z = new Float64Array(count);
  const w = new Float64Array(count);
  let k = 0;
  let prev = -Infinity;
  for (const win of merged) {
    k = putNormalPair(prev, win.lo, z, w, k);
    const half = (win.hi - win.lo) / (2 * win.panels);
    for (let p = 0; p < win.panels; p++) {
      const mid = win.lo + (2 * p + 1) * half;
      for (let i = 0; i < PANEL_NODES; i++) {
        const zi = mid + half * gl.x[i];
        z[k] = zi;
        w[k++] = half * gl.w[i] * INV_SQRT_2PI * Math.exp(-0.5 * zi * zi);
      }
    }
    prev = win.hi;
  }
  k = putNormalPair(prev, Infinity, z, w, k);
  return k === count ? { z, w } : { z: z.subarray(0, k), w: w.subarray(0, k) };
}

/**
 * How a family of integrands saturates (tanh: TANH_SATURATION), and the rules used at or below
 * `minVariance`, where the integrals keep their previous rules unchanged.
 */
export interface SaturatingRule {
  /** f is polynomial (degree ≤ 2) in x beyond |x| > edge. */
  edge: number;
  /** Panel width in x inside the window. */
  scale: number;
  minVariance: number;
  /** 1-D, outer and bivariate rule at or below minVariance. */
  rule: RuleChooser;
  /** Inner rule of the stationary nested form at or below minVariance. */
  innerRule: RuleChooser;
}

/** The factor f(offset + slope z) of a saturating f already smoothed by a Gaussian of variance `smoothing`. */
function smoothedFactor(sat: SaturatingRule, offset: number, slope: number, smoothing: number): SaturatingFactor {
  const sd = Math.sqrt(smoothing);
  return { offset, slope, edge: sat.edge + Z_CUT * sd, scale: Math.max(sat.scale, SMOOTHED_PANEL * sd) };
}

// ---------------------------------------------------------------------------------------------
// Generic expectations
// ---------------------------------------------------------------------------------------------

export type Fn = (x: number) => number;
export type RuleChooser = (variance: number) => NormalRule;
/** A rule chooser, or the saturation of f (window + tails above its minVariance). */
export type Rules = RuleChooser | SaturatingRule;

/** <f(x)>, x ~ N(mu, variance). */
export function expect1(f: Fn, variance: number, mu = 0, rule: Rules = referenceRule): number {
  if (!(variance > 0)) return f(mu);
  const s = Math.sqrt(variance);
  const { z, w } =
    typeof rule === 'function'
      ? rule(variance)
      : variance <= rule.minVariance
        ? rule.rule(variance)
        : saturatedRule([smoothedFactor(rule, mu, s, 0)]);
  let acc = 0;
  for (let i = 0; i < z.length; i++) acc += w[i] * f(mu + s * z[i]);
  return acc;
}

/**
 * <f1(x1) f2(x2)> for jointly Gaussian x with means (mu1, mu2), variances d11, d22, covariance d12:
 * x1 = mu1 + √d11 z1, x2 = mu2 + (d12/√d11) z1 + sqrt(d22 − d12²/d11) z2 (nested 2-D rule).
 * With a SaturatingRule above its minVariance, the outer rule covers the windows of f1 and of the
 * smoothed f2, and the inner rule is placed around each outer node's mean.
 */
export function expect2(
  f1: Fn,
  f2: Fn,
  d11: number,
  d22: number,
  d12: number,
  mu1 = 0,
  mu2 = 0,
  rule: Rules = referenceRule,
): number {
  if (!(d11 > 0)) return f1(mu1) * expect1(f2, d22, mu2, rule);
  if (!(d22 > 0)) return f2(mu2) * expect1(f1, d11, mu1, rule);
  const s1 = Math.sqrt(d11);
  const c = d12 / s1;
  const cond = Math.max(d22 - c * c, 0);
  const sat = typeof rule === 'function' ? undefined : rule;
  const below = sat ? sat.rule : (rule as RuleChooser);
  const outer =
    sat && d11 > sat.minVariance
      ? saturatedRule([smoothedFactor(sat, mu1, s1, 0), smoothedFactor(sat, mu2, c, cond)])
      : below(d11);
  let acc = 0;
  if (cond <= 1e-300) {
    for (let i = 0; i < outer.z.length; i++) {
      const z1 = outer.z[i];
      acc += outer.w[i] * f1(mu1 + s1 * z1) * f2(mu2 + c * z1);
    }
    return acc;
  }
  const sc = Math.sqrt(cond);
  const placed = sat !== undefined && cond > sat.minVariance;
  const fixed = placed ? undefined : below(cond);
  for (let i = 0; i < outer.z.length; i++) {
    const z1 = outer.z[i];
    const base = mu2 + c * z1;
    const { z: iz, w: iw } = fixed ?? saturatedRule([smoothedFactor(sat!, base, sc, 0)]);
    let in2 = 0;
    for (let j = 0; j < iz.length; j++) in2 += iw[j] * f2(base + sc * iz[j]);
    acc += outer.w[i] * f1(mu1 + s1 * z1) * in2;
  }
  return acc;
}

/**
 * Stationary nested form C_f(Δ;Δ0) = ∫Dz [∫Dz1 f(sqrt(Δ0−Δ) z1 + sqrt(Δ) z)]², 0 ≤ Δ ≤ Δ0 (also with a
 * common mean mu). With a SaturatingRule above its minVariance, the outer rule covers the window of
 * the inner mean m(y) = E[f(y + sqrt(Δ0−Δ) z1)] (polynomial beyond it), the inner one is placed around y.
 */
export function expectStationary(
  f: Fn,
  delta: number,
  delta0: number,
  mu = 0,
  rule: Rules = referenceRule,
  innerRule: RuleChooser = typeof rule === 'function' ? rule : rule.innerRule,
): number {
  const d = Math.min(Math.max(delta, 0), delta0);
  const inVar = delta0 - d;
  if (!(d > 0)) {
    const m = expect1(f, inVar, mu, rule);
    return m * m;
  }
  const sat = typeof rule === 'function' ? undefined : rule;
  const sOut = Math.sqrt(d);
  const outer =
    sat && d > sat.minVariance
      ? saturatedRule([smoothedFactor(sat, mu, sOut, inVar)])
      : (sat ? sat.rule : (rule as RuleChooser))(d);
  let acc = 0;
  if (!(inVar > 0)) {
    for (let i = 0; i < outer.z.length; i++) {
      const v = f(mu + sOut * outer.z[i]);
      acc += outer.w[i] * v * v;
    }
    return acc;
  }
  const sIn = Math.sqrt(inVar);
  const placed = sat !== undefined && inVar > sat.minVariance;
  const fixed = placed ? undefined : innerRule(inVar);
  for (let i = 0; i < outer.z.length; i++) {
    const base = mu + sOut * outer.z[i];
    const { z: iz, w: iw } = fixed ?? saturatedRule([smoothedFactor(sat!, base, sIn, 0)]);
    let m = 0;
    for (let j = 0; j < iz.length; j++) m += iw[j] * f(base + sIn * iz[j]);
    acc += outer.w[i] * m * m;
  }
  return acc;
}

/** Lattice points per outer step beyond which the nested rule (≈ 57 inner nodes) is cheaper. */
const LATTICE_MAX_P = 16;
let latticeF = new Float64Array(0);
let latticeK = new Float64Array(0);

/**
 * <f1(x1) f2(x2)> as expect2 with fast-rule steps, but evaluating f2 only once per lattice point.
 * Outer trapezoid in z1 (x1 = mu1 + √d11 z1, step ≤ fastStep(d11)); the inner means of x2 sit at
 * y_i = mu2 + c z1_i, c = d12/√d11, a step c·h1 apart, so an inner trapezoid in x2 of step hx = |c|h1/p
 * (p integer, hx ≤ √u fastStep(u), u = d22 − c² the conditional variance) lies on one common lattice
 * for all outer nodes. The inner sums become a discrete convolution of f2 on that lattice with a
 * fixed Gaussian kernel: ~n1·p + 2Q evaluations of f2 instead of n1·(2Q + 1). Same steps and
 * truncation as the nested fast rule, so spectrally accurate (≈ 1e-15) for tanh and erf. Pays when
 * the correlation is high (|c|h1 comparable to the inner step); falls back to expect2 otherwise.
 */
export function expect2Lattice(f1: Fn, f2: Fn, d11: number, d22: number, d12: number, mu1 = 0, mu2 = 0): number {
  if (!(d11 > 0) || !(d22 > 0)) return expect2(f1, f2, d11, d22, d12, mu1, mu2, fastRule);
  const s1 = Math.sqrt(d11);
  const c = d12 / s1;
  const su = Math.sqrt(Math.max(d22 - c * c, 0));
  const n1 = Math.ceil((2 * FAST_ZMAX) / fastStep(d11));
  const h1 = (2 * FAST_ZMAX) / n1;
  const shift = Math.abs(c) * h1;
  const hxMax = su * fastStep(su * su);
  const p = Math.ceil(shift / hxMax);
  // weakly correlated (the lattice would be finer than the inner rule needs) or nearly degenerate
  // (inner width √u ≪ the outer shift: more lattice points than the nested rule's evaluations)
  if (!(hxMax > 0) || shift < 0.5 * hxMax || p > LATTICE_MAX_P) return expect2(f1, f2, d11, d22, d12, mu1, mu2, fastRule);
  const hx = shift / p;
  const Q = Math.ceil((FAST_ZMAX * su) / hx);
  const M = n1 * p + 2 * Q + 1;
  if (latticeF.length < M) latticeF = new Float64Array(2 * M);
  if (latticeK.length < 2 * Q + 1) latticeK = new Float64Array(2 * (2 * Q + 1));
  const F = latticeF;
  const K = latticeK;
  const hz = hx / su;
  for (let q = -Q; q <= Q; q++) {
    const z = q * hz;
    K[q + Q] = hz * INV_SQRT_2PI * Math.exp(-0.5 * z * z);
  }
  // lattice point m (0-based) is x2 = y_0 + σ (m − Q) hx, σ = sign(c), y_0 = mu2 − c·FAST_ZMAX
  const y0 = mu2 - c * FAST_ZMAX;
  const step = c >= 0 ? hx : -hx;
  for (let m = 0; m < M; m++) F[m] = f2(y0 + (m - Q) * step);
  const K2 = 2 * Q + 1;
  // A saturating f2 (tanh is ±1 to the last bit beyond |x| ≈ 19) is constant at both ends of the
  // lattice: inner windows wholly inside such a plateau sum to plateau·ΣK without the convolution.
  let kSum = 0;
  for (let q = 0; q < K2; q++) kSum += K[q];
  let lo = 0;
  while (lo + 1 < M && F[lo + 1] === F[0]) lo++;
  let hi = M - 1;
  while (hi > 0 && F[hi - 1] === F[M - 1]) hi--;
  let acc = 0;
  for (let i = 0; i <= n1; i++) {
    const z1 = -FAST_ZMAX + i * h1;
    const w = h1 * INV_SQRT_2PI * Math.exp(-0.5 * z1 * z1) * (i === 0 || i === n1 ? 0.5 : 1);
    const base = i * p;
    let in2 = 0;
    if (base + K2 - 1 <= lo) in2 = F[0] * kSum;
    else if (base >= hi) in2 = F[M - 1] * kSum;
    else for (let q = 0; q < K2; q++) in2 += K[q] * F[base + q];
    acc += w * f1(mu1 + s1 * z1) * in2;
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
 * The nodes ±z share one Hermite recurrence (h_j(−z) = (−1)^j h_j(z)): even j take f(+) + f(−), odd
 * j take f(+) − f(−); two node pairs run side by side (independent recurrences pipeline better).
 */
export function hermiteCoefficients(f: Fn, variance: number, J: number, mu = 0): Float64Array {
  if (!(variance > 0)) {
    const a0 = new Float64Array(J);
    a0[0] = f(mu);
    return a0;
  }
  if (J > 1000) throw new RangeError(`hermiteCoefficients: at most 1000 terms, got ${J}`);
  const a = new Float64Array(J + 1); // one spare term: the recurrences below run in even/odd pairs
  const zmax = 12.5;
  const h = Math.min(0.1, 0.2 / Math.sqrt(variance), 2.4 / Math.sqrt(J));
  const half = Math.ceil(zmax / h); // nodes i·hh, i = −half..half
  const hh = zmax / half;
  const s = Math.sqrt(variance);
  // recurrence h_{k+1} = (x h_k − √k h_{k−1}) / √(k+1) with the two factors tabulated
  const sq = new Float64Array(J + 2);
  const isq = new Float64Array(J + 2);
  for (let k = 0; k <= J + 1; k++) {
    sq[k] = Math.sqrt(k);
    isq[k] = k > 0 ? 1 / sq[k] : 0;
  }
  // weighted (even, odd) parts of f at node pair i: w·(f(μ + s x) ± f(μ − s x))
  const parts = (i: number): [number, number, number] => {
    const x = i * hh;
    const w = hh * INV_SQRT_2PI * Math.exp(-0.5 * x * x) * (i === half ? 0.5 : 1);
    const fp = f(mu + s * x);
    const fm = f(mu - s * x);
    return [x, w * (fp + fm), w * (fp - fm)];
  };
  {
    // the node z = 0: h_{2m}(0) = (−1)^m √((2m−1)!!/(2m)!!), the odd ones vanish
    const w0 = hh * INV_SQRT_2PI * f(mu);
    let h0 = 1;
    a[0] += w0;
    for (let k = 2; k < J; k += 2) {
      h0 *= -Math.sqrt((k - 1) / k);
      a[k] += w0 * h0;
    }
  }
  let i = 1;
  for (; i + 1 <= half; i += 2) {
    const [x1, e1, o1] = parts(i);
    const [x2, e2, o2] = parts(i + 1);
    if (e1 === 0 && o1 === 0 && e2 === 0 && o2 === 0) continue;
    let p1 = 0;
    let c1 = 1;
    let p2 = 0;
    let c2 = 1;
    // k even then k + 1 odd per pass (the last odd term of an odd J lands in the spare a slot)
    for (let k = 0; k < J; k += 2) {
      a[k] += e1 * c1 + e2 * c2;
      let n1 = (x1 * c1 - sq[k] * p1) * isq[k + 1];
      let n2 = (x2 * c2 - sq[k] * p2) * isq[k + 1];
      p1 = c1;
      c1 = n1;
      p2 = c2;
      c2 = n2;
      a[k + 1] += o1 * c1 + o2 * c2;
      n1 = (x1 * c1 - sq[k + 1] * p1) * isq[k + 2];
      n2 = (x2 * c2 - sq[k + 1] * p2) * isq[k + 2];
      p1 = c1;
      c1 = n1;
      p2 = c2;
      c2 = n2;
    }
  }
  if (i === half) {
    const [x1, e1, o1] = parts(i);
    let p1 = 0;
    let c1 = 1;
    for (let k = 0; k < J; k++) {
      a[k] += (k & 1 ? o1 : e1) * c1;
      const n1 = (x1 * c1 - sq[k] * p1) * isq[k + 1];
      p1 = c1;
      c1 = n1;
    }
  }
  return a.slice(0, J);
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
  /** Quadrature rules of this φ's expectations (pass to expect1/expect2 for other functions of x). */
  rule: SaturatingRule;
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

function makeQuadraturePhi(name: PhiName, f: Fn, df: Fn, F: Fn, c3: number, rule: SaturatingRule): GaussianPhi {
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
    rule,
    meanPhi: (delta, mu = 0) => expect1(f, delta, mu, rule),
    meanGain: (delta, mu = 0) => expect1(df, delta, mu, rule),
    meanGain2: (delta, mu = 0) => expect1(df2, delta, mu, rule),
    meanPhi2: (delta, mu = 0) => expect1(f2, delta, mu, rule),
    meanPhiAnti: (delta0) => expect1(F, delta0, 0, rule),
    varPhiAnti: (delta0) => {
      const m = expect1(F, delta0, 0, rule);
      return expect1(F2, delta0, 0, rule) - m * m;
    },
    cphi: (d12, d11, d22, mu1 = 0, mu2 = 0) => expect2(f, f, d11, d22, d12, mu1, mu2, rule),
    cdphi: (d12, d11, d22, mu1 = 0, mu2 = 0) => expect2(df, df, d11, d22, d12, mu1, mu2, rule),
    cphiStationary: (delta, delta0, mu = 0) => expectStationary(f, delta, delta0, mu, rule),
    cPhiStationary: (delta, delta0, mu = 0) => expectStationary(F, delta, delta0, mu, rule),
    hermiteSquared: (delta0, J) => hermiteCoefficients(f, delta0, J).map((v) => v * v),
    hermite: (delta, J, mu = 0) => hermiteCoefficients(f, delta, J, mu),
  };
}

const erfF: Fn = (x) => erf(HALF_SQRT_PI * x);
const erfDf: Fn = (x) => Math.exp(-(Math.PI / 4) * x * x);
const erfAnti: Fn = (x) => x * erf(HALF_SQRT_PI * x) + TWO_OVER_PI * Math.expm1(-(Math.PI / 4) * x * x);

/**
 * tanh, φ', log cosh and their squares are polynomial beyond |x| = 20 (see saturatedRule); width-2
 * Gauss–Legendre panels resolve them (poles at ±iπ/2). Up to variance 6 the previous rules.
 */
export const TANH_SATURATION: SaturatingRule = {
  edge: 20,
  scale: 2,
  minVariance: DENSE_VARIANCE,
  rule: referenceRule,
  innerRule: innerReferenceRule,
};

const tanhPhi = makeQuadraturePhi('tanh', Math.tanh, tanhDf, logCosh, -1 / 3, TANH_SATURATION);

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

/** The quadrature versions of erf keep the reference rules at every variance (they validate the closed forms). */
const erfGeneric = makeQuadraturePhi('erf', erfF, erfDf, erfAnti, -Math.PI / 12, {
  ...TANH_SATURATION,
  minVariance: Infinity,
});

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
