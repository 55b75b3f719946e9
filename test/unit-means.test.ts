/**
 * The units' time averages (src/statistics/unitMeans.ts) and predict's slow-activity note
 * (src/report/predict.ts): synthetic recordings whose static pattern is known, and a simulated
 * network that holds one.
 */
import { describe, expect, it } from 'vitest';
import { normalGenerator } from '../src/random.js';
import type { Recording } from '../src/recording/types.js';
import { fitRecording } from '../src/fit/fit.js';
import { buildFitFile } from '../src/fitfile/build.js';
import { predictReport, slowActivityNote, type SlowActivity } from '../src/report/predict.js';
import { meanWithinUnitVariance, unitMeanStatistics } from '../src/statistics/unitMeans.js';
import { simulateIid } from './helpers/sim.js';

/** n units × T samples: pattern p_i (sign flipped in the second half when `mirror`) plus AR(1) noise of variance 1. */
function patterned(n: number, T: number, rho: number, patternSd: number, mirror: boolean, seed: number): { rec: Recording; p: Float64Array } {
  const normal = normalGenerator(seed);
  const p = Float64Array.from({ length: n }, () => patternSd * normal());
  const e = Float64Array.from({ length: n }, () => normal());
  const data = new Float64Array(n * T);
  const s = Math.sqrt(1 - rho * rho);
  for (let t = 0; t < T; t++) {
    const sign = mirror && t >= T / 2 ? -1 : 1;
    for (let i = 0; i < n; i++) {
      e[i] = rho * e[i] + s * normal();
      data[t * n + i] = sign * p[i] + e[i];
    }
  }
  return { rec: { data, nSamples: T, nUnits: n, dt: 1, unitNames: Array.from({ length: n }, (_, i) => `u${i}`) }, p };
}

const variance = (v: Float64Array) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return v.reduce((a, x) => a + (x - m) ** 2, 0) / v.length;
};

describe('unit time averages', () => {
  // An AR(1) of variance 1 averaged over T samples has variance (1 + ρ)/((1 − ρ) T): 0.00095 here.
  const T = 20000;
  const rho = 0.9;
  const noiseOfMean = (1 + rho) / ((1 - rho) * T);

  it('a held pattern: variance of the averages = var(p) + the noise of a mean; halves correlate ≈ 1', () => {
    const { rec, p } = patterned(50, T, rho, 0.5, false, 3);
    const s = unitMeanStatistics(rec);
    // cross term 2 cov(p, ē): sd ≈ 2·√(var p · 0.00095 / 50) ≈ 0.002
    expect(Math.abs(s.staticVariance - (variance(p) + noiseOfMean))).toBeLessThan(0.008);
    // halves: var p / (var p + 2·0.00095) ≈ 0.992
    expect(s.halvesCorrelation).toBeGreaterThan(0.98);
  });

  it('mirror patterns, one per half: the averages cancel, the halves anticorrelate', () => {
    const { rec } = patterned(50, T, rho, 0.5, true, 4);
    const s = unitMeanStatistics(rec);
    expect(s.staticVariance).toBeLessThan(3 * noiseOfMean);
    expect(s.halvesCorrelation).toBeLessThan(-0.98);
  });

  it('no pattern: the averages vary by the noise of a mean only; the halves are uncorrelated (sd 1/√50)', () => {
    const { rec } = patterned(50, T, rho, 0, false, 5);
    const s = unitMeanStatistics(rec);
    expect(s.staticVariance / noiseOfMean).toBeGreaterThan(0.5);
    expect(s.staticVariance / noiseOfMean).toBeLessThan(1.6);
    expect(Math.abs(s.halvesCorrelation)).toBeLessThan(0.5);
  });

  it('the mean within-unit variance leaves each unit\'s own average out: ±1 alternating (1), a constant 5 (0), 0,0,3,3 (2.25) → 13/12', () => {
    const data = Float64Array.from([1, 5, 0, -1, 5, 0, 1, 5, 3, -1, 5, 3]); // 4 samples × 3 units
    expect(meanWithinUnitVariance({ nSamples: 4, nUnits: 3, data })).toBeCloseTo((1 + 0 + 2.25) / 3, 12);
  });

  it('slow-activity note: only when the data keep > 10 % of C(0) above the theory, and it names the kind', () => {
    const base: SlowActivity = { lag: 16, data: 0.2, theory: 0.03, staticFraction: 0.02, halvesCorrelation: 0.1 };
    expect(slowActivityNote({ ...base, data: 0.12 }, 100)).toBeNull();
    expect(slowActivityNote(base, 100)).toMatch(/still 20 % of C\(0\) at lag 16\.0 .* the theory's 3 %: .*slow fluctuations rather than a static pattern/);
    expect(slowActivityNote({ ...base, halvesCorrelation: -0.9 }, 100)).toMatch(/anticorrelated \(-0\.90\): the network flips between mirror patterns/);
    expect(slowActivityNote({ ...base, staticFraction: 0.6, halvesCorrelation: 0.99 }, 100)).toMatch(/mostly a static pattern: .*their variance is 60 % of C\(0\).* correlate 0\.99/);
  });
});

describe('predict: slow activity beyond the theory', () => {
  it('N 200, g 0.8 (noise-driven, far from the chaos onset): the data\'s tail matches the theory\'s, no note', async () => {
    const rec = (await simulateIid({ N: 200, g: 0.8, D: 0.1 }, { dt: 0.05, steps: 20000, seed: 1 })).recording;
    const fit = await fitRecording(rec, { phi: 'tanh', dt: 0.05, loss: 'whittle' });
    const r = await predictReport(buildFitFile(fit, rec, { command: 'test', backend: 'wasm' }), rec, { simulationTime: 0, context: rec.nSamples });
    const s = r.autocorrelation.slow;
    // measured (bench/slow-activity.ts 200 0.8): data 0.040, theory 0.045 of C(0) at lag 4.25
    expect(Math.abs(s.data - s.theory)).toBeLessThan(0.03);
    expect(r.notes.some((x) => /slow collective activity/.test(x))).toBe(false);
  }, 120_000);


  it('a network that holds a static pattern (N 100, g 1.5, seed 5): the report measures the tail and the pattern as direct sums do, and says so', async () => {
    const sim = await simulateIid({ N: 100, g: 1.5, D: 0.1 }, { dt: 0.05, steps: 20000, seed: 5 });
    const rec = sim.recording;
    const fit = await fitRecording(rec, { phi: 'tanh', dt: 0.05, loss: 'whittle' });
    const file = buildFitFile(fit, rec, { command: 'test', backend: 'wasm' });
    const r = await predictReport(file, rec, { simulationTime: 0, context: rec.nSamples });
    const s = r.autocorrelation.slow;
    // independent figures: direct sums about the grand mean at the report's last lag
    const { nSamples: T, nUnits: n, data } = rec;
    const lag = r.autocorrelation.lags.length - 1;
    let mean = 0;
    for (const v of data) mean += v / data.length;
    let c0 = 0;
    let cL = 0;
    for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) c0 += (data[t * n + i] - mean) ** 2 / (T * n);
    for (let t = 0; t + lag < T; t++) for (let i = 0; i < n; i++) cL += ((data[t * n + i] - mean) * (data[(t + lag) * n + i] - mean)) / ((T - lag) * n);
    expect(Math.abs(s.data - cL / c0)).toBeLessThan(1e-9);
    const unitMeans = new Float64Array(n);
    for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) unitMeans[i] += data[t * n + i] / T;
    expect(Math.abs(s.staticFraction - variance(unitMeans) / c0)).toBeLessThan(1e-9);
    // measured (bench/slow-activity.ts): 0.665 of C(0) left at 3 correlation times, 0.670 of it static,
    // halves 1.00; the theory's tail at the fitted g is 0.025
    expect(s.data).toBeGreaterThan(0.5);
    expect(s.staticFraction).toBeGreaterThan(0.5);
    expect(s.halvesCorrelation).toBeGreaterThan(0.95);
    expect(s.theory).toBeGreaterThan(0.01);
    expect(s.theory).toBeLessThan(0.05);
    expect(r.notes.some((x) => /mostly a static pattern/.test(x))).toBe(true);
  }, 120_000);
});
