/**
 * Spectral (Whittle) rate-function loss with a low-rank mean, for partially recorded networks
 * (THEORY §2.4 with the §2.3 table's mean Σ_r m_ir κ_r(t)). The exact loss uses the realised
 * regressors of the recorded units only; the input from unrecorded units lies outside their span and
 * biases g low by about sqrt(n/N). The spectral form uses the population-averaged φ-spectrum, which a
 * subsample estimates without bias (mean-field, §2.3 caveat 2).
 *
 * Per unit i and frequency bin k = 0..T/2 (c_k = 2, 1 at 0 and Nyquist), with K_r(k) = (1/n) Σ_j n_rj Φ_j(k):
 *   NLL = Σ_k (c_k/2)[n log s_k + P_y(k)/s_k] − ½ Σ_i b_iᵀ H⁻¹ b_i + (n/2)[log det H − log det H₀]
 *   s_k = σ² + g² P̄_φ⊥(k),  b_i = Σ_k c_k Re(K^* Y_i)/(T s_k),  H = Σ_k c_k Re(K^* K)/(T s_k)
 * i.e. the input loadings m_i profiled by weighted least squares and integrated out (restricted
 * likelihood, as in src/loss/lowRank.ts). P̄_φ⊥ (bulkSpectrum) is the φ-power without the part of the
 * bulk input that the fitted m absorbs. The cross terms are computed bin by bin where
 * the bulk term matters (there s_k and the cross-spectra vary together from bin to bin: band-mean
 * weights biased ĝ from 0.30 to 0.55 on issue 3's teacher even at the true n) and from n×n band
 * cross-spectral matrices above, where s_k is flat within a band.
 *
 * Bin 0 (the time means) is included, as the exact loss includes them: units held near saturation by
 * a mode at a non-zero fixed point barely fluctuate, and without their means their readout n_j is
 * fitted to those tiny fluctuations and blows up (59° → 31° n-span on one issue-3 realisation, 100
 * of 200 units). Its variance s_0 is held at the last kernel update's σ² + g²P̄_φ(0) (`s0`), so it
 * informs the modes only: its bulk term is one quenched draw per unit. Like the exact loss, this
 * assumes no unmodelled constant input I_i; the spectral form fits no J0 (a mean coupling enters as
 * a mode).
 *
 * On partial recordings the modes' readout of the unrecorded units' private fluctuations,
 * m_i (1/N) Σ_{j unrecorded} n_j φ_j, cannot be predicted from the recorded units. Here it would enter
 * as extra bulk power of relative size (1 − n/N)·E[m²]E[n²]/(N g²) (about +13 % in g² on the issue-3
 * teacher); it lies along m across units, so the fit of a partial recording takes g² and σ² from the
 * other n − R directions instead (orthogonalBulkEvaluate below), with each unit's own φ-periodogram scatter
 * taken out of its bulk variance (ownPowerResidual, as in src/loss/whittle.ts).
 *
 * White observation noise on x (`fit --rank R --obs-noise`, WhittleLowRankPoint.obs) enters as in the
 * plain spectral loss: s_k gains σ_obs²|a e^{iω} + b|² and the bulk φ-power is the network's, corrected
 * for the noise (src/model/observationNoise.ts). It also puts unit i's own ε in both Y_i and Φ_i, so the
 * regressor K (which holds Φ_i with weight n_i/n) meets it in b_i; its expectation is taken out there.
 * Not corrected: the noise's O(σ_obs²/n) share of H (errors in the regressor).
 */
import type { Nonlinearity } from '../nonlinearity.js';
import type { Recording } from '../recording/types.js';
import { fftLength, RealFFT } from '../statistics/fft.js';
import { ownPowerScatter } from '../statistics/spectra.js';
import { obsNoisePower, ownPowerTerm } from './whittle.js';
import { inverseOrThrow, stackedCrossProducts, type StepBasis } from './lowRank.js';
import { logDetSpd, multiplySquare } from '../linalg/small.js';
import { orthonormalise } from '../structure/modes.js';

export interface WhittleLowRankStatistics {
  n: number;
  /** FFT length (samples of y used) */
  T: number;
  /** c_k/2 per bin k = 0..T/2 */
  half: Float64Array;
  /** P̄_φ(k) = (1/(nT)) Σ_j |Φ_j(k)|² */
  phiPower: Float64Array;
  /** P_y(k) = (1/T) Σ_i |Y_i(k)|² */
  yPower: Float64Array;
  /** bins 0..low − 1 are treated one by one: their spectra, low × n (row: bin) */
  low: number;
  phiRe: Float64Array;
  phiIm: Float64Array;
  yRe: Float64Array;
  yIm: Float64Array;
  /** band of each bin above `low` (−1 below) */
  bandOf: Int32Array;
  bands: number;
  /** per band, n×n: Σ_k c_k Re(Φ_j^*Φ_l)/T and Σ_k c_k Re(Φ_j^* Y_i)/T (row j, column i) */
  Cphi: Float64Array[];
  Cy: Float64Array[];
  /** Σ over bins 1..T/2 of c_k Re(Φ_j^*Φ_l)/T (the centred ΦᵀΦ; bin 0 left out), n×n */
  Ctot: Float64Array;
  /** |a e^{iω_k} + b|² per bin: how white observation noise on x reaches y (obsNoisePower) */
  noiseShape: Float64Array;
  /** a cos ω_k + b per bin below `low`, and Σ_{k∈band} c_k (a cos ω_k + b) per band: Re of its cross-spectrum shape with φ */
  ownNoiseBins: Float64Array;
  ownNoiseBands: Float64Array;
}

export interface WhittleLowRankOptions {
  /** log-spaced bands above the bin-by-bin range (default 48) */
  bands?: number;
  /**
   * Expected g²/σ²: bins where it times P̄_φ(k) exceeds 1 % are treated one by one (default: the lowest
   * 256 bins). Where the bulk term matters, s_k varies from bin to bin together with the cross-spectra,
   * and a band-mean weight would bias the cross terms.
   */
  bulkToNoise?: number;
}

/** The model's input at sample t of unit i: y_t = a x_{t+1} + b x_t − s tanh(x_t) (StepBasis). */
function inputAt(d: Float64Array, n: number, t: number, i: number, basis: StepBasis): number {
  const x0 = d[t * n + i];
  return basis.a * d[(t + 1) * n + i] + basis.b * x0 - (basis.s !== 0 ? basis.s * Math.tanh(x0) : 0);
}

/** Band edges over bins from..K (1-based, half-open): log-spaced, at least one bin each. */
function bandEdges(from: number, K: number, bands: number): number[] {
  const edges = [from];
  if (from > K) return edges;
  const ratio = Math.pow((K + 1) / from, 1 / bands);
  let x = from;
  while (edges[edges.length - 1] < K + 1) {
    x *= ratio;
    edges.push(Math.min(K + 1, Math.max(edges[edges.length - 1] + 1, Math.round(x))));
  }
  return edges;
}

export function whittleLowRankStatistics(rec: Recording, basis: StepBasis, phi: Nonlinearity, opts: WhittleLowRankOptions = {}): WhittleLowRankStatistics {
  const n = rec.nUnits;
  const T = fftLength(rec.nSamples - 1);
  const K = T / 2;
  const fft = new RealFFT(T);
  const d = rec.data;
  const series = new Float64Array(T);
  const out = new Float64Array(T + 2);
  // Spectra as (bin, unit) arrays: real and imaginary parts, bins 0..K (bin 0: the time means; see the header).
  const nb = K + 1;
  const phiRe = new Float32Array(nb * n);
  const phiIm = new Float32Array(nb * n);
  const yRe = new Float32Array(nb * n);
  const yIm = new Float32Array(nb * n);
  const half = Float64Array.from({ length: nb }, (_, k) => (k === 0 || k === K ? 0.5 : 1));
  const phiPower = new Float64Array(nb);
  const yPower = new Float64Array(nb);
  for (let i = 0; i < n; i++) {
    for (const which of ['phi', 'y'] as const) {
      let sum = 0; // the DFT at bin 0
      for (let t = 0; t < T; t++) {
        const v = which === 'phi' ? phi.f(d[t * n + i]) : inputAt(d, n, t, i, basis);
        series[t] = v;
        sum += v;
      }
      fft.forward(series, out, 0, sum / T);
      const re = which === 'phi' ? phiRe : yRe;
      const im = which === 'phi' ? phiIm : yIm;
      const power = which === 'phi' ? phiPower : yPower;
      for (let k = 0; k <= K; k++) {
        const a = k === 0 ? sum : out[2 * k];
        const b = k === 0 ? 0 : out[2 * k + 1];
        re[k * n + i] = a;
        im[k * n + i] = b;
        power[k] += (a * a + b * b) / T;
      }
    }
  }
  for (let k = 0; k < nb; k++) phiPower[k] /= n;
  fft.dispose();
  let low = Math.min(K, 256); // positive-frequency bins 1..low; with bin 0, indices 0..low
  if (opts.bulkToNoise !== undefined) {
    low = 0;
    for (let k = 1; k <= K; k++) if (opts.bulkToNoise * phiPower[k] > 0.01) low = k;
    low = Math.min(K, 8192, Math.max(low, 64));
  }
  const edges = bandEdges(low + 1, K, opts.bands ?? 48);
  low += 1;
  const B = edges.length - 1;
  const bandOf = new Int32Array(nb).fill(-1);
  const Cphi: Float64Array[] = [];
  const Cy: Float64Array[] = [];
  const weighted = (k0: number, k1: number) => {
    // rows of [P | Y]: real and imaginary parts of each bin, weighted
    const rows = 2 * (k1 - k0);
    const both = new Float32Array(rows * 2 * n);
    for (let k = k0; k < k1; k++) {
      const w = Math.sqrt((2 * half[k]) / T);
      const re = 2 * (k - k0) * 2 * n;
      const im = re + 2 * n;
      for (let i = 0; i < n; i++) {
        both[re + i] = w * phiRe[k * n + i];
        both[im + i] = w * phiIm[k * n + i];
        both[re + n + i] = w * yRe[k * n + i];
        both[im + n + i] = w * yIm[k * n + i];
      }
    }
    const prod = stackedCrossProducts(both, rows, n);
    const cp = new Float64Array(n * n);
    const cy = new Float64Array(n * n);
    for (let j = 0; j < n; j++)
      for (let i = 0; i < n; i++) {
        cp[j * n + i] = prod[j * 2 * n + i];
        cy[j * n + i] = prod[j * 2 * n + n + i];
      }
    return [cp, cy];
  };
  const Ctot = weighted(1, low)[0]; // centred: bin 0 left out
  for (let b = 0; b < B; b++) {
    const k0 = edges[b];
    const k1 = edges[b + 1];
    for (let k = k0; k < k1; k++) bandOf[k] = b;
    const [cp, cy] = weighted(k0, k1);
    for (let q = 0; q < n * n; q++) Ctot[q] += cp[q];
    Cphi.push(cp);
    Cy.push(cy);
  }
  const f64 = (a: Float32Array) => Float64Array.from(a.subarray(0, low * n));
  const noiseShape = Float64Array.from({ length: nb }, (_, k) => obsNoisePower(1, basis.a, basis.b, (2 * Math.PI * k) / T, undefined)); // white: rank fits take no indicator
  const crossShape = (k: number) => basis.a * Math.cos((2 * Math.PI * k) / T) + basis.b;
  const ownNoiseBins = Float64Array.from({ length: low }, (_, k) => crossShape(k));
  const ownNoiseBands = new Float64Array(B);
  for (let k = low; k < nb; k++) ownNoiseBands[bandOf[k]] += 2 * half[k] * crossShape(k);
  return { n, T, half, phiPower, yPower, low, phiRe: f64(phiRe), phiIm: f64(phiIm), yRe: f64(yRe), yIm: f64(yIm), bandOf, bands: B, Cphi, Cy, Ctot, noiseShape, ownNoiseBins, ownNoiseBands };
}

export interface WhittleLowRankPoint {
  g2: number;
  sigma2: number;
  /** readout loadings n in unit coordinates, n × R row-major */
  Nl: Float64Array;
  R: number;
  /** bulk φ-power per bin (bulkSpectrum), default P̄_φ */
  bulk?: Float64Array;
  /**
   * variance of bin 0 (the time means), held fixed: it then informs the modes only. Bin 0's bulk term
   * is the quenched Σ_j z_ij φ̄_j, one draw per unit, as informative about g² as all other bins together.
   */
  s0?: number;
  /**
   * White observation noise on x (`fit --obs-noise`): its variance σ_obs², which adds σ_obs²·noiseShape(k) to
   * s_k, and ∂bulk/∂σ_obs² (the network's φ-power is the observed one corrected for the noise,
   * src/model/observationNoise.ts). `slope` is each unit's ⟨φ'(x_data)⟩, which sets how much of its own noise
   * its φ carries (the own-noise term in whittleLowRankEvaluate).
   */
  obs?: { obs2: number; dBulk: Float64Array; slope: Float64Array };
}

export interface WhittleLowRankEvaluation {
  nll: number;
  dG2: number;
  dSigma2: number;
  /** ∂nll/∂σ_obs² (0 without observation noise) */
  dObs2: number;
  /** ∂nll/∂N (n×R) */
  dN: Float64Array;
  /** profiled input loadings, n × R */
  M: Float64Array;
}


/** (1/n²) Nᵀ C N for an n×n matrix C: R×R, and C N (n×R) on the way. */
function sandwich(C: Float64Array, Nl: Float64Array, n: number, R: number): { H: Float64Array; CN: Float64Array } {
  const CN = new Float64Array(n * R);
  for (let j = 0; j < n; j++)
    for (let l = 0; l < n; l++) {
      const c = C[j * n + l];
      if (c === 0) continue;
      for (let r = 0; r < R; r++) CN[j * R + r] += c * Nl[l * R + r];
    }
  const H = new Float64Array(R * R);
  for (let j = 0; j < n; j++) for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) H[a * R + b] += (Nl[j * R + a] * CN[j * R + b]) / (n * n);
  return { H, CN };
}

/** K_r(k) = (1/n) Σ_j n_rj Φ_j(k) over the bin-by-bin range: low × R, real and imaginary parts. */
function latentSpectra(st: WhittleLowRankStatistics, Nl: Float64Array, R: number): { re: Float64Array; im: Float64Array } {
  const { n, low } = st;
  const re = new Float64Array(low * R);
  const im = new Float64Array(low * R);
  for (let k = 0; k < low; k++)
    for (let j = 0; j < n; j++) {
      const a = st.phiRe[k * n + j] / n;
      const b = st.phiIm[k * n + j] / n;
      for (let r = 0; r < R; r++) {
        re[k * R + r] += a * Nl[j * R + r];
        im[k * R + r] += b * Nl[j * R + r];
      }
    }
  return { re, im };
}

/**
 * Bulk φ-power per bin: P̄_φ(k) minus the part the fitted input loadings absorb. The bulk input
 * Σ_j z_ij φ_j contains (z_iᵀβ) κ(t), where β_j are the coefficients of φ_j on the latent currents
 * κ = Φ n/n (time-domain least squares); that part has the shape m_i κ(t) and is taken up by m_i.
 * Per bin the absorbed power is (1/(nT)) Σ_j |β_jᵀ K(k)|² = K(k)ᴴ S K(k)/(nT), S = Σ_j β_j β_jᵀ; above the
 * bin-by-bin range it is band-averaged. Held fixed during one optimisation and updated between runs
 * (src/fit/lowRank.ts), so the kernel follows the fitted readout loadings.
 */
export function bulkSpectrum(st: WhittleLowRankStatistics, Nl: Float64Array, R: number): Float64Array {
  const { n, T, low, phiPower, bandOf } = st;
  const K = phiPower.length;
  const out = Float64Array.from(phiPower);
  if (R === 0) return out;
  const { H: H0, CN } = sandwich(st.Ctot, Nl, n, R);
  const H0i = inverseOrThrow(H0, R);
  // S = H0⁻¹ (CN)ᵀ(CN) H0⁻¹ / n²
  const CtC = new Float64Array(R * R);
  for (let j = 0; j < n; j++) for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) CtC[a * R + b] += (CN[j * R + a] * CN[j * R + b]) / (n * n);
  const S = multiplySquare(multiplySquare(H0i, CtC, R), H0i, R);
  const Kl = latentSpectra(st, Nl, R);
  for (let k = 0; k < low; k++) {
    let a = 0;
    for (let r = 0; r < R; r++)
      for (let q = 0; q < R; q++) a += S[r * R + q] * (Kl.re[k * R + r] * Kl.re[k * R + q] + Kl.im[k * R + r] * Kl.im[k * R + q]);
    out[k] = Math.max(phiPower[k] - a / (n * T), 0.01 * phiPower[k]);
  }
  const rho = st.Cphi.map((C) => {
    const { H } = sandwich(C, Nl, n, R);
    let tr = 0;
    for (let j = 0; j < n; j++) tr += C[j * n + j];
    let a = 0;
    for (let q = 0; q < R * R; q++) a += S[q] * H[q];
    return tr > 0 ? Math.min(0.99, Math.max(0, a / tr)) : 0;
  });
  for (let k = low; k < K; k++) out[k] = phiPower[k] * (1 - rho[bandOf[k]]);
  return out;
}

export function whittleLowRankEvaluate(st: WhittleLowRankStatistics, p: WhittleLowRankPoint): WhittleLowRankEvaluation {
  const { n, T, half, yPower, bandOf, bands, low } = st;
  const K = half.length;
  const R = p.R;
  const bulk = p.bulk ?? st.phiPower;
  // Per-bin terms, exact; bin weights w_k = c_k/(T s_k) below `low`, band means ω_b of c_k/s_k above.
  let nll = 0;
  const s = new Float64Array(K);
  const dS = new Float64Array(K); // ∂nll/∂s_k
  const omega = new Float64Array(bands);
  const count = new Float64Array(bands);
  for (let k = 0; k < K; k++) {
    const sk = k === 0 && p.s0 !== undefined ? p.s0 : p.sigma2 + p.g2 * bulk[k] + (p.obs ? p.obs.obs2 * st.noiseShape[k] : 0);
    s[k] = sk;
    const h = half[k];
    nll += h * (n * Math.log(sk) + yPower[k] / sk);
    dS[k] = h * (n / sk - yPower[k] / (sk * sk));
    const b = bandOf[k];
    if (b >= 0) {
      omega[b] += (2 * h) / sk;
      count[b] += 2 * h;
    }
  }
  for (let b = 0; b < bands; b++) omega[b] /= count[b];
  const dN = new Float64Array(n * R);
  const M = new Float64Array(n * R);
  let dObsOwn = 0; // ∂nll/∂σ_obs² through the own-noise term (explicit part)
  if (R > 0) {
    const w = Float64Array.from({ length: low }, (_, k) => (2 * half[k]) / (T * s[k]));
    // X = Σ_b ω_b Cy_b, Z = Σ_b ω_b Cφ_b over the bands; the REML normaliser uses Ctot (unweighted)
    const X = new Float64Array(n * n);
    const Z = new Float64Array(n * n);
    for (let b = 0; b < bands; b++) {
      const wb = omega[b];
      const cy = st.Cy[b];
      const cp = st.Cphi[b];
      for (let q = 0; q < n * n; q++) {
        X[q] += wb * cy[q];
        Z[q] += wb * cp[q];
      }
    }
    const { H, CN: ZN } = sandwich(Z, p.Nl, n, R);
    const { H: H0, CN: Z0N } = sandwich(st.Ctot, p.Nl, n, R);
    // Bm = (1/n) Nᵀ X + Σ_k w_k Re(K_k^* Y_k) (R×n); H += Σ_k w_k Re(K_k^* K_kᵀ)
    const Bm = new Float64Array(R * n);
    for (let j = 0; j < n; j++)
      for (let r = 0; r < R; r++) {
        const v = p.Nl[j * R + r] / n;
        if (v === 0) continue;
        for (let i = 0; i < n; i++) Bm[r * n + i] += v * X[j * n + i];
      }
    const Kl = latentSpectra(st, p.Nl, R);
    for (let k = 0; k < low; k++) {
      const wk = w[k];
      for (let a = 0; a < R; a++) {
        const kr = wk * Kl.re[k * R + a];
        const ki = wk * Kl.im[k * R + a];
        for (let b = 0; b < R; b++) H[a * R + b] += kr * Kl.re[k * R + b] + ki * Kl.im[k * R + b];
        const off = k * n;
        const ro = a * n;
        for (let i = 0; i < n; i++) Bm[ro + i] += kr * st.yRe[off + i] + ki * st.yIm[off + i];
      }
    }
    // With observation noise, unit i's own ε sits in both Y_i and Φ_i, whose cross-spectrum it raises by
    // E[Φ_i^* Y_i]/T = ⟨φ'_i⟩σ_obs²(a e^{iω} + b) (Stein's lemma: E[φ(x + ε)ε] = σ_obs²⟨φ'(x + ε)⟩). Its part
    // in b_i, (n_i/n) Σ_k w_k Re E[Φ_i^* Y_i] = (n_i/n) ⟨φ'_i⟩ σ_obs² Ω, is taken out (ownNoise below).
    const ownNoise = p.obs ? ownNoiseWeight(st, w, omega) : 0;
    const own = p.obs ? Float64Array.from(p.obs.slope, (v) => v * p.obs!.obs2 * ownNoise) : undefined;
    if (own) for (let i = 0; i < n; i++) for (let r = 0; r < R; r++) Bm[r * n + i] -= (p.Nl[i * R + r] * own[i]) / n;
    const Hi = inverseOrThrow(H, R);
    const H0i = inverseOrThrow(H0, R);
    let reduction = 0;
    for (let i = 0; i < n; i++)
      for (let a = 0; a < R; a++) {
        let v = 0;
        for (let b = 0; b < R; b++) v += Hi[a * R + b] * Bm[b * n + i];
        M[i * R + a] = v;
        reduction += v * Bm[a * n + i];
      }
    nll += -0.5 * reduction + 0.5 * n * (logDetSpd(H, R) - logDetSpd(H0, R));
    // PPᵀ = M̂ᵀM̂ (R×R)
    const PPt = new Float64Array(R * R);
    for (let i = 0; i < n; i++) for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) PPt[a * R + b] += M[i * R + a] * M[i * R + b];
    // Bands, ∂/∂N of −½ tr(BmᵀH⁻¹Bm): −(1/n) X M̂ + (1/n²) Z N PPᵀ; of the REML term: (1/n)(Z N H⁻¹ − Ctot N H0⁻¹)
    for (let j = 0; j < n; j++) {
      for (let r = 0; r < R; r++) {
        let xm = 0;
        for (let i = 0; i < n; i++) xm += X[j * n + i] * M[i * R + r];
        let zpp = 0;
        let reml = 0;
        for (let b = 0; b < R; b++) {
          zpp += ZN[j * R + b] * PPt[b * R + r];
          reml += ZN[j * R + b] * Hi[b * R + r] - Z0N[j * R + b] * H0i[b * R + r];
        }
        dN[j * R + r] = -xm / n + zpp / (n * n) + reml / n + (own ? (M[j * R + r] * own[j]) / n : 0);
      }
    }
    // the own-noise term's weight, (1/n) Σ_i (M̂_i·n_i) ⟨φ'_i⟩, for ∂/∂w_k, ∂/∂ω_b and ∂/∂σ_obs²
    let ownSlope = 0;
    if (p.obs) {
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let r = 0; r < R; r++) v += M[i * R + r] * p.Nl[i * R + r];
        ownSlope += (v * p.obs.slope[i]) / n;
      }
      dObsOwn = ownSlope * ownNoise;
    }
    // Bins: with Ỹ_r(k) = Σ_i M̂_ir Y_i(k), Q_r(k) = w_k[−Ỹ_r + (K(PPᵀ + n H⁻¹))_r], ∂/∂n_rj = (1/n) Σ_k Re(Φ_j^* Q_r);
    // ∂/∂w_k = ½ KᴴPPᵀK − Re Σ_r K_r^*Ỹ_r + (n/2) KᴴH⁻¹K
    const core = new Float64Array(R * R);
    for (let q = 0; q < R * R; q++) core[q] = PPt[q] + n * Hi[q];
    const Qre = new Float64Array(R);
    const Qim = new Float64Array(R);
    const Yre = new Float64Array(R);
    const Yim = new Float64Array(R);
    for (let k = 0; k < low; k++) {
      const off = k * n;
      Yre.fill(0);
      Yim.fill(0);
      for (let i = 0; i < n; i++) {
        const yr = st.yRe[off + i];
        const yi = st.yIm[off + i];
        for (let r = 0; r < R; r++) {
          Yre[r] += M[i * R + r] * yr;
          Yim[r] += M[i * R + r] * yi;
        }
      }
      let dw = 0;
      for (let r = 0; r < R; r++) {
        let cr = 0;
        let ci = 0;
        for (let q = 0; q < R; q++) {
          cr += Kl.re[k * R + q] * core[q * R + r];
          ci += Kl.im[k * R + q] * core[q * R + r];
        }
        dw += 0.5 * (Kl.re[k * R + r] * cr + Kl.im[k * R + r] * ci) - (Kl.re[k * R + r] * Yre[r] + Kl.im[k * R + r] * Yim[r]);
        Qre[r] = (w[k] * (cr - Yre[r])) / n;
        Qim[r] = (w[k] * (ci - Yim[r])) / n;
      }
      if (ownSlope) dw += ownSlope * p.obs!.obs2 * T * st.ownNoiseBins[k];
      for (let j = 0; j < n; j++) {
        const a = st.phiRe[off + j];
        const b = st.phiIm[off + j];
        for (let r = 0; r < R; r++) dN[j * R + r] += a * Qre[r] + b * Qim[r];
      }
      dS[k] += (-w[k] / s[k]) * dw;
    }
    // ∂/∂ω_b: −(1/n) Σ (N M̂ᵀ)∘Cy_b + Σ (N [PPᵀ/(2n²) + H⁻¹/(2n)] Nᵀ)∘Cφ_b
    const core2 = new Float64Array(R * R);
    for (let q = 0; q < R * R; q++) core2[q] = PPt[q] / (2 * n * n) + Hi[q] / (2 * n);
    const Ncore = new Float64Array(n * R);
    for (let j = 0; j < n; j++) for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) Ncore[j * R + a] += p.Nl[j * R + b] * core2[b * R + a];
    const U = new Float64Array(n * n);
    const V = new Float64Array(n * n);
    for (let j = 0; j < n; j++)
      for (let i = 0; i < n; i++) {
        let u = 0;
        let v = 0;
        for (let r = 0; r < R; r++) {
          u += p.Nl[j * R + r] * M[i * R + r];
          v += Ncore[j * R + r] * p.Nl[i * R + r];
        }
        U[j * n + i] = u;
        V[j * n + i] = v;
      }
    const dOmega = new Float64Array(bands);
    for (let b = 0; b < bands; b++) {
      const cy = st.Cy[b];
      const cp = st.Cphi[b];
      let d = 0;
      for (let q = 0; q < n * n; q++) d += (-U[q] * cy[q]) / n + V[q] * cp[q];
      if (ownSlope) d += ownSlope * p.obs!.obs2 * st.ownNoiseBands[b];
      dOmega[b] = d;
    }
    // ω_b = Σ_{k∈b} c_k/s_k / count_b
    for (let k = low; k < K; k++) dS[k] += (dOmega[bandOf[k]] * -(2 * half[k])) / (s[k] * s[k] * count[bandOf[k]]);
  }
  let dSig = 0;
  let dG = 0;
  let dObs = dObsOwn;
  for (let k = p.s0 !== undefined ? 1 : 0; k < K; k++) {
    dSig += dS[k];
    dG += dS[k] * bulk[k];
    if (p.obs) dObs += dS[k] * (st.noiseShape[k] + p.g2 * p.obs.dBulk[k]);
  }
  return { nll, dG2: dG, dSigma2: dSig, dObs2: dObs, dN, M };
}

/**
 * Ω = Σ_k (c_k/s_k)(a cos ω_k + b) over bins 0..T/2 at the loss's weights (bin by bin below `low`, band
 * means ω_b above): unit i's own observation noise adds ⟨φ'_i⟩σ_obs²Ω to Σ_k w_k Re(Φ_i^* Y_i).
 */
function ownNoiseWeight(st: WhittleLowRankStatistics, w: Float64Array, omega: Float64Array): number {
  let v = 0;
  for (let k = 0; k < st.low; k++) v += w[k] * st.T * st.ownNoiseBins[k];
  for (let b = 0; b < st.bands; b++) v += omega[b] * st.ownNoiseBands[b];
  return v;
}

export interface ModeSubspace {
  /** orthonormal basis q_r of the columns of M (R vectors over the recorded units) */
  q: Float64Array[];
  /** Z_r(k) = Σ_i q_ri Y_i(k): DFT of each projected input series, interleaved (re, im), bins 0..T/2 */
  Z: Float64Array[];
  /** (1/T) Σ_r |Z_r(k)|², bins 0..T/2 */
  power: Float64Array;
}

/**
 * Power per bin (0..T/2) of the recorded units' inputs y projected onto span(M) across units:
 * (1/T) Σ_r |Σ_i q_ri Y_i(k)|², q_r an orthonormal basis of the columns of M (n×R row-major). T is the
 * statistics' FFT length. With P_y(k) it splits the input power into the R mode directions and the
 * n − R others (orthogonalBulkEvaluate).
 */
export function modeSubspacePower(rec: Recording, basis: StepBasis, M: Float64Array, R: number, T: number): Float64Array {
  return modeSubspace(rec, basis, M, R, T).power;
}

/** The projection of the recorded inputs onto span(M) across units, with its spectra (modeSubspacePower). */
export function modeSubspace(rec: Recording, basis: StepBasis, M: Float64Array, R: number, T: number): ModeSubspace {
  const n = rec.nUnits;
  const { Q: q, R: tri } = orthonormalise(Array.from({ length: R }, (_, r) => Float64Array.from({ length: n }, (_, i) => M[i * R + r])));
  if (tri.some((row, r) => !(row[r] > 0))) throw new RangeError('mode subspace: the input loadings are rank-deficient');
  // the R projected series, each input computed once
  const z = Array.from({ length: R }, () => new Float64Array(T));
  for (let t = 0; t < T; t++)
    for (let i = 0; i < n; i++) {
      const y = inputAt(rec.data, n, t, i, basis);
      for (let r = 0; r < R; r++) z[r][t] += q[r][i] * y;
    }
  const fft = new RealFFT(T);
  const power = new Float64Array(T / 2 + 1);
  const Z = z.map((zr) => {
    const sum = zr.reduce((a, v) => a + v, 0);
    const out = fft.forward(zr, new Float64Array(T + 2), 0, sum / T);
    power[0] += (sum * sum) / T;
    for (let k = 1; k <= T / 2; k++) power[k] += (out[2 * k] ** 2 + out[2 * k + 1] ** 2) / T;
    return out;
  });
  fft.dispose();
  return { q, Z, power };
}

export interface OwnPower {
  /** Σ_i ρ_i(k) |Y⊥_i(k)|²/T */
  own: Float64Array;
  /** Σ_i ρ_i(k) */
  ownSum: Float64Array;
}

/**
 * Statistics of the own-power term (src/loss/whittle.ts) for orthogonalBulkEvaluate, per bin (0..T/2):
 * Σ_i ρ_i(k) |Y⊥_i(k)|²/T and Σ_i ρ_i(k), ρ_i = (q_i − q̃_i)/P̄_φ the unit's own φ-periodogram scatter
 * (ownPowerScatter), Y⊥_i the recorded inputs with their projection onto span(M) across units (`modes`,
 * from modeSubspace) removed. The projection mixes units at O(R/n), which this first-order term neglects.
 */
export function ownPowerResidual(rec: Recording, basis: StepBasis, phi: Nonlinearity, modes: ModeSubspace, T: number, phiPower: Float64Array): OwnPower {
  const n = rec.nUnits;
  const nb = T / 2 + 1;
  const { q, Z } = modes;
  const R = q.length;
  const fft = new RealFFT(T);
  const series = new Float64Array(T);
  const out = new Float64Array(T + 2);
  const own = new Float64Array(nb);
  const ownSum = new Float64Array(nb);
  const Y = new Float64Array(T + 2);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let t = 0; t < T; t++) sum += series[t] = phi.f(rec.data[t * n + i]);
    fft.forward(series, out, 0, sum / T);
    const power = new Float64Array(nb);
    for (let k = 1; k < nb; k++) power[k] = (out[2 * k] ** 2 + out[2 * k + 1] ** 2) / T;
    const ratio = ownPowerScatter(power).map((v, k) => (phiPower[k] > 0 ? v / phiPower[k] : 0));
    sum = 0;
    for (let t = 0; t < T; t++) sum += series[t] = inputAt(rec.data, n, t, i, basis);
    Y.set(fft.forward(series, out, 0, sum / T));
    for (let k = 1; k < nb; k++) {
      let re = Y[2 * k];
      let im = Y[2 * k + 1];
      for (let r = 0; r < R; r++) {
        re -= q[r][i] * Z[r][2 * k];
        im -= q[r][i] * Z[r][2 * k + 1];
      }
      own[k] += (ratio[k] * (re * re + im * im)) / T;
      ownSum[k] += ratio[k];
    }
  }
  fft.dispose();
  return { own, ownSum };
}

/**
 * Whittle loss of g² and σ² from the part of the inputs orthogonal to span(M) across the recorded units
 * (n − R dimensions per bin, bins 1..T/2; bin 0 informs the modes only, as in whittleLowRankEvaluate):
 *   NLL = Σ_k (c_k/2)[(n − R) log s_k + (P_y(k) − P_M(k))/s_k],  s_k = σ² + g² bulk(k),
 * P_M = modeSubspacePower. Every input common to the units along their loadings m (the mode input,
 * and whatever part of it the fitted readout misses) lies in span(M); the bulk, independent across
 * units, fills all n directions alike. On partial recordings the missed part, chiefly the unrecorded
 * units' private readout, otherwise counts as bulk power and raises ĝ (src/structure/partial.ts).
 */
export function orthogonalBulkEvaluate(
  st: WhittleLowRankStatistics, modePower: Float64Array, bulk: Float64Array, R: number, g2: number, sigma2: number, ownResidual?: OwnPower, obs?: WhittleLowRankPoint['obs'],
): { nll: number; dG2: number; dSigma2: number; dObs2: number } {
  const dof = st.n - R;
  let nll = 0;
  let dG2 = 0;
  let dSigma2 = 0;
  let dObs2 = 0;
  for (let k = 1; k < st.half.length; k++) {
    const s = sigma2 + g2 * bulk[k] + (obs ? obs.obs2 * st.noiseShape[k] : 0);
    const p = Math.max(0, st.yPower[k] - modePower[k]);
    nll += st.half[k] * (dof * Math.log(s) + p / s);
    let dS = st.half[k] * (dof / s - p / (s * s));
    if (ownResidual) {
      // Σ_i [−ε_i/s + ε_i|Y⊥_i|²/(T s²)], ε_i = g² bulk ρ_i/n: unit i's own periodogram scatter taken out of
      // its bulk variance, to first order (ownPowerResidual)
      const w = ownResidual.own[k] - s * ownResidual.ownSum[k];
      const a = bulk[k] / st.n;
      nll += st.half[k] * ownPowerTerm(g2 * bulk[k], st.n, s, ownResidual.own[k], ownResidual.ownSum[k]);
      dG2 += (st.half[k] * a * w) / (s * s);
      if (obs) dObs2 += (st.half[k] * g2 * obs.dBulk[k] * w) / (st.n * s * s);
      // ∂/∂s of g² a (W − sV)/s² = g² a (−V/s² − 2(W − sV)/s³)
      dS += st.half[k] * g2 * a * (-ownResidual.ownSum[k] / (s * s) - (2 * w) / (s * s * s));
    }
    dSigma2 += dS;
    dG2 += dS * bulk[k];
    if (obs) dObs2 += dS * (st.noiseShape[k] + g2 * obs.dBulk[k]);
  }
  return { nll, dG2, dSigma2, dObs2 };
}
