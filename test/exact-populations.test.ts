/**
 * The exact loss for several populations (THEORY §2.5, exact form of §2.3): float64 value against a
 * dense T×T reference and the analytic customGrad gradient against finite differences. Its recovery of
 * the four g² blocks of a network whose φ-spectra have the same shape (V18) is tested through the fit
 * (test/fit-random.test.ts, the same teacher).
 */
import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '../src/backend.js';
import { exactPopulationStatistics, exactPopulationsLoss } from '../src/loss/exactPopulations.js';
import { type ModelConfig, type NaturalParams, pack, parameterLayout, stepCoefficients, unpack } from '../src/model/parameters.js';
import { nonlinearity } from '../src/nonlinearity.js';
import type { Recording } from '../src/recording/types.js';
import { populationOf, type NetworkSpec } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';
import type { BasisSpec } from '../src/statistics/spectra.js';

const tiny: NetworkSpec = { phi: 'tanh', sizes: [5, 3], names: ['A', 'B'], g2: [[1, 0.5], [2, 1.5]], J0: [[0.2, 0], [0, -0.3]], D: [0.1, 0.2], tau: 1, s: 0 };

function configFor(names: string[], dt: number, fitJ0: boolean): ModelConfig {
  return { phi: 'tanh', populationNames: names, dt, discretisation: 'euler', fitTau: false, tau: 1, fitScale: false, fitJ0, fitLeak: false, leak: 0 };
}

function basisFor(cfg: ModelConfig): BasisSpec {
  const k = stepCoefficients(cfg.dt, cfg.tau, cfg.discretisation);
  return { names: ['y'], fixed: { a: k.a, b: k.b, s: cfg.leak } };
}

/** Dense reference: build K_α (T×T), log det and solves by Cholesky, in float64. */
function denseNll(rec: Recording, groups: Int32Array, sizes: number[], cfg: ModelConfig, nat: NaturalParams, floor: number[]): number {
  const N = rec.nUnits;
  const T = rec.nSamples - 1;
  const k = stepCoefficients(cfg.dt, cfg.tau, cfg.discretisation);
  const x = (t: number, i: number) => rec.data[t * N + i];
  const Phi = (t: number, j: number) => Math.tanh(x(t, j));
  let total = 0;
  for (let a = 0; a < sizes.length; a++) {
    const sigma2 = k.c * nat.D[a] + floor[a];
    const K = Array.from({ length: T }, () => new Float64Array(T));
    for (let t = 0; t < T; t++)
      for (let u = 0; u < T; u++) {
        let s = t === u ? sigma2 : 0;
        for (let j = 0; j < N; j++) s += (Phi(t, j) * Phi(u, j) * nat.g2[a][groups[j]]) / sizes[groups[j]];
        K[t][u] = s;
      }
    // Cholesky K = L Lᵀ
    const L = Array.from({ length: T }, () => new Float64Array(T));
    for (let i = 0; i < T; i++)
      for (let j = 0; j <= i; j++) {
        let s = K[i][j];
        for (let q = 0; q < j; q++) s -= L[i][q] * L[j][q];
        L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
      }
    let logdet = 0;
    for (let i = 0; i < T; i++) logdet += 2 * Math.log(L[i][i]);
    for (let i = 0; i < N; i++) {
      if (groups[i] !== a) continue;
      const r = new Float64Array(T);
      for (let t = 0; t < T; t++) {
        let mean = 0;
        for (let j = 0; j < N; j++) mean += (Phi(t, j) * nat.J0[a][groups[j]]) / sizes[groups[j]];
        r[t] = k.a * x(t + 1, i) + k.b * x(t, i) - mean;
      }
      // ‖L⁻¹ r‖²
      const w = new Float64Array(T);
      let quad = 0;
      for (let t = 0; t < T; t++) {
        let s = r[t];
        for (let q = 0; q < t; q++) s -= L[t][q] * w[q];
        w[t] = s / L[t][t];
        quad += w[t] * w[t];
      }
      total += 0.5 * logdet + 0.5 * quad + 0.5 * T * Math.log(2 * Math.PI) - T * Math.log(Math.abs(k.a));
    }
  }
  return total;
}

describe('exact loss, several populations: tiny network (N = 8, T = 40)', async () => {
  await initBackend('wasm');
  const sim = await simulate(tiny, { dt: 0.05, steps: 40, burnIn: 200, seed: 5 });
  const rec = sim.recording;
  // Interleave the populations in the recording so the loss's sorting by population is exercised.
  const perm = [0, 5, 1, 6, 2, 7, 3, 4];
  const pop = populationOf(tiny);
  const data = new Float64Array(rec.data.length);
  for (let t = 0; t < rec.nSamples; t++) for (let q = 0; q < 8; q++) data[t * 8 + q] = rec.data[t * 8 + perm[q]];
  const recP: Recording = { ...rec, data };
  const groups = Int32Array.from(perm, (i) => pop[i]);
  const cfg = configFor(['A', 'B'], 0.05, true);
  const layout = parameterLayout(cfg);
  const stats = exactPopulationStatistics(recP, groups, 2, basisFor(cfg), nonlinearity('tanh'));
  const floor = [1e-6, 2e-6];
  const { loss, normaliser, value64, dispose } = exactPopulationsLoss({ stats, cfg, layout, sigma2Floor: floor });
  const points: NaturalParams[] = [
    { g2: [[1, 0.5], [2, 1.5]], D: [0.1, 0.2], J0: [[0.2, 0], [0, -0.3]], tau: 1, offset: 0, scale: 1, leak: 0 },
    { g2: [[0.3, 2.5], [0.7, 4]], D: [0.05, 0.4], J0: [[-0.5, 0.8], [1.1, 0.4]], tau: 1, offset: 0, scale: 1, leak: 0 },
  ];

  it('value64 equals the dense T×T reference to 1e-9 relative; the tfjs loss agrees to float32 precision', () => {
    for (const nat of points) {
      const th = pack(nat, layout);
      const ref = denseNll(recP, groups, [5, 3], cfg, unpack(th, layout, cfg), floor);
      const v = value64(th);
      expect(Math.abs(v - ref) / Math.abs(ref)).toBeLessThan(1e-9);
      const f32 = tf.tidy(() => loss(tf.tensor1d(Float32Array.from(th))).dataSync()[0]) * normaliser;
      expect(Math.abs(f32 - v) / Math.abs(v)).toBeLessThan(1e-5);
    }
  });

  it('the customGrad gradient equals central differences of value64 to 1e-3 relative per component', () => {
    const grad = tf.grad(loss as (x: tf.Tensor) => tf.Scalar);
    for (const nat of points) {
      // θ representable in float32, so both sides see the same point.
      const th = Float64Array.from(pack(nat, layout), (v) => Math.fround(v));
      const g = tf.tidy(() => Array.from(grad(tf.tensor1d(Float32Array.from(th))).dataSync()));
      const h = 1e-5;
      th.forEach((_, q) => {
        const p = Float64Array.from(th);
        const m = Float64Array.from(th);
        p[q] += h;
        m[q] -= h;
        const fd = (value64(p) - value64(m)) / (2 * h) / normaliser;
        expect(Math.abs(fd)).toBeGreaterThan(1e-7);
        expect(Math.abs(g[q] - fd) / Math.abs(fd)).toBeLessThan(1e-3);
      });
    }
  });

  it('fitJ0 = false: J0 drops out (value equals the J0 = 0 value of the fitJ0 model)', () => {
    const cfg0 = configFor(['A', 'B'], 0.05, false);
    const layout0 = parameterLayout(cfg0);
    const l0 = exactPopulationsLoss({ stats, cfg: cfg0, layout: layout0, sigma2Floor: floor });
    const nat = { ...points[1], J0: [[0, 0], [0, 0]] };
    const v0 = l0.value64(pack(nat, layout0));
    expect(Math.abs(v0 - value64(pack(nat, layout))) / Math.abs(v0)).toBeLessThan(1e-12);
    const ref = denseNll(recP, groups, [5, 3], cfg0, unpack(pack(nat, layout), layout, cfg), floor);
    expect(Math.abs(v0 - ref) / Math.abs(ref)).toBeLessThan(1e-9);
    l0.dispose();
    dispose();
  });
});

describe('exact loss, several populations: odd sizes exercise the blocked kernels (N = 7 + 6, T = 30)', () => {
  it('value64 equals the dense reference to 1e-9 and the gradient central differences to 1e-3, with J0 not fitted', async () => {
    await initBackend('wasm');
    const spec: NetworkSpec = { ...tiny, sizes: [7, 6], J0: [[0, 0], [0, 0]] };
    const sim = await simulate(spec, { dt: 0.05, steps: 30, burnIn: 200, seed: 6 });
    const groups = populationOf(spec);
    const cfg = configFor(['A', 'B'], 0.05, false);
    const layout = parameterLayout(cfg);
    const stats = exactPopulationStatistics(sim.recording, groups, 2, basisFor(cfg), nonlinearity('tanh'));
    const floor = [1e-6, 1e-6];
    const { loss, normaliser, value64, dispose } = exactPopulationsLoss({ stats, cfg, layout, sigma2Floor: floor });
    const nat: NaturalParams = { g2: [[0.8, 3], [1.7, 0.4]], D: [0.3, 0.07], J0: [[0, 0], [0, 0]], tau: 1, offset: 0, scale: 1, leak: 0 };
    const th = Float64Array.from(pack(nat, layout), (v) => Math.fround(v));
    const ref = denseNll(sim.recording, groups, [7, 6], cfg, unpack(th, layout, cfg), floor);
    expect(Math.abs(value64(th) - ref) / Math.abs(ref)).toBeLessThan(1e-9);
    const g = tf.tidy(() => Array.from(tf.grad(loss as (x: tf.Tensor) => tf.Scalar)(tf.tensor1d(Float32Array.from(th))).dataSync()));
    expect(g.length).toBe(6);
    th.forEach((_, q) => {
      const p = Float64Array.from(th);
      const m = Float64Array.from(th);
      p[q] += 1e-5;
      m[q] -= 1e-5;
      const fd = (value64(p) - value64(m)) / 2e-5 / normaliser;
      expect(Math.abs(fd)).toBeGreaterThan(1e-7);
      expect(Math.abs(g[q] - fd) / Math.abs(fd)).toBeLessThan(1e-3);
    });
    dispose();
  });
});
