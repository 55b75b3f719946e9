/**
 * Time constant and observation scale/offset (foundation issue): a network with τ = 20 ms sampled
 * every 1 ms, its activity multiplied by 3 and shifted by 0.5. And the float64 reference of the exact
 * loss against the tfjs version the optimiser differentiates.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../src/backend.js';
import { fitRecording } from '../src/fit/fit.js';
import { exactLoss, exactLossValue, exactStatistics } from '../src/loss/exact.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { type ModelConfig, pack, parameterLayout, stepCoefficients } from '../src/model/parameters.js';
import { nonlinearity } from '../src/nonlinearity.js';
import { rel, simulateIid } from './helpers/sim.js';

describe('τ, scale and offset (exact loss, whole network recorded)', () => {
  it('τ=20 ms at 1 ms sampling, ×3 + 0.5: τ, scale, offset, g, D within 5 %, intervals cover the truth', async () => {
    const sim = await simulateIid({ N: 200, g: 1.5, D: 0.1, tau: 20 }, { dt: 1, steps: 20000, seed: 4 });
    const d = sim.recording.data;
    for (let k = 0; k < d.length; k++) d[k] = 3 * d[k] + 0.5;
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 1, fitTau: true, fitScale: true });
    expect(f.loss.form).toBe('exact');
    const truth: Record<string, number> = { tau: 20, scale: 3, offset: 0.5, g: 1.5, D: 0.1 };
    for (const [name, t] of Object.entries(truth)) {
      const e = f.params[name];
      expect(rel(e.value, t), name).toBeLessThan(0.05);
      expect(e.ci95[0], name).toBeLessThanOrEqual(t);
      expect(e.ci95[1], name).toBeGreaterThanOrEqual(t);
    }
    expect(f.convergence.converged).toBe(true);
  });

  it('τ alone at 1 ms sampling: exact loss recovers τ=20 within 2 % for a near-linear (g=0.1) and a chaotic (g=1.5) network', async () => {
    for (const g of [0.1, 1.5]) {
      const sim = await simulateIid({ N: 200, g, D: 0.1, tau: 20 }, { dt: 1, steps: 20000, seed: 5 });
      const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 1, fitTau: true });
      expect(rel(f.params.tau.value, 20)).toBeLessThan(0.02);
      expect(rel(f.params.D.value, 0.1)).toBeLessThan(0.02);
    }
  });
});

describe('exact loss: float64 reference equals the tfjs loss', () => {
  it('agrees to 1e-5 relative at two parameter points (τ basis, J0 ≠ 0)', async () => {
    const sim = await simulateIid({ N: 100, g: 1.5, D: 0.1, J0: 0.5, tau: 20 }, { dt: 1, steps: 4000, burnIn: 500, seed: 4 });
    const cfg: ModelConfig = {
      phi: 'tanh', populationNames: ['all'], dt: 1, discretisation: 'euler', fitTau: true, tau: 1,
      fitScale: false, fitJ0: true, fitLeak: false, leak: 0,
    };
    const layout = parameterLayout(cfg);
    await prepareEigensolver();
    const stats = exactStatistics(sim.recording, { names: ['dx', 'x0'] }, nonlinearity('tanh'));
    const { loss, normaliser, dispose } = exactLoss({ stats, cfg, layout, sigma2Floor: 1e-5 });
    for (const nat of [
      { g2: [[2.25]], D: [0.1], J0: [[0.5]], tau: 20, offset: 0, scale: 1, leak: 0 },
      { g2: [[1]], D: [0.3], J0: [[-0.2]], tau: 10, offset: 0, scale: 1, leak: 0 },
    ]) {
      const th = pack(nat, layout);
      const f32 = tf.tidy(() => loss(tf.tensor1d(Float32Array.from(th))).dataSync()[0]) * normaliser;
      const k = stepCoefficients(1, nat.tau, 'euler');
      const f64 = exactLossValue(stats, { g2: nat.g2[0][0], D: nat.D[0], J0: nat.J0[0][0], a: k.a, c: k.c, w: [k.a, k.a + k.b] }, 1e-5);
      expect(Math.abs(f32 - f64) / Math.abs(f64)).toBeLessThan(1e-5);
    }
    dispose();
  });
});
