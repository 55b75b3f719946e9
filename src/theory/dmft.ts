/**
 * Dynamical mean-field theory of the random rate network (THEORY §4, §7), pure float64.
 *
 * Single site (§4.1): ẋ = −x + η + J0 m + sqrt(2D) ξ, η ~ GP(0, g² C_φ), C_φ the raw
 * autocorrelation of φ(x). Stationary, odd φ, m = 0 (§4.2): Δ(τ) = <x(t)x(t+τ)> obeys
 *   (1 − ∂_τ²) Δ = g² C_φ(Δ; Δ0) + 2D δ(τ)  ⇒  Newtonian particle in V(Δ) = −Δ²/2 + g² C_Φ(Δ; Δ0)
 * with Δ'(0⁺) = −D and Δ(∞) = 0. Energy: W(Δ) := V(0) − V(Δ) = ½Δ'², W(Δ0) = D²/2.
 *
 * Solver (energy method, never forward integration of the 2nd-order ODE):
 *  1. Δ0 = root of W(Δ0) = Δ0²/2 − g² Var Φ(x) = D²/2, x ~ N(0, Δ0), by bracketing + Brent (1-D
 *     integrals only).
 *  2. Profile τ(Δ) = ∫_Δ^{Δ0} du / sqrt(2W(u)) on two grids: u = Δ0 − s² (uniform s) for u ≥ Δ0/2,
 *     with W from the 2-D C_Φ (the limit of the integrand at s = 0 is sqrt(2/(g²<φ²> − Δ0)) for D = 0);
 *     uniform log u down to 1e-10·Δ0 for u < Δ0/2 with W from the Mehler series
 *     C_Φ(Δ) − C_Φ(0) = Σ_k Δ^k/k! <φ^(k−1)>² (no cancellation); below that the exact exponential
 *     tail with λ∞ = sqrt(1 − g²<φ'>²). Δ(τ) is the cubic Hermite interpolant of log Δ with the exact
 *     slopes d log Δ/dτ = −sqrt(2W)/Δ.
 *  3. Timescales τ_1/e, τ_int = ∫Δ/Δ0, τ_∞ = 1/λ∞; regime; chaos transition (static-state criterion
 *     g²<φ'²> = 1 of §4.4) and magnetic transition (J0<φ'> = 1 of §7).
 *
 * Units: time in single-unit time constants; D in the sqrt(2D)ξ convention (§0.2).
 */
import type { PhiName } from '../nonlinearity.js';
import { gaussianPhi, type GaussianPhi } from './gaussian.js';
import { brent } from './numerics.js';
import { buildProfile, type Profile, type Regime } from './profile.js';
import { solveMagnetised, type MagnetisedState } from './magnetised.js';
import { profileLyapunov } from './lyapunov.js';
import type { DiscretePopulations } from './dmftDiscrete.js';

export {
  dmftDiscrete,
  discreteTauInf,
  profileTimescales,
  type DiscreteOptions,
  type DiscreteResult,
  type DiscretePopulations,
  type DiscretePopulationResult,
} from './dmftDiscrete.js';
export type { MagnetisedState, MagnetisedOptions } from './magnetised.js';

export type { Regime } from './profile.js';
export { buildProfile, type Profile, type ProfileSpec } from './profile.js';

export interface StationaryOptions {
  phi: PhiName;
  g: number;
  /** Noise intensity (sqrt(2D)ξ convention). Default 0. */
  D?: number;
  /** Mean coupling J0 (J_ij = J0/N + g z_ij/√N). Default 0. */
  J0?: number;
  /** Output lag step (default 0.05). */
  dtau?: number;
  /** Output lag range (default: where Δ(τ) = 1e-4·Δ0, at least 10). */
  tauMax?: number;
  /** Cap on the number of output lags (default 20001; dtau is widened to respect it). */
  maxPoints?: number;
  /** Skip the local-expansion threshold g_c (a 1-D root search per g step), and λ_max where g²<φ'²> < 1 (the regime is then certain). */
  skipThreshold?: boolean;
  /**
   * Several populations: not supported by the energy method (no conserved energy for a general g²_αβ);
   * use `dmftDiscrete({ populations })`, which is exact for the Euler network. Passing it throws.
   */
  populations?: DiscretePopulations;
}

export interface StationarySolution {
  phi: PhiName;
  g: number;
  D: number;
  J0: number;
  /** Δ0 = <x²> of the m = 0 state. */
  delta0: number;
  /** C_φ(0) = <φ(x)²>. */
  cphi0: number;
  /** <φ'(x)>, x ~ N(0, Δ0). */
  meanGain: number;
  /** <φ'(x)²>. */
  meanGain2: number;
  /** ν = g²<φ'>². */
  nu: number;
  /** Asymptotic decay rate λ∞ = sqrt(1 − ν). */
  lambdaInf: number;
  tau_1e: number;
  tau_int: number;
  tau_inf: number;
  /**
   * From the mean-field maximal Lyapunov exponent: chaotic when λ_max > 0 (D > 0), when g φ'(0) > 1 (D = 0).
   * Above the local criterion g²<φ'²> = 1 a noisy network may still be stable (src/theory/lyapunov.ts).
   */
  regime: Regime;
  /**
   * Mean-field maximal Lyapunov exponent λ_max (per τ) of the noisy network: the rate at which two copies under
   * the same noise separate. NaN for D = 0, and with skipThreshold where g²<φ'²> < 1 (then λ_max < 0).
   */
  lyapunov: number;
  /**
   * Local-expansion threshold g_c at this D: g²<φ'²>_{Δ0(g)} = 1 (§4.4; 1 for D = 0). For D > 0 chaos sets in
   * above it, where λ_max crosses 0.
   */
  gChaos: number;
  gOverGc: number;
  /** Magnetic transition of the m = 0 state: J0c = 1/<φ'>. */
  J0c: number;
  J0OverJ0c: number;
  /** m = 0 stable against the population-mean mode (J0 <φ'> < 1). */
  magneticStable: boolean;
  /** Output lag grid and Δ(τ), C_φ(τ) on it (m = 0 state). */
  lags: number[];
  delta: number[];
  cphi: number[];
  /** Δ at any lag (interpolated energy-method profile). */
  deltaAt(tau: number): number;
  /** C_φ(Δ; Δ0) at a given Δ (m = 0 state). */
  cphiOf(delta: number): number;
  /** The magnetised state, when J0 exceeds J0c. */
  magnetised?: MagnetisedState;
}

const MEHLER_TERMS = 120;

function checkParams(g: number, D: number, J0: number): void {
  if (!Number.isFinite(g) || g < 0) throw new RangeError(`g must be a finite number >= 0, got ${g}`);
  if (!Number.isFinite(D) || D < 0) throw new RangeError(`D must be a finite number >= 0, got ${D}`);
  if (!Number.isFinite(J0)) throw new RangeError(`J0 must be finite, got ${J0}`);
}

/**
 * Δ0 of the stationary m = 0 state: root of W(Δ0) = Δ0²/2 − g² Var Φ = D²/2 (0 when D = 0 and
 * g ≤ 1: the quiescent fixed point).
 */
export function solveDelta0(phi: PhiName | GaussianPhi, g: number, D = 0): number {
  checkParams(g, D, 0);
  const gp = typeof phi === 'string' ? gaussianPhi(phi) : phi;
  if (D === 0 && g * gp.slopeAtZero <= 1) return 0;
  const g2 = g * g;
  const target = (D * D) / 2;
  const F = (x: number) => (x * x) / 2 - g2 * gp.varPhiAnti(x) - target;
  let hi = Math.max(1, 2 * D);
  let fhi = F(hi);
  for (let i = 0; fhi <= 0; i++) {
    if (i > 200) throw new Error(`DMFT: could not bracket Δ0 (g = ${g}, D = ${D})`);
    hi *= 2;
    fhi = F(hi);
  }
  let lo: number;
  let flo: number;
  if (D > 0) {
    lo = 0;
    flo = -target;
  } else {
    lo = hi;
    flo = fhi;
    while (flo >= 0) {
      hi = lo;
      fhi = flo;
      lo /= 2;
      if (lo < 1e-300) return 0;
      flo = F(lo);
    }
  }
  return brent(F, lo, hi, { fa: flo, fb: fhi, rtol: 1e-15 });
}

/**
 * Chaos onset g_c(D) (§4.4): D = 0 → 1/φ'(0) = 1; D > 0 → root of g²<φ'²>_{Δ0(g, D)} = 1 with Δ0
 * from the stationary DMFT (white-noise criterion, Schuecker–Goedeke–Helias).
 */
export function chaosThreshold(phi: PhiName, D = 0): number {
  const gp = gaussianPhi(phi);
  if (D === 0) return 1 / gp.slopeAtZero;
  const h = (g: number) => g * g * gp.meanGain2(solveDelta0(gp, g, D)) - 1;
  let lo = 1 / gp.slopeAtZero;
  let flo = h(lo);
  let hi = 2 * lo;
  let fhi = h(hi);
  while (fhi < 0) {
    lo = hi;
    flo = fhi;
    hi *= 2;
    if (hi > 1e6) return Infinity;
    fhi = h(hi);
  }
  return brent(h, lo, hi, { fa: flo, fb: fhi, rtol: 1e-13 });
}

/**
 * Static quenched input of variance Dstatic (§4.4 second list): the static state's variance solves
 * Δ = g²<φ²>_Δ + Dstatic; it loses stability at g²<φ'²>_Δ = 1. Returns that g_c.
 */
export function staticChaosThreshold(phi: PhiName, Dstatic: number): number {
  const gp = gaussianPhi(phi);
  const staticVar = (g: number) => {
    const F = (d: number) => g * g * gp.meanPhi2(d) + Dstatic - d;
    let hi = Math.max(1, 2 * Dstatic);
    while (F(hi) > 0) hi *= 2;
    return Dstatic > 0 ? brent(F, 0, hi, { rtol: 1e-15 }) : 0;
  };
  const h = (g: number) => g * g * gp.meanGain2(staticVar(g)) - 1;
  let lo = 1;
  let hi = 2;
  while (h(hi) < 0) {
    lo = hi;
    hi *= 2;
    if (hi > 1e6) return Infinity;
  }
  return brent(h, lo, hi, { rtol: 1e-13 });
}

/** The energy-method profile of the m = 0 state (§4.2). Requires Δ0 > 0. */
function energyProfile(gp: GaussianPhi, g: number, D: number, delta0: number, nu: number): Profile & { cphiOf(delta: number): number } {
  const g2 = g * g;
  const lambda = Math.sqrt(Math.max(1 - nu, 0));
  const a2 = gp.hermiteSquared(delta0, MEHLER_TERMS);
  const J = a2.length;

  // Lower region (u ≤ Δ0/2): Mehler series, W = (1 − ν)u²/2 − g²Δ0 Σ_{k≠2} ρ^k a_{k−1}²/k.
  const wLow = (u: number): number => {
    const r = u / delta0;
    let sum = r * a2[0];
    let rk = r * r;
    for (let k = 3; k <= J; k++) {
      rk *= r;
      sum += (rk * a2[k - 1]) / k;
      if (rk < 1e-18) break;
    }
    return ((1 - nu) * u * u) / 2 - g2 * delta0 * sum;
  };
  const cphiLow = (u: number): number => {
    const r = u / delta0;
    let sum = 0;
    let rk = 1;
    for (let j = 0; j < J; j++) {
      sum += rk * a2[j];
      rk *= r;
      if (rk < 1e-18) break;
    }
    return sum;
  };

  // Upper region (u ≥ Δ0/2): W from the 2-D C_Φ, shifted so that W(Δ0) = D²/2 exactly.
  const mPhi = gp.meanPhiAnti(delta0);
  const wUpRaw = (u: number) => (u * u) / 2 - g2 * (gp.cPhiStationary(u, delta0) - mPhi * mPhi);
  const corr = wUpRaw(delta0) - (D * D) / 2;
  const prof = buildProfile({
    delta0,
    deltaInf: 0,
    D,
    lambda,
    slopeTop: g2 * gp.meanPhi2(delta0) - delta0,
    wUpper: (u) => wUpRaw(u) - corr,
    wLower: wLow,
  });
  const cphiOf = (u: number): number => (u <= delta0 / 2 ? cphiLow(u) : gp.cphiStationary(u, delta0));
  return { ...prof, cphiOf };
}

/** Stationary DMFT by the energy method (§4.2), with regime, transitions and timescales. */
export function solveStationary(opt: StationaryOptions): StationarySolution {
  if (opt.populations) {
    throw new RangeError('solveStationary: several populations are only supported by the discrete recursion (dmftDiscrete({ populations }))');
  }
  const D = opt.D ?? 0;
  const J0 = opt.J0 ?? 0;
  const g = opt.g;
  checkParams(g, D, J0);
  const gp = gaussianPhi(opt.phi);
  const delta0 = solveDelta0(gp, g, D);
  const meanGain = delta0 > 0 ? gp.meanGain(delta0) : gp.slopeAtZero;
  const meanGain2 = delta0 > 0 ? gp.meanGain2(delta0) : gp.slopeAtZero ** 2;
  const cphi0 = delta0 > 0 ? gp.meanPhi2(delta0) : 0;
  const nu = g * g * meanGain * meanGain;
  const lambdaInf = Math.sqrt(Math.max(1 - nu, 0));
  const gChaos = opt.skipThreshold ? NaN : chaosThreshold(opt.phi, D);
  const J0c = 1 / meanGain;

  let dtau = opt.dtau ?? 0.05;
  if (!(dtau > 0)) throw new RangeError(`dtau must be > 0, got ${dtau}`);
  const maxPoints = opt.maxPoints ?? 20001;

  let tau1e: number;
  let tauInt: number;
  let deltaAt: (t: number) => number;
  let cphiOf: (d: number) => number;
  let defaultTauMax: number;
  if (delta0 > 0) {
    const prof = energyProfile(gp, g, D, delta0, nu);
    tau1e = prof.tau1e;
    tauInt = prof.tauInt;
    deltaAt = prof.deltaAt;
    cphiOf = prof.cphiOf;
    defaultTauMax = Math.max(10, prof.tauAtFraction(1e-4));
  } else {
    // Quiescent: Δ ≡ 0. Timescales are the D → 0⁺ limit (linear network: Δ ∝ e^{−λτ}, λ = sqrt(1 − g²)).
    tau1e = tauInt = 1 / lambdaInf;
    deltaAt = () => 0;
    cphiOf = () => 0;
    defaultTauMax = Math.max(10, Math.min(1e4, Math.log(1e4) / Math.max(lambdaInf, 1e-12)));
  }
  const tauMax = opt.tauMax ?? defaultTauMax;
  if (!(tauMax > 0)) throw new RangeError(`tauMax must be > 0, got ${tauMax}`);
  let nLags = Math.floor(tauMax / dtau + 1e-9) + 1;
  if (nLags > maxPoints) {
    nLags = maxPoints;
    dtau = tauMax / (maxPoints - 1);
  }
  const lags: number[] = new Array(nLags);
  const delta: number[] = new Array(nLags);
  const cphi: number[] = new Array(nLags);
  for (let i = 0; i < nLags; i++) {
    const t = i * dtau;
    lags[i] = t;
    const d = i === 0 ? delta0 : deltaAt(t);
    delta[i] = d;
    cphi[i] = i === 0 ? cphi0 : d > 0 ? cphiOf(d) : 0;
  }

  // D > 0: chaotic when the mean-field λ_max is positive; below the local criterion g²<φ'²> = 1 it cannot be.
  let regime: Regime;
  let lyapunov = NaN;
  if (D === 0) regime = g * gp.slopeAtZero <= 1 ? 'quiescent' : 'chaotic';
  else if (opt.skipThreshold && g * g * meanGain2 < 1) regime = 'noise-driven'; // λ_max < 0 for certain; not computed
  else {
    lyapunov = profileLyapunov({ phi: opt.phi, g, delta0, deltaAt, decayRate: Math.sqrt(Math.max(1 - nu, 0)) });
    regime = lyapunov > 0 ? 'chaotic' : 'noise-driven';
  }

  const sol: StationarySolution = {
    phi: opt.phi,
    g,
    D,
    J0,
    delta0,
    cphi0,
    meanGain,
    meanGain2,
    nu,
    lambdaInf,
    tau_1e: tau1e,
    tau_int: tauInt,
    tau_inf: 1 / lambdaInf,
    regime,
    lyapunov,
    gChaos,
    gOverGc: g / gChaos,
    J0c,
    J0OverJ0c: J0 / J0c,
    magneticStable: J0 * meanGain < 1,
    lags,
    delta,
    cphi,
    deltaAt: (t) => (t === 0 ? delta0 : deltaAt(t)),
    cphiOf: (d) => (d === delta0 ? cphi0 : d > 0 ? cphiOf(d) : 0),
  };
  if (!sol.magneticStable) sol.magnetised = solveMagnetised(gp, g, D, J0, { dtau: opt.dtau, tauMax: opt.tauMax, maxPoints: opt.maxPoints });
  return sol;
}

// ---------------------------------------------------------------------------------------------
// Power spectra (§0.2 Fourier convention: C(ω) = ∫dτ e^{−iωτ} C(τ), two-sided, S(f) = C(ω = 2πf))
// ---------------------------------------------------------------------------------------------

function sinc(x: number): number {
  return Math.abs(x) < 1e-4 ? 1 - (x * x) / 6 : Math.sin(x) / x;
}

/**
 * Fourier transform of an even function known on a uniform or non-uniform lag grid τ_0 = 0 < … < τ_N:
 * 2∫_0^∞ cos(ωτ) c(τ) dτ, exact for the piecewise-linear interpolant, plus the exponential tail
 * c_N e^{−λ(τ − τ_N)} beyond the grid when tailRate λ > 0 (otherwise the tail is dropped).
 */
export function cosineTransform(lags: ArrayLike<number>, values: ArrayLike<number>, omegas: ArrayLike<number>, tailRate = 0): Float64Array {
  const n = lags.length;
  if (n < 2 || values.length !== n) throw new RangeError('cosineTransform needs ≥ 2 lags and as many values');
  const out = new Float64Array(omegas.length);
  const tN = lags[n - 1];
  const cN = values[n - 1];
  for (let q = 0; q < omegas.length; q++) {
    const w = omegas[q];
    // ∫ cos(ωτ)(c0 + m(τ−τ0)) over each segment = [c sin(ωτ)/ω] + m [cos(ωτ)/ω²]; the first part
    // telescopes to c_N τ_N sinc(ωτ_N); cos a − cos b = −2 sin((a+b)/2) sin((a−b)/2).
    let acc = cN * tN * sinc(w * tN) - values[0] * lags[0] * sinc(w * lags[0]);
    for (let i = 0; i < n - 1; i++) {
      const h = lags[i + 1] - lags[i];
      if (h <= 0) continue;
      const m = (values[i + 1] - values[i]) / h;
      const tm = 0.5 * (lags[i + 1] + lags[i]);
      acc += -m * h * tm * sinc(w * tm) * sinc((w * h) / 2);
    }
    if (tailRate > 0) acc += (cN * (tailRate * Math.cos(w * tN) - w * Math.sin(w * tN))) / (tailRate * tailRate + w * w);
    out[q] = 2 * acc;
  }
  return out;
}

export interface DmftSpectra {
  /** Ordinary frequencies f (ω = 2πf). */
  freqs: number[];
  /** Two-sided power spectrum of x: S_x(f) = Δ(ω = 2πf). */
  sx: number[];
  /** Two-sided power spectrum of φ(x): C_φ(ω) (minus the m² delta peak, absent for m = 0). */
  sphi: number[];
}

/** Power spectra of x and φ(x) from a stationary solution by numerical Fourier transform of Δ and C_φ. */
export function dmftSpectra(sol: StationarySolution, freqs: number[]): DmftSpectra {
  const omegas = freqs.map((f) => 2 * Math.PI * f);
  const rate = sol.lambdaInf;
  const sx = cosineTransform(sol.lags, sol.delta, omegas, rate);
  // C_φ decays like <φ'>²Δ at large lags: same rate.
  const sphi = cosineTransform(sol.lags, sol.cphi, omegas, rate);
  return { freqs: [...freqs], sx: Array.from(sx), sphi: Array.from(sphi) };
}
