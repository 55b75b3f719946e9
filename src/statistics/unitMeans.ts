/**
 * How far the units' time averages differ, and whether they hold over the recording. The N → ∞ theory
 * of the i.i.d. network (J0 = 0, THEORY §4.2) gives every unit the same mean; one finite network can
 * instead sit in, or flip between, patterns of its own realised couplings. Two figures tell these apart:
 * the variance across units of their time averages (a static pattern keeps it at its own size; slow
 * fluctuations give about 2·τ_c·C/T) and the correlation across units of the averages over the
 * recording's two halves (≈ 1 for a pattern held throughout, ≈ −1 for mirror patterns ±x* visited one
 * per half, ≈ 0 for fluctuations faster than the halves).
 */
import type { Recording } from '../recording/types.js';

export interface UnitMeanStatistics {
  /** Variance across units of their time averages, about the grand mean. */
  staticVariance: number;
  /**
   * Correlation across units of the averages over the first and the second half (each half about its
   * own grand mean); NaN with fewer than 3 units or 4 samples, or when a half's averages are all equal.
   */
  halvesCorrelation: number;
}

export function unitMeanStatistics(rec: Recording): UnitMeanStatistics {
  const { nSamples: T, nUnits: n, data } = rec;
  const half = Math.floor(T / 2);
  const first = new Float64Array(n);
  const second = new Float64Array(n);
  for (let t = 0; t < T; t++) {
    const sums = t < half ? first : second;
    for (let i = 0; i < n; i++) sums[i] += data[t * n + i];
  }
  const whole = Float64Array.from(first, (s, i) => (s + second[i]) / T);
  for (let i = 0; i < n; i++) {
    first[i] /= half;
    second[i] /= T - half;
  }
  const centred = (v: Float64Array) => {
    const mean = v.reduce((a, b) => a + b, 0) / n;
    return Float64Array.from(v, (x) => x - mean);
  };
  const w = centred(whole);
  const staticVariance = w.reduce((a, x) => a + x * x, 0) / n;
  let halvesCorrelation = Number.NaN;
  if (n >= 3 && T >= 4) {
    const a = centred(first);
    const b = centred(second);
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < n; i++) {
      ab += a[i] * b[i];
      aa += a[i] * a[i];
      bb += b[i] * b[i];
    }
    if (aa > 0 && bb > 0) halvesCorrelation = ab / Math.sqrt(aa * bb);
  }
  return { staticVariance, halvesCorrelation };
}

/** The mean over units of each unit's variance about its own time average (the spread a model's x has, static pattern aside). */
export function meanWithinUnitVariance(rec: Pick<Recording, 'nSamples' | 'nUnits' | 'data'>): number {
  const { nSamples: T, nUnits: n, data } = rec;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    let s2 = 0;
    for (let t = 0; t < T; t++) {
      const v = data[t * n + i];
      s += v;
      s2 += v * v;
    }
    variance += (s2 / T - (s / T) ** 2) / n;
  }
  return variance;
}
