/**
 * Participation ratio (dimension) of network activity from theory (THEORY §5), pure float64.
 *
 * PR_a = C^a(0)² / Ψ^a(0,0), a ∈ {x, φ}, normalised by N (§0.2, §5.1; dimension = PR·N), with the
 * four-point function of the two-site cavity (§5.2, i.i.d.; §5.3, random-mode model and gains):
 *   Ψ^φ(ω1,ω2) = [δ + κ|ν/X|²] / |1 − ν/X|² · C_φ(ω1)C_φ(ω2),   X = (1+iω1)(1+iω2), ν = g²<φ'>²
 *   (i.i.d.: δ = 1, κ = 0; random mode: κ = 1/(αPR_D); gains: δ = 1/PR_G unnormalised, or δ = 1 and
 *   κ += 1/PR_G − 1 for z-scored activity), since g² S_φ(ω1)S_φ(ω2) = ν/X with S_φ = <φ'>/(1+iω);
 *   Ψ^x = C_x1C_x2 + |U|²(1 + 1/(αPR_D)) C_φ1C_φ2 + 2 Re U · <φ'>² C_x1C_x2,  U = g²/(X − ν).
 * Ψ(0,0) = ∫∫ dω1dω2/(2π)² Ψ is evaluated as C(0)² + ∫∫ C1C2 (M − 1) ("integrate the bracket minus
 * 1", §5.2 recipe), with M − 1 written without cancellation: |X|² − |X − ν|² = ν(2 Re X − ν).
 *
 * Numerics (why): near g = 1 the integrand has a ridge of width 1 − ν + u² ≈ ε²/3 across ω1 = −ω2 and
 * extent ~ε along it. In rotated coordinates u = (ω1 − ω2)/2, s = ω1 + ω2 (Jacobian 1) the denominator
 * is |X − ν|² = (1 − ν + u² − s²/4)² + s², a Lorentzian in s of width a(u) = 1 − ν + u². Both directions
 * use a sinh map (u = w sinh t, uniform t) with w set by those widths, and the trapezoid rule in t: the
 * integrand is even in u and s, so the rule converges fast and resolves the ridge at any ε with a few
 * hundred points per direction. Spectra C(ω) come from an exact cosine transform of the piecewise-linear
 * interpolant of the energy-method profile Δ(τ), C_φ(Δ(τ)) on a graded lag grid (fine at τ = 0, where
 * C_φ is sharp at large g, coarse in the slow exponential tail, which is added in closed form), tabulated
 * once on a sinh ω grid and interpolated (4-point Lagrange in t). The domain is truncated to |ω1|, |ω2|
 * < Ω = 40 (§5.2: M → 1 there).
 *
 * D > 0 ([R], derived here; checked against simulations, see below): private noise enters only through the
 * single-site statistics, so the formulas above hold with the noisy DMFT spectra C_x, C_φ (§4.2, kink
 * Δ'(0⁺) = −D), S_φ = <φ'>/(1+iω) and ν = g²<φ'>² at the noisy Δ0. Two-site cavity for i ≠ j at O(N^-1/2):
 * x_i = S_x(η_i + J_ij φ_j + sqrt(2D)ξ_i), η_i the cavity field. ξ_i is independent of the couplings and of
 * every other unit's noise; it reaches unit j only through φ_i (via J_ji), and φ_i's full spectrum C_φ,
 * noise-driven part included, is what the ladder carries:
 *   C^φ_ij = S_φ1 J_ij C_φ + C_φ J_ji S_φ2* + S_φ1S_φ2* Σ_kl J_ik J_jl C^φ_kl,
 *   C^x_ij = S_x1 J_ij C_xφ + C_xφ J_ji S_x2* + S_x1S_x2* Σ_kl J_ik J_jl C^φ_kl,  C_xφ = <φ'>C_x,
 * (x stays Gaussian, η and ξ both being Gaussian, so Price's theorem gives C_xφ and S_φ). Summing C_ij C_ij
 * over pairs with the i.i.d. averages J_ik J_jl → δ_kl g²/N gives §5.2 unchanged; nothing of the noise is
 * left out (there is no separate "noise through J" term: it is the noise-driven part of C_φ). Exact check
 * for φ(x) = x: (1/N)tr[A⁻¹A⁻†B⁻¹B⁻†] with A = a − J, B = b − J, a = 1+iω1, b = 1−iω2 expands in words
 * J^n1 Jᵀ^m1 J^n2 Jᵀ^m2 whose large-N moments are the non-crossing J–Jᵀ pairings, i.e. p, q, r, s ≥ 0 pairs
 * nested at the four block corners; the sums are geometric and give
 *   [(|a|² − g²)(|b|² − g²)]⁻¹ |1 − g²/(a b̄)|⁻² = Ψ/(2D)²,  a b̄ = X, C = 2D/(|1+iω|² − g²),
 * the formula above at ν = g² (test/pr-theory.test.ts checks it against the exact covariance of a linear
 * network, N = 200, to 0.5 %).
 *
 * Range of validity: the N → ∞ limit of the continuous-time model. Measured against Euler simulations
 * (tanh, bench/pr-vs-sim.ts, BENCHMARKS.md; PR extrapolated to T → ∞ linearly in 1/PR; sim/theory):
 * - where networks scatter little it agrees to about 1 %: g 0.5, D 0.05–0.5: +0.4 to +0.6 % (N 1000,
 *   dt 0.05); g 1.2, D 0.2: +8 %, +3 %, +2 % at dt 0.05, 0.02, 0.01 with the same couplings, ≈ 0 as
 *   dt → 0 (N 1000); g 1.2, D 0.5: +3 % ± 3 % per network at dt 0.05, +0.5–1 % at dt 0.01 (N 400).
 *   Euler's dt raises the PR by O(dt): at dt 0.05 by +0.5 % (g 0.5) to +8 % (g 1.2, D 0.2); the same
 *   couplings at dt 0.05 and 0.02 differ by 1–14 % in the chaotic cases (g 1.5–2).
 * - finite networks scatter around the limit by an amount set by the number of dominant dimensions N·PR:
 *   N·PR ≈ 100 (g 2, D 0.5–1): single networks 0.82–1.27×; N·PR ≈ 40 (N 2000 near the onset): 0.9–1.3×;
 *   N·PR ≈ 20 (N 1000, ν ≈ 0.95–0.96, D 0–0.1): 0.4–2.0× (14 networks, 9 above); N·PR ≈ 4 (N 200): 1.0–3.8×.
 *   Typical networks lie above the limit and a few (a slow mode close to the stability edge) far below;
 *   the spread shrinks with N (g 1.5, D 0.1: N 500: 1.0–2.4×, N 4000: 0.98–1.11×, mean +4 %, about the
 *   dt excess). The "1.5–2× above theory" once reported for D > 0 was the first two N = 1000 networks of
 *   that setting (1.49, 1.87; the next four 0.42–1.54), and D = 0 at the same N·PR behaves the same way
 *   (tanh g 2, N 1000: 1.25, 1.26; N 2000: 1.03, 0.90). `prFiniteSizeNote` says so below N·PR_φ = 50.
 * Random-mode Ψ^x: the 1/(αPR_D) term g⁴|S_x1S_x2|²/|1 − ν/X|² C_φC_φ is the one whose small-rank limit
 * gives K_x of §5.3 ([R]); it is not given for gain heterogeneity, so pr_x is null when prG ≠ 1.
 */
import { indicatorCovariance } from '../model/indicator.js';
import type { PhiName } from '../nonlinearity.js';
import { cosineTransform, solveStationary } from './dmft.js';

export interface PrTheoryOptions {
  phi: PhiName;
  /** Coupling strength g (i.i.d.) or effective gain g_eff (random-mode model, §5.3). */
  g: number;
  /** Noise intensity (sqrt(2D)ξ convention). Default 0. */
  D?: number;
  /** Effective rank α·PR_D of the random-mode model (default Infinity: i.i.d. couplings). */
  effectiveRank?: number;
  /** Gain heterogeneity PR_G = <G²>²/<G⁴> ∈ (0, 1] (default 1: identical gains). */
  prG?: number;
  /** PR of z-scored activity (the normalised Ψ of §5.3); only matters when prG < 1. Default false. */
  zscore?: boolean;
  /** Truncation |ω1|, |ω2| < omegaMax (default 40). */
  omegaMax?: number;
  /** Grid refinement factor (default 1; 2 halves every step, for convergence checks). */
  refine?: number;
  /** Also the PR of x as recorded (pr_trace): see RecordedTrace. */
  trace?: RecordedTrace;
}

/**
 * How x is recorded: sampled every `step` (in τ), through a calcium indicator of pole γ per sample (0: none;
 * src/model/indicator.ts), plus white noise of variance `noise2` in every unit. The indicator filters every
 * unit alike, so each covariance factor C_ij(ω) of Ψ^x takes its gain W(ω) = (1 − γ)²/|1 − γe^{−iωΔ}|² (exact
 * for the sampled trace's equal-time covariance, aliasing included); the noise adds to the diagonal only:
 *   C(0) → C_c(0) + σ²,  Ψ → Ψ_c + 2σ²C_c(0) + σ⁴.
 */
export interface RecordedTrace {
  step: number;
  pole: number;
  noise2: number;
}

export interface PrTheoryResult {
  /** PR of x (null when prG ≠ 1: not covered by §5.3). */
  pr_x: number | null;
  /** PR of φ(x) (of G·φ(x) when prG < 1). */
  pr_phi: number;
  /** PR of x as recorded (opt.trace; null without it, or when prG ≠ 1). */
  pr_trace: number | null;
  /** Ψ^a(0,0) (per unit, in units of C²; Ψ^φ divided by <G²>² when prG < 1). */
  psi_x: number | null;
  psi_phi: number;
  /** Equal-time variances C_x(0) = Δ0 and C_φ(0) = <φ²>. */
  cx0: number;
  cphi0: number;
  /** ν = g²<φ'>² and λ∞ = sqrt(1 − ν). */
  nu: number;
  lambdaInf: number;
  /** The same network with i.i.d. couplings and identical gains. */
  pr_x_iid: number;
  pr_phi_iid: number;
  /**
   * Small-rank constants of §5.3: PR_a → K_a·αPR_D as αPR_D → 0 at fixed g_eff,
   * K_a = C^a(0)² / ∫∫ |g_eff² S^a_1S^a_2|² / |1 − ν/X|² C_φ1C_φ2.
   */
  k_x: number;
  k_phi: number;
  grid: { omegaMax: number; lags: number; omegaTable: number; uPoints: number; sPointsMax: number; evaluations: number };
}

/** Graded lag grid: step h0 at τ = 0 growing linearly (rate r) up to hMax, until Δ(τ) < tol·Δ0. */
function lagGrid(deltaAt: (t: number) => number, delta0: number, h0: number, r: number, hMax: number): number[] {
  const lags = [0];
  let t = 0;
  for (;;) {
    t += Math.min(h0 + r * t, hMax);
    lags.push(t);
    if (deltaAt(t) < 1e-10 * delta0 || lags.length > 1e6) return lags;
  }
}

/** A positive even function tabulated at ω = w sinh(j·h), j = 0..n, read by 4-point Lagrange in t. */
class SinhTable {
  readonly values: Float64Array;
  constructor(
    readonly w: number,
    readonly h: number,
    values: Float64Array,
  ) {
    this.values = values;
  }
  static nodes(w: number, h: number, omegaMax: number): Float64Array {
    const n = Math.ceil(Math.asinh(omegaMax / w) / h) + 3;
    const om = new Float64Array(n + 1);
    for (let j = 0; j <= n; j++) om[j] = w * Math.sinh(j * h);
    return om;
  }
  at(omega: number): number {
    const v = this.values;
    const x = Math.asinh(Math.abs(omega) / this.w) / this.h;
    let j = Math.floor(x);
    if (j > v.length - 3) j = v.length - 3;
    const p = x - j;
    // Even in t: nodes below 0 mirror those above.
    const f0 = v[Math.abs(j - 1)];
    const f1 = v[j];
    const f2 = v[j + 1];
    const f3 = v[j + 2];
    return (
      (-p * (p - 1) * (p - 2) * f0) / 6 + ((p + 1) * (p - 1) * (p - 2) * f1) / 2 - ((p + 1) * p * (p - 2) * f2) / 2 + ((p + 1) * p * (p - 1) * f3) / 6
    );
  }
}

/** Participation ratios PR_x and PR_φ (normalised by N) from the stationary DMFT and the two-site cavity. */
export function participationRatioTheory(opt: PrTheoryOptions): PrTheoryResult {
  const D = opt.D ?? 0;
  const r = opt.effectiveRank ?? Infinity;
  const prG = opt.prG ?? 1;
  const Omega = opt.omegaMax ?? 40;
  const refine = opt.refine ?? 1;
  if (!(r > 0)) throw new RangeError(`effectiveRank (α·PR_D) must be > 0, got ${r}`);
  if (!(prG > 0 && prG <= 1)) throw new RangeError(`prG must be in (0, 1], got ${prG}`);
  if (!(Omega > 0) || !Number.isFinite(Omega)) throw new RangeError(`omegaMax must be a finite number > 0, got ${Omega}`);
  if (!(refine > 0) || !Number.isFinite(refine)) throw new RangeError(`refine must be a finite number > 0, got ${refine}`);
  // solveStationary checks g and D; its own lag grid is not used (kept minimal).
  const sol = solveStationary({ phi: opt.phi, g: opt.g, D, skipThreshold: true, dtau: 1, tauMax: 1 });
  if (!(sol.delta0 > 0)) throw new RangeError(`no fluctuating activity at g = ${opt.g}, D = ${D} (quiescent fixed point): the participation ratio is undefined`);
  const g = opt.g;
  const nu = sol.nu;
  const lambda = sol.lambdaInf;

  // Lag grid: the sharpest feature is C_φ near τ = 0 at large g (width ~1/g for erf, x saturates).
  const h0 = 0.01 / Math.max(1, g / 5) / refine;
  const lags = lagGrid(sol.deltaAt, sol.delta0, h0, 0.005 / refine, 0.1 / Math.max(lambda, 1e-3) / refine);
  const delta = lags.map((t, i) => (i === 0 ? sol.delta0 : sol.deltaAt(t)));
  const cphi = delta.map((d, i) => (i === 0 ? sol.cphi0 : sol.cphiOf(d)));

  // Frequency table: resolution ~λ∞/10 at ω = 0 (C(ω) has width ~λ∞ near g = 1), 2 % relative beyond.
  const scale = Math.min(lambda, 1);
  const wc = (0.1 * scale) / refine;
  const hc = 0.02 / refine;
  const om = SinhTable.nodes(wc, hc, Omega);
  // The exponential tail beyond the grid decays at λ∞ (C_φ ≈ <φ'>²Δ for small Δ).
  const Cx = new SinhTable(wc, hc, cosineTransform(lags, delta, om, lambda));
  const Cp = new SinhTable(wc, hc, cosineTransform(lags, cphi, om, lambda));

  // ∫∫ over the square |ω1|,|ω2| < Ω = 4 × the quadrant u, s ≥ 0 with s < 2(Ω − u).
  //   A = ∫∫ C_φ1C_φ2 ν(2ReX − ν)/|X−ν|²,  B = ∫∫ C_φ1C_φ2/|X−ν|²,  E = ∫∫ C_x1C_x2 2ν(ReX − ν)/|X−ν|².
  const ht = 0.03 / refine;
  const wu = (0.1 * scale) / refine;
  const nu_ = Math.ceil(Math.asinh(Omega / wu) / ht);
  const htu = Math.asinh(Omega / wu) / nu_;
  const tr = opt.trace;
  const weight = (omega: number) => (tr && tr.pole > 0 ? (1 - tr.pole) ** 2 / (1 - 2 * tr.pole * Math.cos(omega * tr.step) + tr.pole * tr.pole) : 1);
  let A = 0;
  let B = 0;
  let E = 0;
  let Bw = 0;
  let Ew = 0;
  let evaluations = 0;
  let sPointsMax = 0;
  for (let iu = 0; iu <= nu_; iu++) {
    const tu = iu * htu;
    const u = wu * Math.sinh(tu);
    const wU = wu * Math.cosh(tu) * htu * (iu === 0 || iu === nu_ ? 0.5 : 1);
    const sMax = 2 * (Omega - u);
    if (sMax <= 0) continue;
    const a = 1 - nu + u * u;
    const ws = (0.2 * Math.min(a, 1)) / refine;
    const ns = Math.max(2, Math.ceil(Math.asinh(sMax / ws) / ht));
    const hts = Math.asinh(sMax / ws) / ns;
    sPointsMax = Math.max(sPointsMax, ns + 1);
    let sa = 0;
    let sb = 0;
    let se = 0;
    let sbw = 0;
    let sew = 0;
    for (let is = 0; is <= ns; is++) {
      const ts = is * hts;
      const s = ws * Math.sinh(ts);
      const wS = ws * Math.cosh(ts) * hts * (is === 0 || is === ns ? 0.5 : 1);
      const w1 = u + s / 2;
      const w2 = u - s / 2;
      const reX = 1 + u * u - (s * s) / 4;
      const den = (reX - nu) * (reX - nu) + s * s;
      const pp = (Cp.at(w1) * Cp.at(w2) * wS) / den;
      sa += pp * nu * (2 * reX - nu);
      sb += pp;
      const xx = ((Cx.at(w1) * Cx.at(w2) * wS) / den) * 2 * nu * (reX - nu);
      se += xx;
      if (tr) {
        const w12 = weight(w1) * weight(w2);
        sbw += pp * w12;
        sew += xx * w12;
      }
    }
    evaluations += ns + 1;
    A += sa * wU;
    B += sb * wU;
    E += se * wU;
    Bw += sbw * wU;
    Ew += sew * wU;
  }
  const norm = 4 / (4 * Math.PI * Math.PI);
  A *= norm;
  B *= norm;
  E *= norm;
  Bw *= norm;
  Ew *= norm;

  const cx0 = sol.delta0;
  const cphi0 = sol.cphi0;
  const psiX = (k: number) => cx0 * cx0 + g ** 4 * B * (1 + k) + E;
  const psiPhiIid = cphi0 * cphi0 + A;
  // Gains: δ multiplies the i.i.d. structure (unnormalised) or only (1/PR_G − 1)|ν/X|² is added (z-scored).
  const kappa = 1 / r + (opt.zscore ? 1 / prG - 1 : 0);
  const delta_ = opt.zscore ? 1 : 1 / prG;
  const psiPhi = delta_ * psiPhiIid + kappa * nu * nu * B;
  const psiXr = prG === 1 ? psiX(1 / r) : null;
  let prTrace: number | null = null;
  if (tr && prG === 1) {
    const c0 = tr.pole > 0 ? recordedVariance(sol.deltaAt, sol.delta0, tr.step, tr.pole, lambda) : cx0;
    const psiC = c0 * c0 + g ** 4 * Bw * (1 + 1 / r) + Ew;
    prTrace = (c0 + tr.noise2) ** 2 / (psiC + 2 * tr.noise2 * c0 + tr.noise2 ** 2);
  }
  return {
    pr_x: psiXr === null ? null : (cx0 * cx0) / psiXr,
    pr_phi: (cphi0 * cphi0) / psiPhi,
    pr_trace: prTrace,
    psi_x: psiXr,
    psi_phi: psiPhi,
    cx0,
    cphi0,
    nu,
    lambdaInf: lambda,
    pr_x_iid: (cx0 * cx0) / psiX(0),
    pr_phi_iid: (cphi0 * cphi0) / psiPhiIid,
    k_x: (cx0 * cx0) / (g ** 4 * B),
    k_phi: (cphi0 * cphi0) / (nu * nu * B),
    grid: { omegaMax: Omega, lags: lags.length, omegaTable: om.length, uPoints: nu_ + 1, sPointsMax, evaluations },
  };
}

/** C_c(0): the variance of x sampled every `step` through the indicator (indicatorCovariance), x's lags out to 20 decay times 1/λ∞. */
function recordedVariance(deltaAt: (t: number) => number, delta0: number, step: number, pole: number, lambdaInf: number): number {
  const K = Math.ceil((20 * Math.max(1 / Math.max(lambdaInf, 1e-3), 1)) / step);
  const cx = Float64Array.from({ length: K + 1 }, (_, k) => (k === 0 ? delta0 : deltaAt(k * step)));
  return indicatorCovariance(cx, pole, 0)[0];
}

/** Below this theoretical dimension N·PR_φ a single network's PR is not predicted to better than ~±30 %. */
export const FINITE_SIZE_DIMENSION = 50;

/**
 * The caveat to print next to the N → ∞ theory when it is compared with one network of N units (null when
 * N·PR_φ ≥ FINITE_SIZE_DIMENSION). The figures are the measured single-network spreads of the module notes.
 */
export function prFiniteSizeNote(prPhi: number, N: number): string | null {
  const dim = prPhi * N;
  if (!(dim < FINITE_SIZE_DIMENSION)) return null;
  return (
    `PR theory is the N → ∞ limit; with N·PR_φ = ${dim.toPrecision(3)} dominant dimensions one network of ${N} units ` +
    'scatters widely around it, mostly above (simulations, D 0–0.1 near the chaos onset: N·PR ≈ 20 gave 0.4–2.0× theory, ' +
    'N·PR ≈ 4 gave 1.0–3.8×; −10 to +30 % at N·PR ≈ 40–100): compare with a simulation of the same size'
  );
}
