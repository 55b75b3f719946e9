/**
 * Recordings seen through a calcium indicator (fit --indicator-decay, src/model/indicator.ts): the
 * deconvolution against the indicator's own filter, the noise's covariances after deconvolution and block
 * means against Monte Carlo, the indicator put back (autocovariance against a closed form, PR of a trace
 * against a simulation), recovery of g, D and σ on simulated networks against the fit of the same
 * trajectory without indicator and noise, and the CLI (fit file, notes, refusals).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitRecording } from '../src/fit/fit.js';
import { FitFileSchema } from '../src/fitfile/schema.js';
import { buildFitFile } from '../src/fitfile/build.js';
import {
  applyIndicator, blockMeanNoiseShape, deconvolveIndicator, indicatorBlockLength, indicatorCovariance, indicatorNoiseCovariance, indicatorNoiseShape, indicatorPole,
} from '../src/model/indicator.js';
import { sliceRecording } from '../src/predict/forecast.js';
import { empiricalKernel, theoryKernel } from '../src/predict/kernels.js';
import { prFiniteSampleBias } from '../src/statistics/dimension.js';
import { participationRatioTheory } from '../src/theory/participation.js';
import { normalGenerator } from '../src/random.js';
import { blockMeans, type Recording } from '../src/recording/types.js';
import { cliScratch, runCli } from './helpers/cli.js';
import { rel, simulateIid } from './helpers/sim.js';

/** Lag-0 variance and lag-1 covariance of a single series (mean removed). */
function lagCovariances(x: Float64Array): [number, number] {
  const m = x.reduce((s, v) => s + v, 0) / x.length;
  let c0 = 0;
  let c1 = 0;
  for (let t = 0; t < x.length; t++) {
    c0 += (x[t] - m) ** 2;
    if (t > 0) c1 += (x[t] - m) * (x[t - 1] - m);
  }
  return [c0 / x.length, c1 / (x.length - 1)];
}

const series = (data: Float64Array): Recording => ({ data, nSamples: data.length, nUnits: 1, unitNames: ['u'] });

describe('the indicator model (src/model/indicator.ts)', () => {
  it('deconvolution inverts the indicator exactly (to 1e-12), one sample fewer', () => {
    const z = normalGenerator(5);
    const x = Float64Array.from({ length: 3 * 500 }, () => z());
    const rec: Recording = { data: x, nSamples: 500, nUnits: 3, unitNames: ['a', 'b', 'c'] };
    const pole = indicatorPole(0.8, 0.05);
    expect(pole).toBeCloseTo(Math.exp(-0.0625), 14);
    const back = deconvolveIndicator(applyIndicator(rec, pole), pole);
    expect(back.nSamples).toBe(499);
    let worst = 0;
    for (let k = 0; k < back.data.length; k++) worst = Math.max(worst, Math.abs(back.data[k] - x[k + 3]));
    expect(worst).toBeLessThan(1e-12);
  });

  it('white noise deconvolved and block-averaged: variance and lag-1 covariance as the closed forms say (within 3 %, 400 000 samples), spectrum shape at ω = 0 and π', () => {
    const z = normalGenerator(11);
    const eps = series(Float64Array.from({ length: 400_000 }, () => z()));
    const pole = 0.9;
    for (const block of [1, 4]) {
      const noise = blockMeans(deconvolveIndicator(eps, pole), block, 1);
      const [c0, c1] = lagCovariances(noise.data);
      const want = indicatorNoiseCovariance({ pole, block });
      // (1 + γ²)/(1 − γ)² = 181 at block 1; (181 + 3)/16 = 11.5 at block 4
      expect(rel(c0, want.lag0)).toBeLessThan(0.03);
      expect(rel(c1, want.lag1)).toBeLessThan(0.03);
      // the spectrum is lag0 + 2·lag1·cos ω
      expect(indicatorNoiseShape({ pole, block }, 0)).toBeCloseTo(want.lag0 + 2 * want.lag1, 10);
      expect(indicatorNoiseShape({ pole, block }, Math.PI)).toBeCloseTo(want.lag0 - 2 * want.lag1, 10);
    }
  });

  it('a random walk\'s block-mean increments: variance (2k² + 1)/(3k²) and lag-1 covariance (k² − 1)/(6k²) of the point-sampled one (within 3 %)', () => {
    const z = normalGenerator(3);
    const k = 5;
    const walk = new Float64Array(500_000);
    for (let t = 1; t < walk.length; t++) walk[t] = walk[t - 1] + z();
    const means = blockMeans(series(walk), k, 1).data;
    const inc = Float64Array.from({ length: means.length - 1 }, (_, b) => (means[b + 1] - means[b]) / Math.sqrt(k));
    const [c0, c1] = lagCovariances(inc);
    expect(rel(c0, (2 * k * k + 1) / (3 * k * k))).toBeLessThan(0.03);
    expect(rel(c1, (k * k - 1) / (6 * k * k))).toBeLessThan(0.03);
    expect(blockMeanNoiseShape(k, 0)).toBeCloseTo(1, 12);
    expect(blockMeanNoiseShape(k, Math.PI)).toBeCloseTo(c0 - 2 * c1, 1);
  });
});

describe('the indicator put back (indicatorCovariance, the PR of a trace)', () => {
  it('an AR(1) x through the indicator: the trace\'s autocovariance is the AR(2) closed form (to 1e-10)', () => {
    // x[t] AR(1) of pole ρ and variance 1; c = (1 − γ)/(1 − γL) x: C_c[k] = (1 − γ)²(1 − ρ²)[ρ^{k+1}/(1 − ρ²) − γ^{k+1}/(1 − γ²)] / ((ρ − γ)(1 − ργ))
    const rho = 0.95;
    const pole = 0.9;
    const cx = Float64Array.from({ length: 1001 }, (_, k) => rho ** k);
    const c = indicatorCovariance(cx, pole, 30);
    for (const k of [0, 1, 7, 30]) {
      const want = ((1 - pole) ** 2 * (1 - rho * rho) * (rho ** (k + 1) / (1 - rho * rho) - pole ** (k + 1) / (1 - pole * pole))) / ((rho - pole) * (1 - rho * pole));
      expect(rel(c[k], want)).toBeLessThan(1e-10);
    }
    // no indicator (γ = 0): x's own
    expect(indicatorCovariance(cx, 0, 5)[5]).toBeCloseTo(rho ** 5, 14);
  });

  it('PR of x as recorded (N 100, g 0.5, D 0.1, decay 1 τ, σ 0.1 on the trace, 5000 τ): the theory against a simulation (extrapolated to T → ∞) within 3 %, and the indicator\'s change of PR_x on the same trajectory within 2 %', async () => {
    const step = 0.05;
    const pole = indicatorPole(1, step);
    const sim = await simulateIid({ N: 100, g: 0.5, D: 0.1 }, { dt: step, steps: 100_000, burnIn: 1000, seed: 3 });
    const x = sim.recording;
    const z = normalGenerator(4);
    const seen = applyIndicator(x, pole);
    const noisy = { ...seen, data: seen.data.map((v) => v + 0.1 * z()) };
    // samples 1 τ apart, the PR extrapolated to T → ∞ (raw, 5000 samples read it 1–3 % low)
    const every = (r: Recording) => prFiniteSampleBias(sliceRecording(r, 0, r.nSamples, 20), { of: 'x' }).prInfinite;
    const th = participationRatioTheory({ phi: 'tanh', g: 0.5, D: 0.1, trace: { step, pole, noise2: 0.01 } });
    const bare = participationRatioTheory({ phi: 'tanh', g: 0.5, D: 0.1, trace: { step, pole, noise2: 0 } });
    // (here theory 0.820, simulation 0.826; without the noise 0.770 and 0.778; x itself 0.879 and 0.888)
    expect(rel(th.pr_trace!, every(noisy))).toBeLessThan(0.03);
    expect(rel(bare.pr_trace! / bare.pr_x!, every(seen) / every(x))).toBeLessThan(0.02);
    expect(bare.pr_trace! / bare.pr_x!).toBeLessThan(0.92); // the low-pass matters: it lowers the PR
  }, 120_000);
});

describe('fit --indicator-decay on simulated networks (N 200, g 1.5, D 0.1, 1000 τ at Δ 0.05, all recorded)', () => {
  const run = { dt: 0.05, steps: 20000, burnIn: 1000, seed: 1 };
  it('decay 0.5 τ, σ 0.1 on the trace: ĝ within 2 % and D̂ within 5 % of the clean trajectory\'s fit, σ̂ within 2 %; as plain white noise ĝ is > 1.3× off', async () => {
    const p = { N: 200, g: 1.5, D: 0.1 };
    const clean = await fitRecording((await simulateIid(p, run)).recording, { phi: 'tanh', dt: 0.05 });
    const seen = (await simulateIid(p, { ...run, obsNoise: 0.1, indicatorDecay: 0.5 })).recording;
    const fit = await fitRecording(seen, { phi: 'tanh', dt: 0.05, indicatorDecay: 0.5 });
    // (here blocks of 2, ĝ/ĝ_clean 1.001, D̂/D̂_clean 0.988, σ̂/σ 0.999; without the indicator 1.49 and 0.12)
    expect(fit.model.indicator!.block).toBe(2);
    expect(rel(fit.params.g.value, clean.params.g.value)).toBeLessThan(0.02);
    expect(rel(fit.params.D.value, clean.params.D.value)).toBeLessThan(0.05);
    expect(rel(fit.params.obsNoise.value, 0.1)).toBeLessThan(0.02);
    expect(fit.notes[0]).toMatch(/^calcium indicator: decay 0.5 .* blocks of 2 samples/);
    const plain = await fitRecording(seen, { phi: 'tanh', dt: 0.05, obsNoise: true });
    expect(plain.params.g.value / clean.params.g.value).toBeGreaterThan(1.3);
  }, 120_000);

  it('a slow indicator (decay 2 τ, σ 0.05: the deconvolved noise ~8× x\'s variance): blocks of 4–5 samples, ĝ within 3 %, D̂ within 20 % (block means read D low), σ̂ within 2 %', async () => {
    const seen = await simulateIid({ N: 200, g: 1.5, D: 0.1 }, { ...run, obsNoise: 0.05, indicatorDecay: 2 });
    const rule = indicatorBlockLength(seen.recording, deconvolveIndicator(seen.recording, indicatorPole(2, 0.05)), indicatorPole(2, 0.05), 5);
    expect(rule.obsNoise2).toBeGreaterThan(0.05 ** 2 * 0.95);
    expect(rule.obsNoise2).toBeLessThan(0.05 ** 2 * 1.05);
    const fit = await fitRecording(seen.recording, { phi: 'tanh', dt: 0.05, indicatorDecay: 2 });
    expect(fit.model.indicator!.block).toBe(rule.block);
    expect(rule.block).toBeGreaterThanOrEqual(4);
    expect(rel(fit.params.g.value, seen.realised.g[0][0])).toBeLessThan(0.03);
    expect(rel(fit.params.D.value, 0.1)).toBeLessThan(0.2);
    expect(rel(fit.params.obsNoise.value, 0.05)).toBeLessThan(0.02);
    // the theory kernel puts the indicator back: the trace's autocovariance over 3 τ within 4 % of C(0)
    // (here 1.9 %); the network's x alone is 1.3× at lag 0
    const file = buildFitFile(fit, seen.recording, { command: 'test', backend: 'wasm' });
    const theory = theoryKernel(file, 0.05, 60);
    const data = empiricalKernel(seen.recording, 0.05, 60);
    for (let k = 0; k <= 60; k++) expect(Math.abs(theory.cov[k] - data.cov[k])).toBeLessThan(0.04 * data.cov[0]);
    const { indicator: _, ...network } = file.model;
    const x = theoryKernel({ ...file, model: network, data: { ...file.data, dt: 0.05 } }, 0.05, 0);
    expect(x.cov[0] / data.cov[0]).toBeGreaterThan(1.2);
  }, 120_000);
});

describe('connfit fit --indicator-decay (CLI)', () => {
  const scratch = cliScratch('connfit-indicator-');
  it('simulate and fit through the indicator: the fit file records it, its note leads; forecast and predict take it (the plug-in kernel and --rank refuse, exit 2)', async () => {
    const rec = join(scratch.dir, 'calcium.csv');
    const out = join(scratch.dir, 'calcium-fit.json');
    const sim = await runCli('simulate', '--N', '100', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '8000', '--burn-in', '500', '--indicator-decay', '0.5', '--obs-noise', '0.05', '--seed', '2', '--out', rec, '--quiet');
    expect(sim.code).toBe(0);
    const fit = await runCli('fit', rec, '--indicator-decay', '0.5', '--out', out, '--json');
    expect(fit.code).toBe(0);
    const file = FitFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(file.model.indicator!.decay).toBe(0.5);
    expect(file.model.indicator!.pole).toBeCloseTo(Math.exp(-0.1), 12);
    expect(rel(file.params.obsNoise.value ?? Number.NaN, 0.05)).toBeLessThan(0.1);
    expect(rel(file.params.g.value ?? Number.NaN, 1.5)).toBeLessThan(0.06);
    expect(file.notes[0]).toMatch(/^calcium indicator/);
    expect(file.notes.some((t) => t.startsWith('observation noise: the data are taken as x + ε'))).toBe(false);
    const forecast = await runCli('forecast', out, '--data', rec, '--context', '20', '--horizon', '5', '--json');
    expect(forecast.code).toBe(0);
    expect(JSON.parse(forecast.stdout).note).toContain('seen through the calcium indicator (decay 0.5');
    const plugin = await runCli('forecast', out, '--data', rec, '--kernel', 'plugin');
    expect(plugin.code).toBe(2);
    expect(plugin.stderr).toContain('seen through a calcium indicator');
    const predict = await runCli('predict', out, '--data', rec, '--sim-time', '300', '--json');
    expect(predict.code).toBe(0);
    const report = JSON.parse(predict.stdout);
    expect(Object.keys(report.forecast.kernels)).toEqual(['theory', 'empirical']);
    // (100 units over 400 τ scatter too much for a figure here: the kernel is checked against data above)
    expect(report.autocorrelation.theoryNote).toContain('seen through the calcium indicator');
    expect(report.dimension.theory.recorded.through).toContain("indicator's low-pass");
    const rank = await runCli('fit', rec, '--indicator-decay', '0.5', '--rank', '2');
    expect(rank.code).toBe(2);
    expect(rank.stderr).toContain('--indicator-decay');
    expect(rank.stderr).toContain('--rank');
    const scale = await runCli('fit', rec, '--indicator-decay', '0.5', '--fit-scale');
    expect(scale.code).toBe(2);
    expect(scale.stderr).toContain('--indicator-decay cannot be combined with --fit-scale');
  }, 120_000);
});
