/** The float64 Whittle reference against the tfjs loss the optimiser differentiates. */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/backend.js';
import { whittleLoss, whittleLossValue } from '../src/loss/whittle.js';
import { type ModelConfig, pack, parameterLayout } from '../src/model/parameters.js';
import { nonlinearity } from '../src/nonlinearity.js';
import { fftLength } from '../src/statistics/fft.js';
import { grandMean, spectralStatistics } from '../src/statistics/spectra.js';
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
});
