/**
 * Energy-method profile builder (THEORY §4.2) shared by the m = 0 and the magnetised solvers.
 */
import { bracket, cumulativeIntegral, hermiteCubic } from './numerics.js';

export type Regime = 'quiescent' | 'noise-driven' | 'chaotic';

const U_MIN_FRACTION = 1e-10;
const UPPER_INTERVALS = 128;
/** Step of the log-Δ grid: (1 − ln 2)/6, so that Δ0/e is a grid point. */
const LOG_STEP = (1 - Math.LN2) / 6;

export interface Profile {
  deltaAt(tau: number): number;
  tau1e: number;
  tauInt: number;
  /** τ at which Δ − Δ∞ = frac·(Δ0 − Δ∞) (frac in (0, 1]). */
  tauAtFraction(frac: number): number;
}

/**
 * Energy-method profile builder for a particle released at Δ0 with speed D that creeps up to the
 * plateau Δ∞ (a maximum of V): τ(Δ) = ∫_Δ^{Δ0} du / sqrt(2W(u)), W = V(Δ∞) − V.
 * Upper region u = Δ0 − s² (uniform s), lower region v = u − Δ∞ on a uniform log grid down to
 * 1e-10·(Δ0 − Δ∞), then the exact tail v ∝ e^{−λτ}. Knots carry exact slopes for cubic Hermite
 * interpolation of log v.
 */
export interface ProfileSpec {
  delta0: number;
  deltaInf: number;
  D: number;
  /** Decay rate at the plateau, sqrt(1 − g² ∂C_φ/∂Δ at Δ∞). */
  lambda: number;
  /** −W'(Δ0) = g²<φ²> − Δ0 (> 0 for a D = 0 chaotic state); sets the integrand at s = 0. */
  slopeTop: number;
  /** W(u) in the upper region, normalised so that W(Δ0) = D²/2. */
  wUpper(u: number): number;
  /** W(Δ∞ + v) in the lower region. */
  wLower(v: number): number;
  /** Boundary v between the regions (default (Δ0 − Δ∞)/2). */
  split?: number;
}

export function buildProfile(spec: ProfileSpec): Profile {
  const { delta0, deltaInf, D, lambda } = spec;
  const amp = delta0 - deltaInf;
  const vSplit = spec.split ?? amp / 2;

  // s-grid: u = Δ0 − s², s ∈ [0, sqrt(Δ0 − Δ∞ − vSplit)].
  const Mu = UPPER_INTERVALS;
  const sMax = Math.sqrt(amp - vSplit);
  const hs = sMax / Mu;
  const vUp = new Float64Array(Mu + 1);
  const wUpS = new Float64Array(Mu + 1);
  const fUp = new Float64Array(Mu + 1);
  const fUpV = new Float64Array(Mu + 1);
  for (let i = 0; i <= Mu; i++) {
    const s = i * hs;
    const u = delta0 - s * s;
    vUp[i] = amp - s * s;
    if (i === 0) {
      wUpS[i] = (D * D) / 2;
      fUp[i] = D > 0 ? 0 : Math.sqrt(2 / Math.max(spec.slopeTop, 1e-300));
    } else {
      const w = Math.max(spec.wUpper(u), 1e-300);
      wUpS[i] = w;
      fUp[i] = (2 * s) / Math.sqrt(2 * w);
    }
    fUpV[i] = fUp[i] * vUp[i];
  }
  const tauUp = cumulativeIntegral(fUp, hs);
  const intUp = cumulativeIntegral(fUpV, hs)[Mu];

  // log-v grid from vSplit down to 1e-10·amp.
  const tTop = Math.log(vSplit);
  const Ml = Math.ceil(Math.log(vSplit / (U_MIN_FRACTION * amp)) / LOG_STEP);
  const vLow = new Float64Array(Ml + 1);
  const wLowS = new Float64Array(Ml + 1);
  const fLow = new Float64Array(Ml + 1);
  const fLowV = new Float64Array(Ml + 1);
  for (let i = 0; i <= Ml; i++) {
    const v = Math.exp(tTop - i * LOG_STEP);
    vLow[i] = v;
    const w = Math.max(spec.wLower(v), 1e-300);
    wLowS[i] = w;
    fLow[i] = v / Math.sqrt(2 * w);
    fLowV[i] = v * fLow[i];
  }
  const tauLow = cumulativeIntegral(fLow, LOG_STEP);
  const intLow = cumulativeIntegral(fLowV, LOG_STEP)[Ml];
  const tauSplit = tauUp[Mu];
  const vLast = vLow[Ml];
  const tail = lambda > 0 ? vLast / lambda : Infinity;
  const tauInt = (intUp + intLow + tail) / amp;

  // Knots (τ, log v, d log v/dτ = −sqrt(2W)/v).
  const nK = Mu + 1 + Ml;
  const tk = new Float64Array(nK);
  const yk = new Float64Array(nK);
  const dk = new Float64Array(nK);
  for (let i = 0; i <= Mu; i++) {
    tk[i] = tauUp[i];
    yk[i] = Math.log(vUp[i]);
    dk[i] = -Math.sqrt(2 * wUpS[i]) / vUp[i];
  }
  for (let i = 1; i <= Ml; i++) {
    const k = Mu + i;
    tk[k] = tauSplit + tauLow[i];
    yk[k] = Math.log(vLow[i]);
    dk[k] = -Math.sqrt(2 * wLowS[i]) / vLow[i];
  }
  const tLast = tk[nK - 1];
  const vAt = (tau: number): number => {
    const t = Math.abs(tau);
    if (t >= tLast) return lambda > 0 ? vLast * Math.exp(-lambda * (t - tLast)) : vLast;
    const lo = bracket(tk, t);
    const hi = lo + 1;
    return Math.exp(hermiteCubic(t, tk[lo], tk[hi], yk[lo], yk[hi], dk[lo], dk[hi]));
  };
  const bisectKnot = (i: number, target: number): number => {
    let a = tk[i];
    let b = tk[i + 1];
    for (let it = 0; it < 100 && b - a > 1e-15 * b; it++) {
      const m = 0.5 * (a + b);
      const y = hermiteCubic(m, tk[i], tk[i + 1], yk[i], yk[i + 1], dk[i], dk[i + 1]);
      if (y > target) a = m;
      else b = m;
    }
    return 0.5 * (a + b);
  };
  const tauAtFraction = (frac: number): number => {
    if (frac >= 1) return 0;
    const target = Math.log(frac * amp);
    for (let i = 0; i < nK - 1; i++) {
      if (yk[i + 1] === target) return tk[i + 1];
      if (yk[i + 1] < target) return bisectKnot(i, target);
    }
    return tLast + (yk[nK - 1] - target) / Math.max(lambda, 1e-300);
  };
  // With the default split, (Δ0 − Δ∞)/e is the 6th point of the log grid: exact cumulative value.
  const tau1e = spec.split === undefined ? tauSplit + tauLow[6] : tauAtFraction(1 / Math.E);
  return { deltaAt: (t) => deltaInf + vAt(t), tau1e, tauInt, tauAtFraction };
}

