/**
 * Causal discrete-time DMFT of the Euler-discretised network (THEORY §4.3), pure float64.
 *
 * Single site, Euler step Δ (= dt), a = 1 − Δ, b² = 2DΔ:
 *   x_{k+1} = a x_k + Δ (η_k + Σ_β J0_αβ m_β,k) + b ξ_k,   η ~ GP(0, K),  K_α = Σ_β g²_αβ C_φ,β
 * Split x = x^η + x^ξ + x^0 + μ (independent parts, μ_k the deterministic mean):
 *   G_{k,0} = 0,  G_{k,l+1} = a G_{k,l} + Δ K_{k,l}                      (G_{k,l} = <η_k x^η_l>)
 *   Δ^η_{k+1,l+1} = a² Δ^η_{k,l} + aΔ (G_{k,l} + G_{l,k}) + Δ² K_{k,l}
 *   Δ^ξ_{k,l} = b² a^{|k−l|} (1 − a^{2 min(k,l)}) / (1 − a²),   Δ^0_{k,l} = a^{k+l} Var(x_0)
 *   C_{k,l} = <φ(x_k) φ(x_l)>  (raw, means included),   Δ = Δ^η + Δ^ξ + Δ^0 (centred covariance)
 * Filled causally in O(T²) time and O(T·J) memory: only the current row of Δ^η, G_{n,·}, the column
 * G_{·,n} and the per-time Hermite coefficients are kept (the full Δ_{k,l} on request).
 *
 * C_{k,l}: the bivariate Mehler series Σ_j ρ^j a_j(k) a_j(l) (ρ the correlation coefficient) with
 * the orthonormal Hermite coefficients a_j(k) of φ(μ_k + √Δ_kk z) (400 terms, 1000 when those have
 * not decayed): for |ρ| ≤ 0.9616 (where 1000 terms bound the tail by 1e-17 since |φ| ≤ 1), and at any
 * ρ when both coefficient sequences have decayed below 1e-9 (tanh up to variance ≈ 3, erf to larger
 * ones); otherwise (the few lags nearest the diagonal) the 2-D trapezoid rule on a sheared lattice
 * (expect2Lattice: the fast rule's steps with one φ evaluation per lattice point).
 * The result is the exact large-N limit of the Euler simulation at finite Δ (§4.3).
 *
 * Stationary profile: Δ_{T,T−n} of the last row. The approach to stationarity has a slow component
 * (tens of time units at g = 1.5), so run T·Δ well beyond (burn-in + longest lag): e.g. tanh g 1.5,
 * D 0.1, Δ 0.05 needs T·Δ ≈ 150 for Δ_TT to 1e-5 and T·Δ − n·Δ ≳ 150 for the far tail (Δ/Δ0 < 1e-3)
 * to keep its exact asymptotic decay rate (`discreteTauInf`). `drift` reports the remaining change of
 * Δ_kk over the last quarter.
 */
import type { PhiName } from '../nonlinearity.js';
import { expect1, expect2Lattice, fastRule, gaussianPhi, hermiteCoefficients, type Fn } from './gaussian.js';

export interface DiscretePopulations {
  /** g²_ab, P×P, rows target a (Var(J_ij) = g²_ab/N_b). */
  g2: number[][];
  /** Noise intensity per population. */
  D: number[];
  /** J0_ab (mean × N_b), default 0. */
  J0?: number[][];
  /** Var(x_0) per population (default: the single-population var0). */
  var0?: number[];
  /** Mean of x_0 per population (default 0). */
  mu0?: number[];
  /** Optional names (echoed in the result). */
  names?: string[];
}

export interface DiscreteOptions {
  phi: PhiName;
  /** Single population: g, D, J0 (ignored when `populations` is given). */
  g?: number;
  D?: number;
  J0?: number;
  populations?: DiscretePopulations;
  /** Euler step Δ (0 < Δ ≤ 1). */
  dt: number;
  /** Number of steps T (the recursion fills k, l = 0..T). */
  steps: number;
  /** Var(x_0) (default 1, like `simulate`'s x_0 ~ N(0,1)). */
  var0?: number;
  /** Mean of x_0 (default 0; a nonzero value seeds the magnetised branch when J0 is large). */
  mu0?: number;
  /** Longest lag (in steps) of the returned tail profile; default min(steps, round(50/dt)). */
  maxLag?: number;
  /** Keep the full lower triangle Δ_{k,l} (l ≤ k) of every population (O(T²) memory). */
  keepFull?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface DiscretePopulationResult {
  name: string;
  /** Δ_{k,k}, k = 0..T. */
  variance: Float64Array;
  /** Deterministic mean μ_k of x, k = 0..T. */
  mean: Float64Array;
  /** m_k = <φ(x_k)>. */
  m: Float64Array;
  /** Stationary tail profile: Δ_{T,T−n} and C_{T,T−n}, n = 0..maxLag. */
  delta: number[];
  cphi: number[];
  /** <φ'> at the last step. */
  meanGain: number;
  /** Rows k = 0..T of the lower triangle Δ_{k,l}, l ≤ k (keepFull only). */
  full?: Float64Array[];
}

export interface DiscreteResult {
  dt: number;
  steps: number;
  /** n·dt, n = 0..maxLag. */
  lags: number[];
  /** Population 0 conveniences: Δ_TT, its tail profile, C_φ tail, variance trajectory. */
  delta0: number;
  cphi0: number;
  delta: number[];
  cphi: number[];
  variance: Float64Array;
  /** Relative change of Δ_kk of population 0 over the last quarter of the run (stationarity check). */
  drift: number;
  populations: DiscretePopulationResult[];
}

const MEHLER_J = 400;
/** Retry length when 400 coefficients have not decayed (larger variances, plateau states). */
const MEHLER_J_MAX = 1000;
/**
 * The Mehler series is used at any |ρ| ≤ mehlerRho even when the coefficients have not decayed: a φ
 * with |φ| ≤ 1 has Σ a_j² ≤ 1, so the terms beyond the MEHLER_J_MAX kept ones sum to at most
 * |ρ|^MEHLER_J_MAX ≤ 1e-17 (ρ ≤ 0.9616).
 */
const mehlerRho = Math.exp(Math.log(1e-17) / MEHLER_J_MAX);
/** Coefficients below this magnitude are treated as the converged tail (a_j² < 1e-18). */
const COEF_EPS = 1e-9;

interface PopState {
  deta: Float64Array;
  gRow: Float64Array;
  gCol: Float64Array;
  kRow: Float64Array;
  cRow: Float64Array;
  dRow: Float64Array;
  variance: Float64Array;
  mean: Float64Array;
  m: Float64Array;
  coef: Float64Array[]; // per time k: a_j(k), j < len[k]
  full?: Float64Array[];
}

export function dmftDiscrete(opt: DiscreteOptions): DiscreteResult {
  const dt = opt.dt;
  const T = opt.steps;
  if (!(dt > 0 && dt <= 1)) throw new RangeError(`dt must be in (0, 1], got ${dt}`);
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`steps must be a positive integer, got ${T}`);
  const gp = gaussianPhi(opt.phi);
  const f: Fn = gp.f;
  const f2: Fn = (x) => {
    const v = f(x);
    return v * v;
  };

  const pops: DiscretePopulations = opt.populations ?? {
    g2: [[(opt.g ?? 0) ** 2]],
    D: [opt.D ?? 0],
    J0: [[opt.J0 ?? 0]],
  };
  const P = pops.D.length;
  if (pops.g2.length !== P || pops.g2.some((r) => r.length !== P)) throw new RangeError(`populations.g2 must be ${P}×${P}`);
  const J0m = pops.J0 ?? Array.from({ length: P }, () => new Array<number>(P).fill(0));
  if (J0m.length !== P || J0m.some((r) => r.length !== P)) throw new RangeError(`populations.J0 must be ${P}×${P}`);
  pops.D.forEach((d, i) => {
    if (!(d >= 0)) throw new RangeError(`D of population ${i} must be >= 0, got ${d}`);
  });
  const var0 = pops.var0 ?? new Array<number>(P).fill(opt.var0 ?? 1);
  const mu0 = pops.mu0 ?? new Array<number>(P).fill(opt.mu0 ?? 0);
  const maxLag = Math.min(T, opt.maxLag ?? Math.round(50 / dt));

  const a = 1 - dt;
  const a2 = a * a;
  const apow = new Float64Array(2 * T + 3);
  apow[0] = 1;
  for (let k = 1; k < apow.length; k++) apow[k] = apow[k - 1] * a;
  const b2 = pops.D.map((d) => 2 * d * dt);
  const J = MEHLER_J;

  const st: PopState[] = [];
  for (let p = 0; p < P; p++) {
    st.push({
      deta: new Float64Array(T + 2),
      gRow: new Float64Array(T + 2),
      gCol: new Float64Array(T + 2),
      kRow: new Float64Array(T + 2),
      cRow: new Float64Array(T + 2),
      dRow: new Float64Array(T + 2),
      variance: new Float64Array(T + 1),
      mean: new Float64Array(T + 1),
      m: new Float64Array(T + 1),
      coef: [],
      full: opt.keepFull ? [] : undefined,
    });
  }

  // len[k]: effective length of the Hermite coefficients of time k (all later |a_j| < 1e-9);
  // complete[k]: they decayed well before J, so the Mehler series can be used at any correlation,
  // including the diagonal neighbourhood (otherwise the lattice rule there).
  const complete = Array.from({ length: P }, () => new Uint8Array(T + 1));
  const len = Array.from({ length: P }, () => new Int32Array(T + 1));
  const significant = (c: Float64Array) => {
    let last = c.length - 1;
    while (last > 0 && Math.abs(c[last]) < COEF_EPS) last--;
    return last + 1;
  };
  // Whether the previous step needed MEHLER_J_MAX terms: then start there (the variance changes
  // slowly, so the MEHLER_J attempt would be wasted), and step back only if MEHLER_J would have done.
  const wasLong = new Uint8Array(P);
  const setCoefficients = (s: PopState, p: number, k: number) => {
    const v = s.variance[k];
    const mu = s.mean[k];
    let Ju = wasLong[p] ? MEHLER_J_MAX : J;
    let c = hermiteCoefficients(f, v, Ju, mu);
    let n = significant(c);
    if (Ju === J && n > J - 40) {
      Ju = MEHLER_J_MAX;
      c = hermiteCoefficients(f, v, Ju, mu);
      n = significant(c);
    } else if (Ju === MEHLER_J_MAX && n <= J - 40) {
      Ju = J;
      c = hermiteCoefficients(f, v, Ju, mu);
      n = significant(c);
    }
    wasLong[p] = Ju === MEHLER_J_MAX ? 1 : 0;
    const complete1 = n <= Ju - 40;
    // an incomplete sequence has all MEHLER_J_MAX terms, which the |ρ| ≤ mehlerRho branch relies on
    const keep = complete1 ? n : Ju;
    s.coef[k] = c.slice(0, Math.max(keep, 1));
    s.m[k] = c[0];
    len[p][k] = keep;
    complete[p][k] = complete1 ? 1 : 0;
  };
  const oddPhi = gp.f(-0.7) === -gp.f(0.7);

  /** C_{k,l} of one population given Δ_{k,l}. */
  const cEntry = (s: PopState, p: number, k: number, l: number, d12: number): number => {
    const vk = s.variance[k];
    const vl = s.variance[l];
    if (k === l) return expect1(f2, vk, s.mean[k], fastRule);
    const den = Math.sqrt(vk * vl);
    const rho = den > 0 ? d12 / den : 0;
    const bothComplete = complete[p][k] && complete[p][l];
    if (Math.abs(rho) <= mehlerRho || bothComplete) {
      const ck = s.coef[k];
      const cl = s.coef[l];
      const ar = Math.abs(rho);
      // beyond min(len) one factor is < 1e-9 (complete) or the ρ^j cut-off below applies (|ρ| ≤ mehlerRho)
      const Jc = Math.min(len[p][k], len[p][l]);
      if (oddPhi && s.mean[k] === 0 && s.mean[l] === 0) {
        // odd φ, zero means: only odd Hermite coefficients are nonzero
        const r2 = rho * rho;
        const ar2 = ar * ar;
        let r = rho;
        let rAbs = ar;
        let acc = 0;
        for (let j = 1; j < Jc; j += 2) {
          acc += r * ck[j] * cl[j];
          r *= r2;
          rAbs *= ar2;
          if (rAbs < 1e-17) break;
        }
        return acc;
      }
      let acc = ck[0] * cl[0];
      let r = 1;
      let rAbs = 1;
      for (let j = 1; j < Jc; j++) {
        r *= rho;
        rAbs *= ar;
        if (rAbs < 1e-17) break;
        acc += r * ck[j] * cl[j];
      }
      return acc;
    }
    if (gp.name === 'erf' && s.mean[k] === 0 && s.mean[l] === 0) return gp.cphi(d12, vk, vl);
    return expect2Lattice(f, f, vk, vl, d12, s.mean[k], s.mean[l]);
  };

  // k = 0
  for (let p = 0; p < P; p++) {
    const s = st[p];
    s.variance[0] = var0[p];
    s.mean[0] = mu0[p];
    s.dRow[0] = var0[p];
    setCoefficients(s, p, 0);
    s.cRow[0] = cEntry(s, p, 0, 0, var0[p]);
    s.full?.push(Float64Array.of(var0[p]));
  }
  const fillK = (n: number) => {
    for (let p = 0; p < P; p++) {
      const kr = st[p].kRow;
      for (let l = 0; l <= n; l++) {
        let acc = 0;
        for (let q = 0; q < P; q++) acc += pops.g2[p][q] * st[q].cRow[l];
        kr[l] = acc;
      }
    }
  };
  fillK(0);
  for (let p = 0; p < P; p++) {
    st[p].gRow[0] = 0;
    st[p].gCol[0] = 0;
  }

  const progressEvery = Math.max(1, Math.floor(T / 100));
  for (let n = 0; n < T; n++) {
    const k = n + 1;
    // 1. Δ^η row k from row n (in place, descending l), and the column G_{·,k}.
    for (let p = 0; p < P; p++) {
      const s = st[p];
      const { deta, gRow, gCol, kRow } = s;
      for (let l = n; l >= 0; l--) deta[l + 1] = a2 * deta[l] + a * dt * (gRow[l] + gCol[l]) + dt * dt * kRow[l];
      deta[0] = 0;
      for (let l = 0; l <= n; l++) gCol[l] = a * gCol[l] + dt * kRow[l];
    }
    // 2. Full covariance row, mean, Hermite coefficients.
    for (let p = 0; p < P; p++) {
      const s = st[p];
      const { deta, dRow } = s;
      const bb = b2[p];
      const inv1a2 = 1 - a2 !== 0 ? 1 / (1 - a2) : 0;
      for (let l = 0; l <= k; l++) {
        const xi = bb * apow[k - l] * (1 - apow[2 * l]) * inv1a2;
        dRow[l] = deta[l] + xi + apow[k + l] * var0[p];
      }
      s.variance[k] = dRow[k];
      let drive = 0;
      for (let q = 0; q < P; q++) drive += J0m[p][q] * st[q].m[n];
      s.mean[k] = a * s.mean[n] + dt * drive;
    }
    for (let p = 0; p < P; p++) setCoefficients(st[p], p, k);
    // 3. C row k, K row k, G row k.
    for (let p = 0; p < P; p++) {
      const s = st[p];
      const { dRow, cRow } = s;
      for (let l = 0; l <= k; l++) cRow[l] = cEntry(s, p, k, l, dRow[l]);
      if (s.full) s.full.push(dRow.slice(0, k + 1));
    }
    fillK(k);
    for (let p = 0; p < P; p++) {
      const { gRow, gCol, kRow } = st[p];
      gRow[0] = 0;
      for (let l = 0; l < k; l++) gRow[l + 1] = a * gRow[l] + dt * kRow[l];
      gCol[k] = gRow[k];
    }
    if (opt.onProgress && (k % progressEvery === 0 || k === T)) opt.onProgress(k, T);
  }

  const lags: number[] = [];
  for (let i = 0; i <= maxLag; i++) lags.push(i * dt);
  const names = pops.names ?? (P === 1 ? ['all'] : Array.from({ length: P }, (_, i) => `pop${i}`));
  const results: DiscretePopulationResult[] = st.map((s, p) => {
    const delta: number[] = [];
    const cphi: number[] = [];
    for (let i = 0; i <= maxLag; i++) {
      delta.push(s.dRow[T - i]);
      cphi.push(s.cRow[T - i]);
    }
    const vT = s.variance[T];
    const meanGain = vT > 0 ? (s.coef[T][1] ?? 0) / Math.sqrt(vT) : gp.df(s.mean[T]);
    return { name: names[p], variance: s.variance, mean: s.mean, m: s.m, delta, cphi, meanGain, full: s.full };
  });
  const v = st[0].variance;
  const q = Math.floor((3 * T) / 4);
  const drift = Math.abs(v[T] - v[q]) / Math.max(Math.abs(v[T]), 1e-300);
  return {
    dt,
    steps: T,
    lags,
    delta0: v[T],
    cphi0: st[0].cRow[T],
    delta: results[0].delta,
    cphi: results[0].cphi,
    variance: v,
    drift,
    populations: results,
  };
}

/**
 * Asymptotic decay time of the stationary discrete recursion (one population, m = 0): the lag
 * equation (1 + a²)Δ(n) − a(Δ(n+1) + Δ(n−1)) = Δ² g² C(n) linearised (C ≈ <φ'>² Δ) gives
 * Δ(n) ∝ r^n with r + 1/r = (1 + a² − Δ² ν)/a; τ∞ = −Δ / ln r.
 */
export function discreteTauInf(dt: number, nu: number): number {
  const a = 1 - dt;
  const c = (1 + a * a - dt * dt * nu) / (2 * a);
  if (!(c > 1)) return Infinity;
  const r = c - Math.sqrt(c * c - 1);
  return -dt / Math.log(r);
}

/**
 * Lag range (in steps) on which timescales of the stationary profile are measured, independent of
 * how much of the profile a caller prints: 50 time units (≈ 10 τ_1/e at g 1.5), extended to all of
 * the last row that keeps 150 time units of burn-in when the run is longer (see the module notes on
 * the slow approach to stationarity), and never more than the run itself.
 */
export function timescaleLag(steps: number, dt: number): number {
  return Math.min(steps, Math.max(Math.round(50 / dt), steps - Math.round(150 / dt)));
}

/**
 * τ_1/e (linear interpolation) and τ_int (trapezoid + exponential tail) of a sampled decaying profile.
 * τ_1/e is NaN when the profile stays above Δ0/e over all the given lags.
 */
export function profileTimescales(lags: ArrayLike<number>, delta: ArrayLike<number>, tailTime = 0): { tau_1e: number; tau_int: number } {
  const d0 = delta[0];
  let tau1e = NaN;
  for (let i = 1; i < lags.length; i++) {
    if (delta[i] <= d0 / Math.E) {
      const t = (delta[i - 1] - d0 / Math.E) / (delta[i - 1] - delta[i]);
      tau1e = lags[i - 1] + t * (lags[i] - lags[i - 1]);
      break;
    }
  }
  let integral = 0;
  for (let i = 1; i < lags.length; i++) integral += 0.5 * (delta[i] + delta[i - 1]) * (lags[i] - lags[i - 1]);
  if (tailTime > 0 && Number.isFinite(tailTime)) integral += delta[lags.length - 1] * tailTime;
  return { tau_1e: tau1e, tau_int: integral / d0 };
}
