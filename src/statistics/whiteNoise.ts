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
}

/** The lag-0 excess of each unit's autocovariance over lags 1–3 extrapolated (see the header). */
export function whiteNoiseExcess(rec: SeriesSource): WhiteNoiseEstimate {
  const { nUnits: n, nSamples: T, data } = rec;
  if (T < 8) throw new RangeError(`a white-noise estimate needs at least 8 samples, got ${T}`);
  const variance = new Float64Array(n);
  const share = new Float64Array(n);
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
  }
  return { variance, share };
}
