/**
 * A calcium indicator between the network and the recording (`fit --indicator-decay T`,
 * `simulate --indicator-decay T`): the recorded trace is the network's x low-passed by the indicator's
 * decay, plus white measurement noise,
 *   c[t] = γ c[t−1] + (1 − γ) x[t],   F[t] = c[t] + ε[t],   γ = exp(−Δ/T_decay),
 * the first-order kinetics of an indicator at the sampling step Δ with unit gain (x constant within a frame).
 * The filter is known, so it is inverted on the data, x̃[t] = (F[t] − γF[t−1])/(1 − γ) = x[t] + ε̃[t], and
 * the network is fitted to x̃ with observation noise ε̃ = (ε[t] − γε[t−1])/(1 − γ): no longer white but
 * MA(1), its variance σ²(1 + γ²)/(1 − γ)², its spectrum σ²·|1 − γe^{−iω}|²/(1 − γ)². The fit reports σ,
 * the noise on F in data units.
 *
 * A slow indicator (γ near 1) amplifies that noise about 1/(1 − γ)-fold, and where it outweighs x the
 * loss's account of how noise reaches φ (its leading Hermite term, src/model/observationNoise.ts) fails:
 * at g 1.5, decay 2 τ sampled at 0.05 τ, ĝ came out 2.7× and D̂ 0 once the noise's variance was ~3× x's
 * (bench/indicator.ts). The noise is blue, though: summed over a block of k samples the differences
 * telescope, Σ ε̃ = (ε_last − γ ε_before)/(1 − γ) + Σ_interior ε, so the block means carry
 *   noise variance σ²[(1 + γ²)/(1 − γ)² + k − 1]/k²,  lag-1 covariance −σ²γ/((1 − γ)² k²)
 * (an MA(1) of the same pole on the block ends plus white interior sums): a k²-fold cut where the first
 * term dominates. The fit takes block means over the shortest block that brings the noise to half the
 * signal's variance (indicatorBlockLength), as the network's process sampled at k·Δ with its noise's
 * spectrum blurred by the blocks (blockMeanNoiseShape; the rest a boxcar approximation, good while k·Δ
 * is well below τ).
 */
import { InputError } from '../errors.js';
import type { Recording } from '../recording/types.js';
import { whiteNoiseExcess } from '../statistics/whiteNoise.js';

/** γ = exp(−Δ/T_decay): the indicator's decay per sample. */
export function indicatorPole(decay: number, dt: number): number {
  if (!(decay > 0 && Number.isFinite(decay))) throw new InputError(`expected the indicator's decay time to be a positive number (in the recording's time unit), got ${decay}`, { field: '--indicator-decay' });
  return Math.exp(-dt / decay);
}

/** How the fit sees indicator data: γ per sample, and block means over `block` samples of the deconvolved trace. */
export interface IndicatorModel {
  pole: number;
  block: number;
}

/** The fitted x's noise, lag-0 variance and lag-1 covariance per unit of σ² (white ε on F; see the header). */
export function indicatorNoiseCovariance({ pole, block }: IndicatorModel): { lag0: number; lag1: number } {
  const d = (1 - pole) ** 2;
  return { lag0: ((1 + pole * pole) / d + block - 1) / block ** 2, lag1: -pole / d / block ** 2 };
}

/** The fitted x's noise spectrum at ω (radians per fitted sample) per unit of σ²: (|1 − γe^{−iω}|²/(1 − γ)² + k − 1)/k². */
export function indicatorNoiseShape({ pole, block }: IndicatorModel, omega: number): number {
  return ((1 + pole * pole - 2 * pole * Math.cos(omega)) / (1 - pole) ** 2 + block - 1) / block ** 2;
}

/**
 * The network noise's spectrum in y per unit of its white level, when x is a mean over blocks of k fine
 * steps: the increments of block means weigh the fine steps' noise by a triangle, so their variance is
 * (2k² + 1)/(3k²) and their lag-1 covariance (k² − 1)/(6k²) of the point-sampled process's (exact for the
 * noise; the smooth drift is point-like while k·Δ ≪ τ). Unweighted, a white level would read D low.
 */
export function blockMeanNoiseShape(block: number, omega: number): number {
  return 1 - ((block * block - 1) / (3 * block * block)) * (1 - Math.cos(omega));
}

/** Block means over this share of x's variance as the deconvolved noise's (see the header). */
export const INDICATOR_NOISE_TARGET = 1;

export interface IndicatorBlock {
  block: number;
  /** σ² of the trace's white noise, model-free (lag-0 excess), and the deconvolved noise's variance over x's at that block */
  obsNoise2: number;
  noiseToSignal: number;
  /** the target was out of reach within the longest block allowed */
  capped: boolean;
}

/**
 * The shortest block k ≤ maxBlock whose means of the deconvolved trace hold noise of at most
 * INDICATOR_NOISE_TARGET of x's variance. σ² is the raw trace's lag-0 excess (whiteNoiseExcess: c is
 * smooth at lag 0), x's variance the deconvolved trace's less its noise.
 */
export function indicatorBlockLength(trace: Recording, deconvolved: Recording, pole: number, maxBlock: number): IndicatorBlock {
  const white = whiteNoiseExcess(trace);
  const n = trace.nUnits;
  const obsNoise2 = white.variance.reduce((s, v) => s + Math.max(v, 0), 0) / n;
  const T = deconvolved.nSamples;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    let s2 = 0;
    for (let t = 0; t < T; t++) {
      const v = deconvolved.data[t * n + i];
      s += v;
      s2 += v * v;
    }
    total += s2 / T - (s / T) ** 2;
  }
  const noiseAt = (block: number) => obsNoise2 * indicatorNoiseCovariance({ pole, block }).lag0;
  // x's variance, never taken below 1 % of the trace's (noise-dominated data: the longest block)
  const signal = Math.max(total / n - noiseAt(1), 0.01 * total / n);
  const longest = Math.max(1, Math.floor(maxBlock));
  let block = 1;
  while (block < longest && noiseAt(block) > INDICATOR_NOISE_TARGET * signal) block++;
  const noiseToSignal = noiseAt(block) / signal;
  return { block, obsNoise2, noiseToSignal, capped: noiseToSignal > INDICATOR_NOISE_TARGET };
}

/** The recording seen through the indicator: c = (1 − γ) Σ_j γʲ x[t − j], started in steady state (c[0] = x[0]). */
export function applyIndicator(rec: Recording, pole: number): Recording {
  const n = rec.nUnits;
  const data = Float64Array.from(rec.data);
  for (let t = 1; t < rec.nSamples; t++) {
    for (let i = 0; i < n; i++) data[t * n + i] = pole * data[(t - 1) * n + i] + (1 - pole) * rec.data[t * n + i];
  }
  return { ...rec, data };
}

/** x̃[t] = (F[t] − γF[t−1])/(1 − γ) for t ≥ 1: the indicator undone (one sample fewer; the time column follows). */
export function deconvolveIndicator(rec: Recording, pole: number): Recording {
  const n = rec.nUnits;
  const T = rec.nSamples - 1;
  const data = new Float64Array(T * n);
  const gain = 1 / (1 - pole);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) data[t * n + i] = gain * (rec.data[(t + 1) * n + i] - pole * rec.data[t * n + i]);
  }
  return { ...rec, data, nSamples: T, ...(rec.time ? { time: rec.time.subarray(1) } : {}) };
}

/**
 * The indicator's trace c's autocovariance at lags 0..maxLag (in samples) from x's, `cx` at lags 0..K and
 * taken as zero beyond K (give K well past x's decay). With h_a = (1 − γ)γ^a, c[t] = Σ_a h_a x[t − a], so
 * C_c[k] = Σ_b h_b R[k + b] with R[k] = Cov(c[t + k], x[t]) = γR[k − 1] + (1 − γ)C_x[|k|], zero below −K;
 * above K, R falls as γ^k, and the sum's tail is summed in closed form. Cost O(K·maxLag).
 */
export function indicatorCovariance(cx: Float64Array, pole: number, maxLag: number): Float64Array {
  const K = cx.length - 1;
  if (!(Number.isInteger(maxLag) && maxLag >= 0 && maxLag <= K)) throw new RangeError(`maxLag must be a whole number in [0, ${K}], got ${maxLag}`);
  if (!(pole >= 0 && pole < 1)) throw new RangeError(`the indicator's pole γ must be in [0, 1), got ${pole}`);
  const w = 1 - pole;
  const R = new Float64Array(2 * K + 1); // R[k + K], k = −K..K
  let prev = 0;
  for (let k = -K; k <= K; k++) R[k + K] = prev = pole * prev + w * cx[Math.abs(k)];
  const out = new Float64Array(maxLag + 1);
  for (let k = 0; k <= maxLag; k++) {
    let s = 0;
    let hb = w;
    for (let b = 0; k + b <= K; b++, hb *= pole) s += hb * R[k + b + K];
    // b > K − k: Σ (1 − γ)γ^b · R[K]γ^{k+b−K} = (1 − γ)R[K]γ^{K−k+2}/(1 − γ²)
    out[k] = s + (w * R[2 * K] * pole ** (K - k + 2)) / (1 - pole * pole);
  }
  return out;
}
