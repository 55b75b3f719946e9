/**
 * Participation ratio of a network of several populations (THEORY §2.5 blocks, §5.1), for the Euler
 * network a population fit describes: discrete time, step Δ (in τ), pure float64.
 *
 * Network: x_{k+1} = a x_k + Δ (J φ(x_k)) + sqrt(2D_a Δ) ξ_k, a = 1 − Δ, Var(J_ij) = g²_ab/N_b for
 * i ∈ a, j ∈ b. Its single-site statistics are the population DMFT (dmftDiscrete, §4.3): per population
 * b the spectra C_x,b(ω), C_φ,b(ω) (centred) and the gain <φ'>_b.
 *
 * Four-point function ([R], derived here; the single-population formula of §5.2 as the special case).
 * Ψ = (1/N) Σ_ij C_ij(ω1) C_ij(ω2). Linearising the cross-covariances in the couplings, a φ-fluctuation
 * reaches unit i from unit k with the response S_i(ω) J_ik, S_i = <φ'>_i h(ω), h(ω) = Δ/(e^{iωΔ} − a)
 * (→ 1/(1 + iω) as Δ → 0). In the large-N limit the surviving pairings of Σ_ij C_ij C_ij are the planar
 * ones of the linear network's (1/N) tr[A⁻¹ΛA⁻†B⁻¹ΛB⁻†]: four nests of J–Jᵀ pairs, one at each corner
 * of the trace, whose outermost pairs meet at one "centre" unit c. The two rainbow corners give the
 * centre's own spectra C_c(ω1), C_c(ω2); each ladder corner is a chain from a free end unit i back to c,
 * one rung per step i ← k with weight g²_{p(i)p(k)}/N_{p(k)} <φ'>²_{p(i)} h(ω1)h(ω2). Summed over the
 * free end, a chain from c ∈ b weighs
 *   u_b = Σ_a (N_a/N_b) [(I − K z)⁻¹]_ab,   K_ab = <φ'>_a² g²_ab,  z = h(ω1) h(ω2),
 * and the two ladders are complex conjugates, so
 *   Ψ^φ(ω1, ω2) = Σ_b f_b C_φ,b(ω1) C_φ,b(ω2) |u_b|²,   f_b = N_b/N.
 * For one population u = 1/(1 − g²<φ'>² z), which is §5.2's 1/|1 − ν/X|² at X = 1/z. For x the chain's
 * last rung ends on x_i, not φ_i (no gain <φ'>_i there), and a chain of length zero leaves x_c at the
 * centre, whose cross-spectrum with the φ_c that leaves along the other chain is <φ'>_b C_x,b:
 *   Ψ^x = Σ_b f_b [C_x,b1 C_x,b2 (1 + 2 Re U_b <φ'>_b²) + |U_b|² C_φ,b1 C_φ,b2],
 *   U_b = Σ_a (N_a/N_b) [G² z (I − K z)⁻¹]_ab,   (one population: g² z/(1 − νz), §5.2's U).
 * Private noise enters only through the single-site spectra (as for one population, participation.ts).
 * The mean couplings J0_ab enter only through the DMFT's means: their rank-P contribution to Σ C_ij²
 * is O(1/N) away from the magnetic transition, as in §5.2.
 * Checked (test/pr-populations.test.ts) against the exact covariance of linear Euler networks with two
 * populations, against the one-population formula when the blocks are equal, and against the
 * continuous theory (participation.ts) at small Δ.
 *
 * Spectra (discrete time): C(ω) = Δ Σ_l C[l] e^{−iωlΔ} over |ω| < π/Δ, so ∫ dω/2π C(ω) = C[0], from the
 * recursion's stationary lag profile (zero-padded FFT, cubic interpolation). Ψ(0,0) = ∫∫ dω1dω2/(2π)² Ψ
 * over the band: the diagonal part Σ_b f_b C_b[0]² exactly, the rest as ∫∫ C C (|u|² − 1) etc. The
 * integrand is periodic with period 2π/Δ in ω1 and ω2, even under (ω1, ω2) → (−ω1, −ω2) and symmetric in
 * ω1 ↔ ω2. In u = (ω1 − ω2)/2, s = ω1 + ω2 (Jacobian 1) the square |u|, |s| < π/Δ is a fundamental
 * domain, the integrand is even in u and s, and the ridge near the stability edge lies along s = 0 with
 * width ≈ 1 − ν + u² (ν the leading eigenvalue of K): sinh maps clustered at u = 0 and s = 0, Simpson's
 * rule in the mapped variables (participation.ts does the same in continuous time).
 */
import type { PhiName } from '../nonlinearity.js';
import { RealFFT } from '../statistics/fft.js';
import { dmftDiscrete, discreteTauInf } from './dmftDiscrete.js';
import { eigenvaluesGeneral } from './multiregion.js';

export interface PopulationPrOptions {
  phi: PhiName;
  /** g²_ab, P×P, rows target a (Var(J_ij) = g²_ab/N_b). */
  g2: number[][];
  /** Noise intensity per population. */
  D: number[];
  /** J0_ab (mean × N_b), default 0. */
  J0?: number[][];
  /** Units per population (the weights N_b/N of the pairs' centres). */
  sizes: number[];
  /** Euler step Δ in units of τ (0 < Δ ≤ 1). */
  dt: number;
  names?: string[];
  /** Burn-in of the DMFT recursion, in τ (default 150: its slow approach to stationarity). */
  burnIn?: number;
  /** Largest number of recursion steps (cost ∝ P·steps²; default 20000). */
  maxSteps?: number;
  /** Quadrature refinement (default 1; 2 halves every step, for convergence checks). */
  refine?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface PopulationPrResult {
  pr_x: number;
  pr_phi: number;
  /** Ψ^a(0,0) per unit (§5.1). */
  psi_x: number;
  psi_phi: number;
  /** The population-weighted equal-time variances Σ_b f_b C_b[0]. */
  cx0: number;
  cphi0: number;
  populations: { name: string; size: number; cx0: number; cphi0: number; meanGain: number }[];
  /** Leading eigenvalue of K = diag(<φ'>²)·g² (one population: ν = g²<φ'>²); < 1 for a stable bulk. */
  nu: number;
  /** Leading real part of J0·diag(<φ'>) (≥ 1: past the magnetic transition). */
  magneticLead: number;
  grid: { steps: number; lags: number; fftLength: number; uPoints: number; sPointsMax: number; evaluations: number };
}

/** Complex P×P solve Mᵀ w = rhs by Gaussian elimination with partial pivoting (M, rhs overwritten). */
function solveTransposed(mRe: Float64Array, mIm: Float64Array, rRe: Float64Array, rIm: Float64Array, P: number): void {
  // Work on A = Mᵀ: A[i][j] = M[j][i].
  const A = (i: number, j: number) => j * P + i;
  for (let c = 0; c < P; c++) {
    let piv = c;
    let best = -1;
    for (let r = c; r < P; r++) {
      const v = mRe[A(r, c)] ** 2 + mIm[A(r, c)] ** 2;
      if (v > best) {
        best = v;
        piv = r;
      }
    }
    if (piv !== c) {
      for (let j = 0; j < P; j++) {
        let t = mRe[A(c, j)];
        mRe[A(c, j)] = mRe[A(piv, j)];
        mRe[A(piv, j)] = t;
        t = mIm[A(c, j)];
        mIm[A(c, j)] = mIm[A(piv, j)];
        mIm[A(piv, j)] = t;
      }
      let t = rRe[c];
      rRe[c] = rRe[piv];
      rRe[piv] = t;
      t = rIm[c];
      rIm[c] = rIm[piv];
      rIm[piv] = t;
    }
    const pr = mRe[A(c, c)];
    const pi = mIm[A(c, c)];
    const d = pr * pr + pi * pi;
    for (let r = c + 1; r < P; r++) {
      const ar = mRe[A(r, c)];
      const ai = mIm[A(r, c)];
      // factor = A[r][c] / A[c][c]
      const fr = (ar * pr + ai * pi) / d;
      const fi = (ai * pr - ar * pi) / d;
      for (let j = c; j < P; j++) {
        const br = mRe[A(c, j)];
        const bi = mIm[A(c, j)];
        mRe[A(r, j)] -= fr * br - fi * bi;
        mIm[A(r, j)] -= fr * bi + fi * br;
      }
      rRe[r] -= fr * rRe[c] - fi * rIm[c];
      rIm[r] -= fr * rIm[c] + fi * rRe[c];
    }
  }
  for (let c = P - 1; c >= 0; c--) {
    let sr = rRe[c];
    let si = rIm[c];
    for (let j = c + 1; j < P; j++) {
      const ar = mRe[A(c, j)];
      const ai = mIm[A(c, j)];
      sr -= ar * rRe[j] - ai * rIm[j];
      si -= ar * rIm[j] + ai * rRe[j];
    }
    const pr = mRe[A(c, c)];
    const pi = mIm[A(c, c)];
    const d = pr * pr + pi * pi;
    rRe[c] = (sr * pr + si * pi) / d;
    rIm[c] = (si * pr - sr * pi) / d;
  }
}

/**
 * The spectrum C(ω) = Δ(c_0 + 2 Σ_l c_l cos(ωlΔ)) of an even lag profile, tabulated at ω_k = 2πk/(LΔ)
 * by a zero-padded FFT (L ≥ 8 × the lags) and read by 4-point Lagrange interpolation (periodic, even).
 */
class BandSpectrum {
  private readonly values: Float64Array;
  private readonly step: number;
  constructor(
    profile: ArrayLike<number>,
    readonly dt: number,
    L: number,
  ) {
    const seq = new Float64Array(L);
    seq[0] = profile[0];
    for (let l = 1; l < profile.length; l++) {
      seq[l] = profile[l];
      seq[L - l] = profile[l];
    }
    const fft = new RealFFT(L);
    const out = fft.forward(seq, new Float64Array(L + 2));
    fft.dispose();
    this.values = new Float64Array(L / 2 + 1);
    for (let k = 0; k <= L / 2; k++) this.values[k] = dt * out[2 * k];
    this.step = (2 * Math.PI) / (L * dt);
  }
  at(omega: number): number {
    const v = this.values;
    const half = v.length - 1; // index of ω = π/Δ
    const x = Math.abs(omega) / this.step;
    const j = Math.floor(x);
    const p = x - j;
    // periodic and even: index k ≡ −k (mod 2·half)
    const read = (k: number) => {
      let r = ((k % (2 * half)) + 2 * half) % (2 * half);
      if (r > half) r = 2 * half - r;
      return v[r];
    };
    const f0 = read(j - 1);
    const f1 = read(j);
    const f2 = read(j + 1);
    const f3 = read(j + 2);
    return (
      (-p * (p - 1) * (p - 2) * f0) / 6 + ((p + 1) * (p - 1) * (p - 2) * f1) / 2 - ((p + 1) * p * (p - 2) * f2) / 2 + ((p + 1) * p * (p - 1) * f3) / 6
    );
  }
}

/** Simpson weights on n + 1 equally spaced nodes (n even) of spacing h. */
function simpsonWeight(i: number, n: number, h: number): number {
  if (i === 0 || i === n) return h / 3;
  return ((i % 2 === 1 ? 4 : 2) * h) / 3;
}

/** A population whose stationary variance is below this (from Var(x_0) = 1 decaying) has no activity. */
export const QUIESCENT = 1e-12;

/**
 * Leading real part of the eigenvalues of M_ab·w_b. With M = J0 and w = ⟨φ'⟩: the m = 0 state of
 * populations with mean couplings J0 is unstable (magnetic transition) once it reaches 1 (one population:
 * J0⟨φ'⟩ = 1). With M = g² and w = ⟨φ'²⟩: the dynamics expand locally from 1 (THEORY §4.4's criterion;
 * one population g²⟨φ'²⟩ ≥ 1), which chaos needs; with noise it sets in later (src/theory/lyapunov.ts).
 */
export function gainedLead(M: number[][], w: number[]): number {
  const P = w.length;
  const gained = Float64Array.from({ length: P * P }, (_, k) => M[Math.floor(k / P)][k % P] * w[k % P]);
  return Math.max(...eigenvaluesGeneral(gained, P).map((e) => e.re));
}

/**
 * τ∞ of the Euler network with populations at its m = 0 state (in τ): the tail of the lag equation, with
 * C_φ,b ≈ ⟨φ'⟩_b² Δ_b, is Δ(n) = rⁿ v with (1 + a² − a(r + 1/r)) v = h² K v, K_ab = g²_ab⟨φ'⟩_b²; its slowest
 * decay (the asymptotic one) is that of one population (discreteTauInf) at ν = the Perron root of K. Infinity for ν ≥ 1.
 */
export function populationTauInf(h: number, g2: number[][], meanGain: number[]): number {
  return discreteTauInf(h, gainedLead(g2, meanGain.map((m) => m * m)));
}

/** Relative size of the lag profile's last kept lag below which the stationary window is long enough. */
const TAIL_TOL = 1e-5;

/**
 * PR_x and PR_φ (normalised by N) of the Euler network with populations, from its discrete-time DMFT
 * and the population ladder above. Throws RangeError for invalid parameters, a quiescent population, a
 * state past the magnetic transition, an unstable bulk (ν ≥ 1) or a recursion longer than maxSteps.
 */
export function populationParticipationRatio(opt: PopulationPrOptions): PopulationPrResult {
  const P = opt.D.length;
  const dt = opt.dt;
  const refine = opt.refine ?? 1;
  const names = opt.names ?? Array.from({ length: P }, (_, a) => `population ${a}`);
  if (opt.sizes.length !== P || opt.sizes.some((n) => !(n > 0))) throw new RangeError(`sizes must be ${P} positive numbers, got ${JSON.stringify(opt.sizes)}`);
  if (opt.g2.length !== P || opt.g2.some((r) => r.length !== P || r.some((v) => !(v >= 0)))) throw new RangeError(`g2 must be ${P}×${P} with entries ≥ 0`);
  if (!(dt > 0 && dt <= 1)) throw new RangeError(`dt must be in (0, 1], got ${dt}`);
  if (!(refine > 0) || !Number.isFinite(refine)) throw new RangeError(`refine must be a finite number > 0, got ${refine}`);
  const burnIn = opt.burnIn ?? 150;
  const maxSteps = opt.maxSteps ?? 20000;
  const Ntot = opt.sizes.reduce((s, n) => s + n, 0);
  const f = opt.sizes.map((n) => n / Ntot);

  // Stationary lag window: start at 60 τ and double until the profiles have decayed (or the cap).
  let tail = 60;
  let r: ReturnType<typeof dmftDiscrete>;
  let steps: number;
  let lagSteps: number;
  for (;;) {
    lagSteps = Math.ceil(tail / dt);
    steps = lagSteps + Math.ceil(burnIn / dt);
    if (steps > maxSteps) throw new RangeError(`the population DMFT would need ${steps} recursion steps (burn-in ${burnIn} τ, lags ${tail} τ at step ${dt} τ), more than ${maxSteps}`);
    r = dmftDiscrete({ phi: opt.phi, dt, steps, maxLag: lagSteps, populations: { g2: opt.g2, D: opt.D, J0: opt.J0, names }, onProgress: opt.onProgress });
    r.populations.forEach((p, a) => {
      if (!(p.delta[0] > QUIESCENT)) throw new RangeError(`population '${names[a]}' is quiescent (its row of g² and its D are zero): the participation ratio is undefined`);
    });
    const decayed = r.populations.every((p) => {
      const m2 = p.m[steps] ** 2;
      return Math.abs(p.delta[lagSteps]) <= TAIL_TOL * p.delta[0] && Math.abs(p.cphi[lagSteps] - m2) <= TAIL_TOL * Math.max(p.cphi[0] - m2, 1e-300);
    });
    if (decayed || steps * 2 > maxSteps + Math.ceil(burnIn / dt)) break;
    tail *= 2;
  }
  const pops = r.populations;
  const gains = pops.map((p) => p.meanGain);
  const magnetic = gainedLead(opt.J0 ?? Array.from({ length: P }, () => new Array<number>(P).fill(0)), gains);
  if (magnetic >= 1) throw new RangeError(`the mean couplings J0 put the populations past their magnetic transition (leading eigenvalue of J0·⟨φ'⟩ ${magnetic.toPrecision(4)} ≥ 1): the m = 0 state is not the one described`);
  const K = Float64Array.from({ length: P * P }, (_, k) => gains[Math.floor(k / P)] ** 2 * opt.g2[Math.floor(k / P)][k % P]);
  const nu = Math.max(...eigenvaluesGeneral(K, P).map((e) => e.re));
  if (!(nu < 1)) throw new RangeError(`the bulk is unstable (leading eigenvalue of ⟨φ'⟩²g² ${nu.toPrecision(4)} ≥ 1)`);

  // Spectra of every population on the band.
  const L = 1 << Math.max(15, Math.ceil(Math.log2(8 * (lagSteps + 1) * refine)));
  const cx = pops.map((p) => new BandSpectrum(p.delta, dt, L));
  const cp = pops.map((p) => {
    const m2 = p.m[steps] ** 2;
    return new BandSpectrum(p.cphi.map((c) => c - m2), dt, L);
  });
  const cx0 = pops.map((p) => p.delta[0]);
  const cphi0 = pops.map((p) => p.cphi[0] - p.m[steps] ** 2);

  // n-weights of the chains' free ends, and Gᵀn for the x chains' last rung.
  const n = opt.sizes;
  const gtn = Array.from({ length: P }, (_, b) => opt.g2.reduce((s, row, a) => s + n[a] * row[b], 0));
  const a_ = 1 - dt;
  const band = Math.PI / dt;
  const lambda = Math.sqrt(1 - nu);
  const ht = 0.03 / refine;
  const wu = (0.1 * Math.min(lambda, 1)) / refine;
  let nu_ = Math.ceil(Math.asinh(band / wu) / ht);
  nu_ += nu_ % 2;
  const htu = Math.asinh(band / wu) / nu_;
  const mRe = new Float64Array(P * P);
  const mIm = new Float64Array(P * P);
  const wRe = new Float64Array(P);
  const wIm = new Float64Array(P);
  const vRe = new Float64Array(P);
  const vIm = new Float64Array(P);
  const c1 = new Float64Array(P);
  const c2 = new Float64Array(P);
  const x1 = new Float64Array(P);
  const x2 = new Float64Array(P);
  let Iphi = 0;
  let Ix = 0;
  let evaluations = 0;
  let sPointsMax = 0;
  // h(ω) = Δ/(e^{iωΔ} − a)
  const hOf = (w: number): [number, number] => {
    const re = Math.cos(w * dt) - a_;
    const im = Math.sin(w * dt);
    const d = re * re + im * im;
    return [(dt * re) / d, (-dt * im) / d];
  };
  for (let iu = 0; iu <= nu_; iu++) {
    const tu = iu * htu;
    const u = wu * Math.sinh(tu);
    const wU = wu * Math.cosh(tu) * simpsonWeight(iu, nu_, htu);
    const width = 1 - nu + u * u;
    const ws = (0.2 * Math.min(width, 1)) / refine;
    let ns = Math.max(2, Math.ceil(Math.asinh(band / ws) / ht));
    ns += ns % 2;
    const hts = Math.asinh(band / ws) / ns;
    sPointsMax = Math.max(sPointsMax, ns + 1);
    let sp = 0;
    let sx = 0;
    for (let is = 0; is <= ns; is++) {
      const ts = is * hts;
      const s = ws * Math.sinh(ts);
      const wS = ws * Math.cosh(ts) * simpsonWeight(is, ns, hts);
      const w1 = u + s / 2;
      const w2 = u - s / 2;
      const [h1r, h1i] = hOf(w1);
      const [h2r, h2i] = hOf(w2);
      const zr = h1r * h2r - h1i * h2i;
      const zi = h1r * h2i + h1i * h2r;
      // M = I − K z; solve Mᵀ w = n and Mᵀ v = z Gᵀn: u_b = w_b/n_b, U_b = v_b/n_b.
      const fill = () => {
        for (let k = 0; k < P * P; k++) {
          mRe[k] = (Math.floor(k / P) === k % P ? 1 : 0) - K[k] * zr;
          mIm[k] = -K[k] * zi;
        }
      };
      fill();
      for (let b = 0; b < P; b++) {
        wRe[b] = n[b];
        wIm[b] = 0;
      }
      solveTransposed(mRe, mIm, wRe, wIm, P);
      fill();
      for (let b = 0; b < P; b++) {
        vRe[b] = zr * gtn[b];
        vIm[b] = zi * gtn[b];
      }
      solveTransposed(mRe, mIm, vRe, vIm, P);
      let ip = 0;
      let ix = 0;
      for (let b = 0; b < P; b++) {
        c1[b] = cp[b].at(w1);
        c2[b] = cp[b].at(w2);
        x1[b] = cx[b].at(w1);
        x2[b] = cx[b].at(w2);
        const ur = wRe[b] / n[b];
        const ui = wIm[b] / n[b];
        const Ur = vRe[b] / n[b];
        const Ui = vIm[b] / n[b];
        const cc = c1[b] * c2[b];
        ip += f[b] * cc * (ur * ur + ui * ui - 1);
        ix += f[b] * (x1[b] * x2[b] * 2 * Ur * gains[b] ** 2 + (Ur * Ur + Ui * Ui) * cc);
      }
      sp += ip * wS;
      sx += ix * wS;
    }
    evaluations += ns + 1;
    Iphi += sp * wU;
    Ix += sx * wU;
  }
  // quadrant × 4, /(2π)²
  const norm = 4 / (4 * Math.PI * Math.PI);
  const psiPhi = f.reduce((s, fb, b) => s + fb * cphi0[b] ** 2, 0) + norm * Iphi;
  const psiX = f.reduce((s, fb, b) => s + fb * cx0[b] ** 2, 0) + norm * Ix;
  const mx = f.reduce((s, fb, b) => s + fb * cx0[b], 0);
  const mp = f.reduce((s, fb, b) => s + fb * cphi0[b], 0);
  return {
    pr_x: (mx * mx) / psiX,
    pr_phi: (mp * mp) / psiPhi,
    psi_x: psiX,
    psi_phi: psiPhi,
    cx0: mx,
    cphi0: mp,
    populations: pops.map((p, b) => ({ name: names[b], size: n[b], cx0: cx0[b], cphi0: cphi0[b], meanGain: gains[b] })),
    nu,
    magneticLead: magnetic,
    grid: { steps, lags: lagSteps + 1, fftLength: L, uPoints: nu_ + 1, sPointsMax, evaluations },
  };
}
