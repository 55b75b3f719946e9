/**
 * Magnetised state of the SCS model with mean coupling J0 (THEORY §7), pure float64.
 *
 * When J0 <φ'> > 1 the m = 0 state is unstable and the population mean m = <φ(x)> ≠ 0. The single
 * site then has a constant mean input μ = J0 m, and η ~ GP(0, g² C_φ) with the raw C_φ (m² included)
 * acquires a static part, so the covariance Δ(τ) of x about μ decays to a plateau Δ∞ > 0:
 *   μ = J0 <φ(μ + √Δ0 z)>                                           (static mean-field equation)
 *   Δ∞ = g² C_φ(Δ∞; Δ0, μ)     (plateau: a maximum of V; Δ∞ ≥ g² m²)  ("Δ∞ = g²<φ>²"-type term)
 *   V(Δ∞) − V(Δ0) = D²/2,      V(Δ) = −Δ²/2 + g² C_Φ(Δ; Δ0, μ)       (energy, as in §4.2)
 * D = 0 with g²<φ'²> < 1 at the static point gives the frozen (fixed-point) state Δ0 = Δ∞ with
 * Δ = g²<φ(μ + √Δ z)²>. Otherwise the energy-method profile from Δ0 down to Δ∞ (§4.2 machinery).
 *
 * Gaussian integrals with a mean: Mehler coefficients a_j of φ(μ + √Δ0 z) (C_φ(Δ) = Σ_j (Δ/Δ0)^j a_j²,
 * C_Φ(Δ) − C_Φ(0) = Δ0 Σ_k (Δ/Δ0)^k a_{k−1}²/k) below the split, 2-D quadrature above it.
 * Near the plateau W(Δ∞ + v) = v²[1/2 − (g²/Δ0) Σ_k p_k a_{k−1}²/k] with the divided differences
 * p_1 = 0, p_{k+1} = ρ p_k + k ρ∞^{k−1} (no cancellation).
 */
import { brent } from './numerics.js';
import { expect1, hermiteCoefficients, type GaussianPhi } from './gaussian.js';
import { profileLyapunov } from './lyapunov.js';
import { buildProfile, type Regime } from './profile.js';

export interface MagnetisedState {
  /** Population mean m = <φ(x)> (positive branch; −m is equivalent). */
  m: number;
  /** Mean input μ = J0 m (= mean of x). */
  mu: number;
  /** Variance of x about μ. */
  delta0: number;
  /** Plateau Δ(∞) (static, quenched part of the variance). */
  deltaInf: number;
  /** Raw <φ(x)²>. */
  cphi0: number;
  meanGain: number;
  meanGain2: number;
  /** Frozen fixed-point state (D = 0, stable): Δ ≡ Δ0 = Δ∞. */
  static: boolean;
  /** From the mean-field λ_max (`lyapunov`) when D > 0, as for the m = 0 state; the frozen state is quiescent. */
  regime: Regime;
  /**
   * Mean-field maximal Lyapunov exponent λ_max (per τ) of the magnetised state (src/theory/lyapunov.ts, the
   * mean and the static part Δ∞ included); NaN for D = 0.
   */
  lyapunov: number;
  lambdaInf: number;
  /** Timescales of Δ(τ) − Δ∞. For the static state: the D → 0⁺ limit 1/λ∞, λ∞ = sqrt(1 − g²<φ'²>). */
  tau_1e: number;
  tau_int: number;
  tau_inf: number;
  lags: number[];
  /** Δ(τ) about the mean (tends to Δ∞). */
  delta: number[];
  /** Raw C_φ(τ) (tends to C_φ(Δ∞) ≥ m²). */
  cphi: number[];
}

export interface MagnetisedOptions {
  dtau?: number;
  tauMax?: number;
  maxPoints?: number;
}

const J_TERMS = 1000;
const RHO_SPLIT = 0.96; // 0.96^1000 ≈ 2e-18
/** sup |φ| of the built-ins (tanh, erf(√π x/2)): bounds m and so the mean input, |μ| ≤ |J0|. */
const PHI_SUP = 1;

interface Inner {
  delta0: number;
  deltaInf: number;
  coef: Float64Array;
  static: boolean;
}

/** The positive-m magnetised state (J0 > 0 above J0c; for J0 < 0 the sign of m follows J0). */
export function solveMagnetised(gp: GaussianPhi, g: number, D: number, J0: number, opt: MagnetisedOptions = {}): MagnetisedState {
  const g2 = g * g;
  const F2 = (x: number) => {
    const v = gp.F(x);
    return v * v;
  };

  const mehlerC = (coef: Float64Array, r: number): number => {
    let acc = 0;
    let rk = 1;
    for (let j = 0; j < coef.length; j++) {
      acc += rk * coef[j] * coef[j];
      rk *= r;
      if (rk < 1e-18) break;
    }
    return acc;
  };
  /**
   * Plateau Δ∞: smallest root of k(Δ) = g²C_φ(Δ; Δ0, μ) − Δ on [0, Δ0] (k convex, k(0) = g²m² ≥ 0),
   * a maximum of V. Mehler series for ρ ≤ 0.96, 2-D quadrature above. NaN when k > 0 on [0, Δ0]
   * (no plateau: Δ0 outside the domain of the dynamic solution).
   */
  const plateau = (coef: Float64Array, delta0: number, mu: number): number => {
    const k = (d: number) => {
      const r = d / delta0;
      if (r > RHO_SPLIT) return g2 * gp.cphiStationary(d, delta0, mu) - d;
      return g2 * mehlerC(coef, r) - d;
    };
    const k0 = g2 * coef[0] * coef[0];
    if (k0 <= 0) return 0;
    const k1 = g2 * gp.meanPhi2(delta0, mu) - delta0;
    if (k1 < 0) return brent(k, 0, delta0, { fa: k0, fb: k1, rtol: 1e-15 });
    // k(Δ0) ≥ 0: two roots or none; locate the minimum of the convex k (golden section)
    const gr = (Math.sqrt(5) - 1) / 2;
    let a = 0;
    let b = delta0;
    let x1 = b - gr * (b - a);
    let x2 = a + gr * (b - a);
    let f1 = k(x1);
    let f2 = k(x2);
    for (let it = 0; it < 100 && b - a > 1e-12 * delta0; it++) {
      if (f1 < 0 || f2 < 0) break;
      if (f1 < f2) {
        b = x2;
        x2 = x1;
        f2 = f1;
        x1 = b - gr * (b - a);
        f1 = k(x1);
      } else {
        a = x1;
        x1 = x2;
        f1 = f2;
        x2 = a + gr * (b - a);
        f2 = k(x2);
      }
    }
    const xm = f1 < f2 ? x1 : x2;
    const fm = Math.min(f1, f2);
    if (fm > 0) return NaN;
    return brent(k, 0, xm, { fa: k0, fb: fm, rtol: 1e-15 });
  };

  /** S(Δ) = C_Φ(Δ) − C_Φ(0) = Δ0 Σ_k ρ^k a_{k−1}²/k. */
  const S = (coef: Float64Array, delta0: number, d: number): number => {
    const r = d / delta0;
    let acc = 0;
    let rk = 1;
    for (let k = 1; k <= coef.length; k++) {
      rk *= r;
      acc += (rk * coef[k - 1] * coef[k - 1]) / k;
      if (rk < 1e-18) break;
    }
    return delta0 * acc;
  };
  const varPhi = (delta0: number, mu: number) => {
    const m = expect1(gp.F, delta0, mu, gp.rule);
    return expect1(F2, delta0, mu, gp.rule) - m * m;
  };

  /** ∫_a^{Δ0} C_φ(Δ; Δ0, μ) dΔ by 8-point Gauss–Legendre in s = sqrt(Δ0 − Δ) (2-D quadrature). */
  const intCphi = (a: number, delta0: number, mu: number): number => {
    const xs = [0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363];
    const ws = [0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763];
    const sMax = Math.sqrt(delta0 - a);
    let acc = 0;
    for (let i = 0; i < 4; i++) {
      for (const sg of [-1, 1]) {
        const sv = 0.5 * sMax * (1 + sg * xs[i]);
        const d = delta0 - sv * sv;
        acc += ws[i] * 2 * sv * gp.cphiStationary(d, delta0, mu);
      }
    }
    return 0.5 * sMax * acc;
  };

  const energy = (delta0: number, mu: number): { W: number; deltaInf: number; coef: Float64Array } => {
    const coef = hermiteCoefficients(gp.f, delta0, J_TERMS, mu);
    const dInf = plateau(coef, delta0, mu);
    if (!Number.isFinite(dInf)) return { W: NaN, deltaInf: NaN, coef };
    // C_Φ(Δ∞) − C_Φ(0): Mehler below the split, else C_Φ(Δ0) − ∫_{Δ∞}^{Δ0} C_φ (rarely needed)
    const sInf = dInf / delta0 <= RHO_SPLIT ? S(coef, delta0, dInf) : varPhi(delta0, mu) - intCphi(dInf, delta0, mu);
    const W = (delta0 * delta0 - dInf * dInf) / 2 - g2 * (varPhi(delta0, mu) - sInf);
    return { W, deltaInf: dInf, coef };
  };

  const solveInner = (mu: number): Inner => {
    // static point Δs: Δ = g²<φ(μ + √Δ z)²>
    const hs = (d: number) => g2 * gp.meanPhi2(d, mu) - d;
    let ds = 0;
    const h0 = hs(0);
    if (h0 > 0) {
      let hi = Math.max(1, g2);
      while (hs(hi) > 0) hi *= 2;
      ds = brent(hs, 0, hi, { fa: h0, rtol: 1e-15 });
    }
    const stable = g2 * gp.meanGain2(ds, mu) < 1;
    const staticState = (): Inner => ({ delta0: ds, deltaInf: ds, coef: hermiteCoefficients(gp.f, ds, J_TERMS, mu), static: true });
    if (D === 0 && stable) return staticState();
    const target = (D * D) / 2;
    const f = (d0: number) => energy(d0, mu).W - target; // NaN outside the domain (no plateau)
    const scale = Math.max(ds, 1e-3);
    let lo: number;
    let flo: number;
    let hi: number;
    let fhi: number;
    if (stable) {
      // W(Δs) = 0 (plateau = Δs) and W grows above Δs
      lo = ds;
      flo = -target;
      hi = ds + 1e-3 * scale;
      fhi = f(hi);
      while (!(fhi > 0)) {
        lo = hi;
        flo = fhi;
        hi = ds + 2 * (hi - ds);
        fhi = f(hi);
        if (hi > 1e6 * scale) throw new Error('magnetised DMFT: no energy root above the static point');
      }
    } else {
      // unstable static point: the plateau is the smaller root of k, Δ0 may lie below Δs
      const fs = f(ds);
      if (!Number.isFinite(fs)) return staticState();
      let off = 1e-4 * scale;
      if (fs > 0) {
        hi = ds;
        fhi = fs;
        lo = ds - off;
        flo = f(lo);
        while (flo > 0) {
          hi = lo;
          fhi = flo;
          off *= 2;
          lo = Math.max(ds - off, 0);
          flo = f(lo);
          if (lo === 0 && flo > 0) break;
        }
        if (!Number.isFinite(flo)) {
          // the domain ends (tangent plateau) before W reaches D²/2: bisect the domain edge
          let a = lo;
          let b = hi;
          for (let it = 0; it < 60; it++) {
            const mdp = 0.5 * (a + b);
            const fm = f(mdp);
            if (!Number.isFinite(fm)) a = mdp;
            else if (fm > 0) {
              b = mdp;
              hi = mdp;
              fhi = fm;
            } else {
              lo = mdp;
              flo = fm;
              break;
            }
          }
          if (!(flo <= 0)) return staticState();
        }
        if (flo > 0) return staticState();
      } else {
        lo = ds;
        flo = fs;
        hi = ds + off;
        fhi = f(hi);
        while (!(fhi > 0)) {
          lo = hi;
          flo = fhi;
          off *= 2;
          hi = ds + off;
          fhi = f(hi);
          if (off > 1e6 * scale) throw new Error('magnetised DMFT: no energy root');
        }
      }
    }
    const d0 = brent(f, lo, hi, { fa: flo, fb: fhi, rtol: 1e-14 });
    const e = energy(d0, mu);
    return { delta0: d0, deltaInf: e.deltaInf, coef: e.coef, static: false };
  };

  // Outer: μ = J0 m(μ) on the positive branch. |φ| < 1 puts the root in (0, J0]. When φ saturates,
  // m(J0) rounds to 1 (the quadrature sum lands an ulp either side, hence the clamp), so
  // G(J0) = J0(m − 1) is exactly 0 and μ = J0 is the root to machine precision: a zero at the
  // bracket end counts (brent returns that end).
  const sign = J0 >= 0 ? 1 : -1;
  const meanOf = (inner: Inner) => Math.max(-PHI_SUP, Math.min(PHI_SUP, inner.coef[0]));
  const Fmu = (mu: number) => J0 * meanOf(solveInner(mu)) - mu;
  let muLo = 1e-6 * Math.abs(J0) * sign;
  let fLo = Fmu(muLo);
  let guard = 0;
  while (fLo * sign <= 0 && guard++ < 20) {
    muLo /= 10;
    fLo = Fmu(muLo);
  }
  const muHi = J0;
  const fHi = Fmu(muHi);
  // J0 <φ'> > 1 makes G > 0 just above μ = 0, so an unbracketed root is a solver failure, never m = 0
  if (!(fLo * sign > 0 && fHi * sign <= 0)) {
    throw new Error(
      `magnetised DMFT: no magnetised solution bracketed on μ ∈ [${muLo}, ${muHi}] (G = J0 m − μ = ${fLo}, ${fHi}; g = ${g}, D = ${D}, J0 = ${J0}), although J0 <φ'> > 1 requires one`,
    );
  }
  const mu = brent(Fmu, muLo, muHi, { fa: fLo, fb: fHi, rtol: 1e-13 });
  const sol = solveInner(mu);
  const m = meanOf(sol);
  const delta0 = sol.delta0;
  const dInf = sol.deltaInf;
  const coef = sol.coef;
  const meanGain = gp.meanGain(delta0, mu);
  const meanGain2 = gp.meanGain2(delta0, mu);
  const cphi0 = gp.meanPhi2(delta0, mu);
  const Cm = (d: number) => mehlerC(coef, d / delta0);
  // ∂C_φ/∂Δ at the plateau = <φ'(x1)φ'(x2)> (Mehler below the split, 2-D quadrature above)
  let dC = 0;
  if (dInf / delta0 <= RHO_SPLIT) {
    const r = dInf / delta0;
    let rk = 1;
    for (let j = 1; j < coef.length; j++) {
      dC += j * rk * coef[j] * coef[j];
      rk *= r;
      if (rk * j < 1e-18) break;
    }
    dC /= delta0;
  } else {
    dC = gp.cdphi(dInf, delta0, delta0, mu, mu);
  }
  let dtau = opt.dtau ?? 0.05;
  const maxPoints = opt.maxPoints ?? 20001;
  if (sol.static) {
    const lam = Math.sqrt(Math.max(1 - g2 * meanGain2, 0));
    const tauMax = opt.tauMax ?? 10;
    let n = Math.floor(tauMax / dtau + 1e-9) + 1;
    if (n > maxPoints) {
      n = maxPoints;
      dtau = tauMax / (maxPoints - 1);
    }
    const lags = Array.from({ length: n }, (_, i) => i * dtau);
    return {
      m,
      mu,
      delta0,
      deltaInf: delta0,
      cphi0,
      meanGain,
      meanGain2,
      static: true,
      regime: 'quiescent',
      lyapunov: NaN,
      lambdaInf: lam,
      tau_1e: 1 / lam,
      tau_int: 1 / lam,
      tau_inf: 1 / lam,
      lags,
      delta: lags.map(() => delta0),
      cphi: lags.map(() => cphi0),
    };
  }
  const lambda = Math.sqrt(Math.max(1 - g2 * dC, 0));
  const amp = delta0 - dInf;
  const rInf = dInf / delta0;
  const split = Math.max(Math.min(amp / 2, RHO_SPLIT * delta0 - dInf), amp / 16);
  // upper region: W(u) = u²/2 − g² C_Φ(u) + const, normalised to W(Δ0) = D²/2
  const cPhiU = (u: number) => gp.cPhiStationary(u, delta0, mu);
  const wRaw = (u: number) => (u * u) / 2 - g2 * cPhiU(u);
  const w0 = wRaw(delta0);
  const wLower = (v: number): number => {
    const r = (dInf + v) / delta0;
    let p = 0; // p_1
    let rInfPow = 1; // ρ∞^{k−1}
    let acc = 0;
    for (let k = 1; k < coef.length; k++) {
      // term k uses p_k and a_{k−1}
      acc += (p * coef[k - 1] * coef[k - 1]) / k;
      p = r * p + k * rInfPow;
      rInfPow *= rInf;
      if (k > 8 && Math.max(r, rInf) ** k * k * k < 1e-18) break;
    }
    return v * v * (0.5 - (g2 / delta0) * acc);
  };
  const prof = buildProfile({
    delta0,
    deltaInf: dInf,
    D,
    lambda,
    slopeTop: g2 * cphi0 - delta0,
    wUpper: (u) => wRaw(u) - w0 + (D * D) / 2,
    wLower,
    split: split === amp / 2 ? undefined : split,
  });
  const tauMax = opt.tauMax ?? Math.max(10, prof.tauAtFraction(1e-4));
  let n = Math.floor(tauMax / dtau + 1e-9) + 1;
  if (n > maxPoints) {
    n = maxPoints;
    dtau = tauMax / (maxPoints - 1);
  }
  // D > 0: chaotic when λ_max > 0 (below the local criterion g²<φ'²> = 1 it cannot be); D = 0 as before
  const lyapunov = D > 0 ? profileLyapunov({ phi: gp.name, g, delta0, deltaInf: dInf, mean: mu, deltaAt: (t) => prof.deltaAt(t), decayRate: lambda }) : NaN;
  const regime: Regime = D > 0 ? (lyapunov > 0 ? 'chaotic' : 'noise-driven') : 'chaotic';
  const lags: number[] = [];
  const delta: number[] = [];
  const cphi: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = i * dtau;
    const d = i === 0 ? delta0 : prof.deltaAt(t);
    lags.push(t);
    delta.push(d);
    cphi.push(i === 0 ? cphi0 : d - dInf <= split ? Cm(d) : gp.cphiStationary(d, delta0, mu));
  }
  return {
    m,
    mu,
    delta0,
    deltaInf: dInf,
    cphi0,
    meanGain,
    meanGain2,
    static: false,
    regime,
    lyapunov,
    lambdaInf: lambda,
    tau_1e: prof.tau1e,
    tau_int: prof.tauInt,
    tau_inf: 1 / lambda,
    lags,
    delta,
    cphi,
  };
}
