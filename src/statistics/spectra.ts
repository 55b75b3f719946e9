/**
 * Spectral sufficient statistics of a recording for the Whittle rate-function loss (THEORY §2.4),
 * computed once, outside autodiff, in float64 from float32 FFTs.
 *
 * The regression target y_i[t] = ẋ_i + U'(x_i) is a linear combination Σ_c w_c B_c,i[t] of "basis"
 * series (B = {y} when the time constant and leak are fixed; {x[t+1] − x[t], x[t]} (+ tanh x[t]) when
 * they are fitted: y = a·Δx + (a+b)·x, a well-conditioned pair, unlike x[t+1] and x[t] whose weights
 * ≈ ±τ/dt cancel), so every periodogram of y is a quadratic form in w of the basis cross-periodograms stored
 * here. Bin 0 is kept apart as per-unit sums because an offset parameter moves only bin 0.
 */
import type { Nonlinearity } from '../nonlinearity.js';
import { RealFFT } from './fft.js';

/** Basis series built from the model-unit activity x at t = 0..n−1. */
/** How an offset o of the data moves each basis series: B → B − κ·o (a difference does not move). */
export const OFFSET_COEFFICIENT: Record<BasisName, number> = { y: 1, dx: 0, x0: 1, tanh: NaN };

export type BasisName = 'y' | 'dx' | 'x0' | 'tanh';

export interface BasisSpec {
  names: BasisName[];
  /** For the fixed basis 'y': y = a·x[t+1] + b·x[t] − s·tanh x[t]. */
  fixed?: { a: number; b: number; s: number };
}

export interface PopulationSpectra {
  /** recorded units in the population */
  n: number;
  /** Σ_i Re(F_ci F_c'i*)/T over units, bins k = 1..n/2, one array per basis pair (c ≤ c'). */
  cross: Float64Array[];
  /** DFT of the population-mean basis series, bins 0..n/2: re/im per basis. */
  meanRe: Float64Array[];
  meanIm: Float64Array[];
  /** Bin 0: Σ_i S_ci S_c'i (pairs) and Σ_i S_ci, with S_ci = Σ_t B_c,i[t] of the shifted data. */
  sumSS: number[];
  sumS: number[];
  /**
   * The same sums weighted by ρ_i(k) = (q_i(k) − q̃_i(k))/P̄_φ(k), each unit's own φ-periodogram scatter
   * (ownPowerScatter) relative to the population mean, at offset 0, scale 1, for the own-power term of
   * src/loss/whittle.ts: Σ_i ρ_i Re(F_ci F_c'i*)/T per pair (bins 1..n/2; bin 0 unused), Σ_i ρ_i F_ci
   * (re, im) per basis, and Σ_i ρ_i.
   */
  ownCross: Float64Array[];
  ownSumRe: Float64Array[];
  ownSumIm: Float64Array[];
  ownCount: Float64Array;
}

/** Bins either side of k over which a unit's φ-periodogram is averaged for q̃(k) (bin k left out). */
export const OWN_POWER_WINDOW = 8;

/**
 * q(k) − q̃(k): a unit's φ-periodogram q (bins 0..n/2; bin 0 ignored) less its mean over the
 * OWN_POWER_WINDOW bins either side. The bin-to-bin scatter is what the unit's own noise shares with its
 * input periodogram at the same bin (φ_i is i's noise low-passed); the unit's level (a strongly driven or
 * a saturated unit) is not, and stays in the bulk variance, as the self-coupling J_ii does.
 */
export function ownPowerScatter(q: Float64Array): Float64Array {
  const nb = q.length;
  const out = new Float64Array(nb);
  // running sum over bins [lo, hi] ∩ [1, nb − 1]
  let sum = 0;
  let lo = 1;
  let hi = 0;
  for (let k = 1; k < nb; k++) {
    const newHi = Math.min(nb - 1, k + OWN_POWER_WINDOW);
    const newLo = Math.max(1, k - OWN_POWER_WINDOW);
    while (hi < newHi) sum += q[++hi];
    while (lo < newLo) sum -= q[lo++];
    const count = hi - lo; // bin k left out
    out[k] = count > 0 ? q[k] - (sum - q[k]) / count : 0;
  }
  return out;
}

export interface PhiSpectra {
  /** P̄_φβ(k) = (1/(n_β T)) Σ_j |Φ_j(k)|², bins 0..n/2, per population. */
  power: Float64Array[];
  /** DFT of the population mean of φ, bins 0..n/2. */
  meanRe: Float64Array[];
  meanIm: Float64Array[];
}

export interface SpectralStatistics {
  /** FFT length (samples of y used). */
  T: number;
  /** Samples of the recording left out to reach an FFT-friendly length. */
  samplesDropped: number;
  nBins: number; // T/2 + 1
  basis: BasisSpec;
  /** Index pairs (c, c') with c ≤ c' in the order of `cross` and `sumSS`. */
  pairs: [number, number][];
  populations: PopulationSpectra[];
  /** φ statistics at offset 0, scale 1 (absent when they are recomputed each step). */
  phi?: PhiSpectra;
  /** Constant subtracted from all data before FFTs (the grand mean), in data units. */
  shift: number;
}

export function basisPairs(C: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let c = 0; c < C; c++) for (let d = c; d < C; d++) pairs.push([c, d]);
  return pairs;
}

/** Access to unit i's data series (time-major storage): value at sample t. */
export interface SeriesSource {
  nSamples: number;
  nUnits: number;
  data: Float64Array;
}

/** Copy unit i into `out` (length nSamples), subtracting `shift`. */
export function extractUnit(src: SeriesSource, i: number, out: Float64Array, shift = 0): void {
  const { nSamples, nUnits, data } = src;
  for (let t = 0; t < nSamples; t++) out[t] = data[t * nUnits + i] - shift;
}

export function grandMean(src: SeriesSource): number {
  let s = 0;
  for (let k = 0; k < src.data.length; k++) s += src.data[k];
  return s / src.data.length;
}

function basisSeries(name: BasisName, x: Float64Array, T: number, out: Float64Array, spec: BasisSpec): void {
  switch (name) {
    case 'dx':
      for (let t = 0; t < T; t++) out[t] = x[t + 1] - x[t];
      break;
    case 'x0':
      for (let t = 0; t < T; t++) out[t] = x[t];
      break;
    case 'tanh':
      for (let t = 0; t < T; t++) out[t] = Math.tanh(x[t]);
      break;
    case 'y': {
      const f = spec.fixed;
      if (!f) throw new Error("basis 'y' needs fixed coefficients");
      for (let t = 0; t < T; t++) out[t] = f.a * x[t + 1] + f.b * x[t] - (f.s !== 0 ? f.s * Math.tanh(x[t]) : 0);
      break;
    }
  }
}

/**
 * Compute the basis statistics, and (unless `phiAtIdentity` is false) the φ statistics of the data
 * taken as model units. `groups[i]` is the population of unit i. Data are used after subtracting
 * `shift` (the grand mean when an offset is fitted, else 0 so that x is in model units).
 */
export function spectralStatistics(
  src: SeriesSource,
  groups: Int32Array,
  nPopulations: number,
  basis: BasisSpec,
  phi: Nonlinearity,
  T: number,
  opts: { shift?: number; phiAtIdentity?: boolean } = {},
): SpectralStatistics {
  const shift = opts.shift ?? 0;
  const C = basis.names.length;
  const pairs = basisPairs(C);
  const nb = T / 2 + 1;
  const fft = new RealFFT(T);
  const x = new Float64Array(src.nSamples);
  const b = new Float64Array(T);
  const spec = Array.from({ length: C }, () => new Float64Array(T + 2));
  const pops: PopulationSpectra[] = Array.from({ length: nPopulations }, () => ({
    n: 0,
    cross: pairs.map(() => new Float64Array(nb)),
    meanRe: basis.names.map(() => new Float64Array(nb)),
    meanIm: basis.names.map(() => new Float64Array(nb)),
    sumSS: pairs.map(() => 0),
    sumS: basis.names.map(() => 0),
    ownCross: pairs.map(() => new Float64Array(nb)),
    ownSumRe: basis.names.map(() => new Float64Array(nb)),
    ownSumIm: basis.names.map(() => new Float64Array(nb)),
    ownCount: new Float64Array(nb),
  }));
  const S = new Float64Array(C);
  // Own φ power per unit, q_i(k) = |Φ_i(k)|²/T, its scatter d_i = q_i − q̃_i (for ownCross, ownSum*,
  // ownCount, weighted by d_i (`scatter`) and divided by P̄_φ = Σ q_i/n at the end) and the population sums of q_i.
  const q = new Float64Array(nb);
  const phiSeries = new Float64Array(T);
  const phiSpec = new Float64Array(T + 2);
  const qSum = Array.from({ length: nPopulations }, () => new Float64Array(nb));
  // The φ statistics at offset 0, scale 1 come from the same per-unit φ spectra (one FFT each).
  const atIdentity = opts.phiAtIdentity !== false;
  const phiStats: PhiSpectra = {
    power: Array.from({ length: nPopulations }, () => new Float64Array(nb)),
    meanRe: Array.from({ length: nPopulations }, () => new Float64Array(nb)),
    meanIm: Array.from({ length: nPopulations }, () => new Float64Array(nb)),
  };
  for (let i = 0; i < src.nUnits; i++) {
    const p = pops[groups[i]];
    p.n++;
    extractUnit(src, i, x, shift);
    let phiTotal = 0;
    for (let t = 0; t < T; t++) phiTotal += phiSeries[t] = phi.f(x[t]);
    fft.forward(phiSeries, phiSpec, 0, phiTotal / T);
    phiSpec[0] = phiTotal;
    phiSpec[1] = 0;
    if (atIdentity) accumulate(phiStats, groups[i], phiSpec, phiSpec, T, nb, 1);
    for (let k = 1; k < nb; k++) {
      q[k] = (phiSpec[2 * k] ** 2 + phiSpec[2 * k + 1] ** 2) / T;
      qSum[groups[i]][k] += q[k];
    }
    const scatter = ownPowerScatter(q);
    for (let k = 1; k < nb; k++) p.ownCount[k] += scatter[k];
    for (let c = 0; c < C; c++) {
      basisSeries(basis.names[c], x, T, b, basis);
      let sum = 0;
      for (let t = 0; t < T; t++) sum += b[t];
      S[c] = sum;
      // Remove the unit mean before the float32 FFT: bin 0 comes from the float64 sum instead.
      fft.forward(b, spec[c], 0, sum / T);
      spec[c][0] = sum;
      spec[c][1] = 0;
      const re = p.meanRe[c];
      const im = p.meanIm[c];
      for (let k = 0; k < nb; k++) {
        re[k] += spec[c][2 * k];
        im[k] += spec[c][2 * k + 1];
      }
      const ore = p.ownSumRe[c];
      const oim = p.ownSumIm[c];
      for (let k = 1; k < nb; k++) {
        ore[k] += scatter[k] * spec[c][2 * k];
        oim[k] += scatter[k] * spec[c][2 * k + 1];
      }
    }
    pairs.forEach(([c, d], pq) => {
      const out = p.cross[pq];
      const u = spec[c];
      const v = spec[d];
      const own = p.ownCross[pq];
      for (let k = 1; k < nb; k++) {
        const r = (u[2 * k] * v[2 * k] + u[2 * k + 1] * v[2 * k + 1]) / T;
        out[k] += r;
        own[k] += scatter[k] * r;
      }
      p.sumSS[pq] += S[c] * S[d];
    });
    for (let c = 0; c < C; c++) p.sumS[c] += S[c];
  }
  pops.forEach((p, a) => {
    if (p.n === 0) return;
    // Σ_i d_i X_i → Σ_i ρ_i X_i, ρ_i = d_i/P̄_φ, P̄_φ = Σ q_i/n
    for (let k = 1; k < nb; k++) {
      const inv = qSum[a][k] > 0 ? p.n / qSum[a][k] : 0;
      p.ownCross.forEach((own) => (own[k] *= inv));
      p.ownCount[k] *= inv;
      for (let c = 0; c < C; c++) {
        p.ownSumRe[c][k] *= inv;
        p.ownSumIm[c][k] *= inv;
      }
    }
    for (let c = 0; c < C; c++) {
      for (let k = 0; k < nb; k++) {
        p.meanRe[c][k] /= p.n;
        p.meanIm[c][k] /= p.n;
      }
    }
  });
  fft.dispose();
  const stats: SpectralStatistics = {
    T,
    samplesDropped: src.nSamples - 1 - T,
    nBins: nb,
    basis,
    pairs,
    populations: pops,
    shift,
  };
  if (atIdentity) {
    pops.forEach((p, a) => {
      const c = p.n || 1;
      for (let k = 0; k < nb; k++) {
        phiStats.power[a][k] /= c * T;
        phiStats.meanRe[a][k] /= c;
        phiStats.meanIm[a][k] /= c;
      }
    });
    stats.phi = phiStats;
  }
  return stats;
}

export interface PhiSpectraWithJacobian {
  value: PhiSpectra;
  /** ∂/∂offset and ∂/∂scale of every array in `value` (same layout), when requested. */
  dOffset?: PhiSpectra;
  dScale?: PhiSpectra;
}

/**
 * φ statistics of u = (x − shift − offset)/scale: power P̄_φβ(k) and population-mean DFTs, optionally
 * with their derivatives in offset and scale (forward mode through the FFT: d|Φ|² = 2 Re(Φ* dΦ),
 * dΦ = DFT(φ'(u) du)). Bin 0 is exact (float64 sums).
 */
export function phiSpectra(
  src: SeriesSource,
  groups: Int32Array,
  nPopulations: number,
  phi: Nonlinearity,
  T: number,
  at: { shift: number; offset: number; scale: number },
  withJacobian = false,
): PhiSpectraWithJacobian {
  const nb = T / 2 + 1;
  const make = (): PhiSpectra => ({
    power: Array.from({ length: nPopulations }, () => new Float64Array(nb)),
    meanRe: Array.from({ length: nPopulations }, () => new Float64Array(nb)),
    meanIm: Array.from({ length: nPopulations }, () => new Float64Array(nb)),
  });
  const value = make();
  const dO = withJacobian ? make() : undefined;
  const dS = withJacobian ? make() : undefined;
  const counts = new Float64Array(nPopulations);
  const fft = new RealFFT(T);
  const x = new Float64Array(src.nSamples);
  const f = new Float64Array(T);
  const fo = new Float64Array(T);
  const fs = new Float64Array(T);
  const F = new Float64Array(T + 2);
  const FO = new Float64Array(T + 2);
  const FS = new Float64Array(T + 2);
  const inv = 1 / at.scale;
  const shift = at.shift + at.offset;
  for (let i = 0; i < src.nUnits; i++) {
    const p = groups[i];
    counts[p]++;
    extractUnit(src, i, x, shift);
    let sum = 0;
    let sumO = 0;
    let sumS = 0;
    for (let t = 0; t < T; t++) {
      const u = x[t] * inv;
      const v = phi.f(u);
      f[t] = v;
      sum += v;
      if (withJacobian) {
        const d = phi.df(u);
        fo[t] = -d * inv; // ∂u/∂offset = −1/scale
        fs[t] = -d * u * inv; // ∂u/∂scale = −u/scale
        sumO += fo[t];
        sumS += fs[t];
      }
    }
    fft.forward(f, F, 0, sum / T);
    F[0] = sum;
    F[1] = 0;
    accumulate(value, p, F, F, T, nb, 1);
    if (withJacobian && dO && dS) {
      fft.forward(fo, FO, 0, sumO / T);
      FO[0] = sumO;
      FO[1] = 0;
      fft.forward(fs, FS, 0, sumS / T);
      FS[0] = sumS;
      FS[1] = 0;
      accumulate(dO, p, F, FO, T, nb, 2);
      accumulate(dS, p, F, FS, T, nb, 2);
    }
  }
  fft.dispose();
  for (const s of [value, dO, dS]) {
    if (!s) continue;
    for (let p = 0; p < nPopulations; p++) {
      const c = counts[p] || 1;
      for (let k = 0; k < nb; k++) {
        s.power[p][k] /= c * T;
        s.meanRe[p][k] /= c;
        s.meanIm[p][k] /= c;
      }
    }
  }
  return { value, dOffset: dO, dScale: dS };
}

/** power += factor·Re(A* B); mean += B (the derivative of the mean is the mean of derivatives). */
function accumulate(s: PhiSpectra, p: number, A: Float64Array, B: Float64Array, _T: number, nb: number, factor: number): void {
  const pw = s.power[p];
  const re = s.meanRe[p];
  const im = s.meanIm[p];
  for (let k = 0; k < nb; k++) {
    pw[k] += factor * (A[2 * k] * B[2 * k] + A[2 * k + 1] * B[2 * k + 1]);
    re[k] += B[2 * k];
    im[k] += B[2 * k + 1];
  }
}
