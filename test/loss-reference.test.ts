/** The float64 Whittle reference against the tfjs loss the optimiser differentiates. */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/backend.js';
import { ownPowerTerm, whittleLoss, whittleLossValue } from '../src/loss/whittle.js';
import { type ModelConfig, pack, parameterLayout } from '../src/model/parameters.js';
import { nonlinearity } from '../src/nonlinearity.js';
import { fftLength, RealFFT } from '../src/statistics/fft.js';
import { grandMean, ownPowerScatter, spectralStatistics } from '../src/statistics/spectra.js';
import { observationNoiseModel } from '../src/model/observationNoise.js';
import { simulateSpec } from './helpers/sim.js';

describe('Whittle loss: float64 reference equals the tfjs loss', () => {
  it('two populations, J0, fitted τ and offset/scale: agree to 1e-5 relative at two points', async () => {
    const spec = { phi: 'tanh' as const, sizes: [60, 40], names: ['A', 'B'], g2: [[2, 0.5], [1, 3]], J0: [[0.3, 0], [0, 0]], D: [0.1, 0.2], tau: 1, s: 0 };
    const sim = await simulateSpec(spec, { dt: 0.05, steps: 3000, burnIn: 300, seed: 9 });
    const rec = sim.recording;
    for (let k = 0; k < rec.data.length; k++) rec.data[k] = 2 * rec.data[k] + 0.7;
    const groups = new Int32Array(100).map((_, i) => (i < 60 ? 0 : 1));
    const cfg: ModelConfig = {
      phi: 'tanh', populationNames: ['A', 'B'], dt: 0.05, discretisation: 'euler', fitTau: true, tau: 1,
      fitScale: true, fitJ0: true, fitLeak: false, leak: 0,
    };
    const layout = parameterLayout(cfg);
    const phi = nonlinearity('tanh');
    const T = fftLength(rec.nSamples - 1);
    const stats = spectralStatistics(rec, groups, 2, { names: ['dx', 'x0'] }, phi, T, { shift: grandMean(rec), phiAtIdentity: false });
    const inputs = { stats, cfg, layout, sigma2Floor: [1e-5, 1e-5], source: rec, groups, phi };
    const { loss, normaliser, dispose } = whittleLoss(inputs);
    for (const nat of [
      { g2: [[2, 0.5], [1, 3]], D: [0.1, 0.2], J0: [[0.3, 0], [0, 0]], tau: 1, offset: 0.05, scale: 2, leak: 0 },
      { g2: [[1, 1], [1, 1]], D: [0.3, 0.1], J0: [[-0.2, 0.1], [0.4, 0]], tau: 1.3, offset: -0.1, scale: 1.5, leak: 0 },
    ]) {
      const th = pack(nat, layout);
      const f32 = tf.tidy(() => loss(tf.tensor1d(Float32Array.from(th))).dataSync()[0]) * normaliser;
      const f64 = whittleLossValue(inputs, th);
      // float32 rounding of components of order n·T ≈ 3·10⁵ nats: about 1e-6 of that, not of the
      // (partly cancelling) total.
      expect(Math.abs(f32 - f64)).toBeLessThan(4e-6 * normaliser);
    }
    dispose();
  });

  it('observation noise (σ_obs² term and the φ-spectrum correction), two populations, fitted τ: agree to 1e-5 relative at two points', async () => {
    const spec = { phi: 'erf' as const, sizes: [60, 40], names: ['A', 'B'], g2: [[2, 0.5], [1, 3]], J0: [[0.3, 0], [0, 0]], D: [0.1, 0.2], tau: 1, s: 0 };
    const sim = await simulateSpec(spec, { dt: 0.05, steps: 3000, burnIn: 300, seed: 9, obsNoise: 0.3 });
    const rec = sim.recording;
    const groups = new Int32Array(100).map((_, i) => (i < 60 ? 0 : 1));
    const cfg: ModelConfig = {
      phi: 'erf', populationNames: ['A', 'B'], dt: 0.05, discretisation: 'euler', fitTau: true, tau: 1,
      fitScale: false, fitJ0: true, fitLeak: false, leak: 0, fitObsNoise: true,
    };
    const layout = parameterLayout(cfg);
    const phi = nonlinearity('erf');
    const T = fftLength(rec.nSamples - 1);
    const stats = spectralStatistics(rec, groups, 2, { names: ['dx', 'x0'] }, phi, T, { phiAtIdentity: true });
    const inputs = { stats, cfg, layout, sigma2Floor: [1e-5, 1e-5], source: rec, groups, phi, obsNoiseModel: observationNoiseModel(rec, groups, 2, phi) };
    const { loss, normaliser, dispose } = whittleLoss(inputs);
    for (const nat of [
      { g2: [[2, 0.5], [1, 3]], D: [0.1, 0.2], J0: [[0.3, 0], [0, 0]], tau: 1, offset: 0, scale: 1, leak: 0, obsNoise2: 0.09 },
      { g2: [[1, 1], [1, 1]], D: [0.3, 0.1], J0: [[-0.2, 0.1], [0.4, 0]], tau: 1.3, offset: 0, scale: 1, leak: 0, obsNoise2: 0.2 },
    ]) {
      const th = pack(nat, layout);
      const f32 = tf.tidy(() => loss(tf.tensor1d(Float32Array.from(th))).dataSync()[0]) * normaliser;
      const f64 = whittleLossValue(inputs, th);
      expect(Math.abs(f32 - f64)).toBeLessThan(4e-6 * normaliser);
    }
    dispose();
  });
});

describe('own-power term (src/loss/whittle.ts): first order of the per-unit bulk variance', () => {
  it('one population of 60 units: the term from the population statistics equals Σ_i [log s_i + |Y_i|²/(T s_i)] − (same at s) to 2 %', async () => {
    const spec = { phi: 'tanh' as const, sizes: [60], names: ['A'], g2: [[0.5]], J0: [[0]], D: [0.05], tau: 1, s: 0 };
    const sim = await simulateSpec(spec, { dt: 0.05, steps: 4000, burnIn: 300, seed: 5 });
    const rec = sim.recording;
    const n = rec.nUnits;
    const T = fftLength(rec.nSamples - 1);
    const nb = T / 2 + 1;
    const phi = nonlinearity('tanh');
    const fixed = { a: 20, b: -19, s: 0 }; // y = (x[t+1] − x[t])/0.05 + x[t]
    const stats = spectralStatistics(rec, new Int32Array(n), 1, { names: ['y'], fixed }, phi, T);
    const p = stats.populations[0];
    const Pbar = stats.phi!.power[0];
    const [g2, sigma2] = [0.5, 2];
    // per unit, directly: y and φ periodograms, the scatter of the φ periodogram, the exact s_i = s − ε_i
    const fft = new RealFFT(T);
    const [y, f, out] = [new Float64Array(T), new Float64Array(T), new Float64Array(T + 2)];
    let exact = 0;
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < T; t++) {
        y[t] = fixed.a * rec.data[(t + 1) * n + i] + fixed.b * rec.data[t * n + i];
        f[t] = Math.tanh(rec.data[t * n + i]);
      }
      const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / T;
      const q = new Float64Array(nb);
      fft.forward(f, out, 0, mean(f));
      for (let k = 1; k < nb; k++) q[k] = (out[2 * k] ** 2 + out[2 * k + 1] ** 2) / T;
      const d = ownPowerScatter(q);
      fft.forward(y, out, 0, mean(y));
      for (let k = 1; k < nb; k++) {
        const Y2 = (out[2 * k] ** 2 + out[2 * k + 1] ** 2) / T;
        const s = sigma2 + g2 * Pbar[k];
        const si = s - (g2 * d[k]) / n;
        exact += 0.5 * (k === nb - 1 ? 1 : 2) * (Math.log(si) + Y2 / si - Math.log(s) - Y2 / s);
      }
    }
    fft.dispose();
    let firstOrder = 0;
    for (let k = 1; k < nb; k++) {
      const s = sigma2 + g2 * Pbar[k];
      firstOrder += 0.5 * (k === nb - 1 ? 1 : 2) * ownPowerTerm(g2 * Pbar[k], n, s, p.ownCross[0][k], p.ownCount[k]);
    }
    expect(exact).toBeGreaterThan(1); // the term matters: 21.7 nats here (first order 21.5)
    expect(Math.abs(firstOrder / exact - 1)).toBeLessThan(0.02);
  });
});
