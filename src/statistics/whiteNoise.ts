/**
 * A model-free look for white measurement noise on a recording (`connfit inspect`). White noise adds to
 * each unit's autocovariance at lag 0 only; the dynamics' autocovariance is continuous there (a kink at
 * most). So the quadratic through lags 1–3, extrapolated to lag 0 (3C₁ − 3C₂ + C₃), falls short of the
 * variance C₀ by the white noise's variance, up to the dynamics' own curvature: an Euler AR(1) with step
 * h = dt/τ leaves h³ of its variance (1e-4 at h = 0.05, 6 % at h = 0.4), so the figure means something
 * when dt is well below the correlation time. `fit --obs-noise` fits the noise in the model instead.
 */
import type { SeriesSource } from './spectra.js';

export interface WhiteNoiseEstimate {
  /** per unit: the lag-0 excess, an estimate of the white noise's variance (may be ≤ 0: none seen) */
  variance: Float64Array;
  /** per unit: that excess as a share of the unit's variance */
  share: Float64Array;
  /**
   * per unit: the dynamics' own drop from lag 0 (extrapolated) to lag 1, 2C₁ − 3C₂ + C₃: the kink of the
   * autocovariance, ≈ D·dt/τ for the rate network (its noise's variance per step), plus O(dt²)
   */
  stepDrop: Float64Array;
}

/** The lag-0 excess of each unit's autocovariance over lags 1–3 extrapolated (see the header). */
export function whiteNoiseExcess(rec: SeriesSource): WhiteNoiseEstimate {
  const { nUnits: n, nSamples: T, data } = rec;
  if (T < 8) throw new RangeError(`a white-noise estimate needs at least 8 samples, got ${T}`);
  const variance = new Float64Array(n);
  const share = new Float64Array(n);
  const stepDrop = new Float64Array(n);
  const x = new Float64Array(T);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let t = 0; t < T; t++) mean += data[t * n + i];
    mean /= T;
    for (let t = 0; t < T; t++) x[t] = data[t * n + i] - mean;
    const c = [0, 0, 0, 0];
    for (let lag = 0; lag <= 3; lag++) {
      let s = 0;
      for (let t = 0; t + lag < T; t++) s += x[t] * x[t + lag];
      c[lag] = s / (T - lag);
    }
    variance[i] = c[0] - (3 * c[1] - 3 * c[2] + c[3]);
    share[i] = c[0] > 0 ? variance[i] / c[0] : 0;
    stepDrop[i] = 2 * c[1] - 3 * c[2] + c[3];
  }
  return { variance, share, stepDrop };
}

/** Median of a copy (the upper one for even lengths). */
function median(v: Float64Array): number {
  return Float64Array.from(v).sort()[v.length >> 1];
}

/** Largest h = dt/τ at which an Euler AR(1)'s own h³ stays below 1 % of the variance: the hint's range. */
const HINT_MAX_STEP = 0.2;
/** Median share of the variance above which the hint is given. */
export const WHITE_NOISE_HINT_SHARE = 0.01;

/**
 * A fit's note when the recording shows white noise that the model leaves out: the median unit's lag-0
 * excess above 1 % of its variance, with the sampling fine enough (h = dt/τ ≤ 0.2) for that to mean noise.
 */
export function whiteNoiseHint(rec: SeriesSource, step: number): string | undefined {
  if (!(step <= HINT_MAX_STEP) || rec.nSamples < 8) return undefined;
  const w = whiteNoiseExcess(rec);
  const share = median(w.share);
  if (!(share > WHITE_NOISE_HINT_SHARE)) return undefined;
  return (
    `the recording shows white noise: ${(100 * share).toFixed(1)} % of the median unit's variance (sd ${Math.sqrt(Math.max(0, median(w.variance))).toPrecision(2)}) ` +
    'sits at lag 0 only, beyond lags 1–3 extrapolated; if it is measurement noise, the model takes it for network noise (D̂ high, ĝ low): fit --obs-noise models it'
  );
}
