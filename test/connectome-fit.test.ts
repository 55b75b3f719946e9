/**
 * Connectome-constrained fits, J = a·W + J0/N + g·Z/√N (fit --connectome; src/fit/connectome.ts): the
 * Woodbury form of the loss with the prior mean a·W_i against the dense Gaussian likelihood, recovery of
 * a, g and D on networks simulated from a known W, the control with the cells' names shuffled, and the
 * CLI from edge list to fit file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Matrix, CholeskyDecomposition } from 'ml-matrix';
import { tf } from '../src/backend.js';
import type { Connectome } from '../src/connectome/connectome.js';
import { fitWithConnectome } from '../src/fit/connectome.js';
import { FitFileSchema } from '../src/fitfile/schema.js';
import { exactLoss, exactLossValue, exactStatistics } from '../src/loss/exact.js';
import { type ModelConfig, pack, parameterLayout, stepCoefficients } from '../src/model/parameters.js';
import { nonlinearity } from '../src/nonlinearity.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { normalGenerator } from '../src/random.js';
import { couplingNetwork } from '../src/simulate/network.js';
import { cliScratch, runCli } from './helpers/cli.js';
import { simulateSpec } from './helpers/sim.js';

const scratch = cliScratch('connfit-connectome-fit-');

/** A sparse signed count matrix (no self-couplings), row = target. */
function sparseCounts(N: number, seed: number): Float64Array {
  const rnd = normalGenerator(seed);
  const W = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if (i !== j && Math.abs(rnd()) > 1.6) W[i * N + j] = Math.round(1 + 5 * Math.abs(rnd())) * (j % 4 === 0 ? -1 : 1);
  return W;
}

const frobenius = (W: Float64Array, N: number) => Math.sqrt(W.reduce((s, v) => s + v * v, 0) / N);

const asConnectome = (W: Float64Array, N: number, names: string[]): Connectome => ({
  names, N, J: W, source: { format: 'coupling-file', path: 'in-memory', sha256: '-', connections: 0, selfCouplings: 0, cellsInFile: N, notes: [] },
});

describe('the exact loss with a given prior mean a·W_i', () => {
  it('equals −Σ_i log N(y_i; Φ(gW·W_iᵀ + J0/n·1), σ²I + (g²/n)ΦΦᵀ) computed densely (12 units, 80 steps), in float64 and in the tfjs loss', async () => {
    await prepareEigensolver();
    const n = 12;
    const W = sparseCounts(n, 4);
    const spec = couplingNetwork({ J: W.map((v) => 0.05 * v), N: n }, { bulkG: 0.6, J0: 0.3, D: 0.1 });
    const rec = (await simulateSpec(spec, { dt: 0.05, steps: 80, seed: 2 })).recording;
    const k = stepCoefficients(0.05, 1, 'euler');
    const basis = { names: ['y' as const], fixed: { a: k.a, b: k.b, s: 0 } };
    const stats = exactStatistics(rec, basis, nonlinearity('tanh'), W);
    const p = { g2: 0.4, D: 0.12, J0: 0.7, gW: 0.35 };
    const sigma2 = p.D * k.c;
    // dense reference
    const T = rec.nSamples - 1;
    const Phi = new Matrix(T, n);
    const Y = new Matrix(T, n);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < n; i++) {
        Phi.set(t, i, Math.tanh(rec.data[t * n + i]));
        Y.set(t, i, k.a * rec.data[(t + 1) * n + i] + k.b * rec.data[t * n + i]);
      }
    const K = Phi.mmul(Phi.transpose()).mul(p.g2 / n);
    for (let t = 0; t < T; t++) K.set(t, t, K.get(t, t) + sigma2);
    const chol = new CholeskyDecomposition(K);
    let logdet = 0;
    for (let t = 0; t < T; t++) logdet += 2 * Math.log(chol.lowerTriangularMatrix.get(t, t));
    let nll = 0;
    for (let i = 0; i < n; i++) {
      const b = Matrix.columnVector(Array.from({ length: n }, (_, j) => p.gW * W[i * n + j] + p.J0 / n));
      const r = Y.getColumnVector(i).sub(Phi.mmul(b));
      const quad = r.transpose().mmul(chol.solve(r)).get(0, 0);
      nll += 0.5 * (T * Math.log(2 * Math.PI) + logdet + quad);
    }
    // exactLossValue is the loss of x: the y-likelihood plus the Jacobian −nT log a of y = a·x[t+1] + …
    const f64 = exactLossValue(stats, { ...p, a: k.a, c: k.c, w: [1] }, 0);
    expect(Math.abs(f64 + n * T * Math.log(k.a) - nll)).toBeLessThan(1e-7 * Math.abs(nll) + 1e-6);
    const cfg: ModelConfig = { phi: 'tanh', populationNames: ['all'], dt: 0.05, discretisation: 'euler', fitTau: false, tau: 1, fitScale: false, fitJ0: true, fitLeak: false, leak: 0, connectome: W };
    const layout = parameterLayout(cfg);
    const { loss, normaliser, dispose } = exactLoss({ stats, cfg, layout, sigma2Floor: 0 });
    const th = pack({ g2: [[p.g2]], D: [p.D], J0: [[p.J0]], tau: 1, offset: 0, scale: 1, leak: 0, gW: p.gW }, layout);
    const f32 = tf.tidy(() => loss(tf.tensor1d(Float32Array.from(th))).dataSync()[0]) * normaliser;
    dispose();
    expect(Math.abs(f32 - f64)).toBeLessThan(2e-5 * normaliser);
  });
});

describe('fits of networks simulated from a known W', () => {
  const N = 120;
  const W = sparseCounts(N, 11);
  const gW = 0.8;
  const a = gW / frobenius(W, N);
  const names = Array.from({ length: N }, (_, i) => `c${i}`);
  let sim: Awaited<ReturnType<typeof simulateSpec>>;
  beforeAll(async () => {
    sim = await simulateSpec(couplingNetwork({ J: W, N, names }, { scale: a, bulkG: 0.5, D: 0.05 }), { dt: 0.05, steps: 20000, burnIn: 500, seed: 3 });
  }, 120_000);

  it('recovers a, the bulk g and D (120 units, gW 0.8, g 0.5, D 0.05, 1000 τ)', async () => {
    const fit = await fitWithConnectome(sim.recording, asConnectome(W, N, names), { phi: 'tanh' });
    const s = fit.params.connectomeScale;
    // measured: â/a 1.0022 ± 0.0082, ĝ 0.4925 against the realised bulk 0.4990, D̂ 0.049999
    expect(Math.abs(s.value / a - 1)).toBeLessThan(0.03);
    expect(s.ci95[0]).toBeLessThan(a);
    expect(s.ci95[1]).toBeGreaterThan(a);
    expect(fit.params.gW.value).toBeCloseTo(s.value * frobenius(W, N), 10);
    expect(Math.abs(fit.params.g.value / sim.realised.g[0][0] - 1)).toBeLessThan(0.03);
    expect(Math.abs(fit.params.D.value / 0.05 - 1)).toBeLessThan(0.01);
    expect(fit.structure.connectome).toMatchObject({ matched: N, unrecordedCells: 0, unmatchedUnits: [] });
    expect(fit.structure.connectome!.wald.z!).toBeGreaterThan(50);
  }, 120_000);

  it('with τ fitted too (the exact loss\'s dx, x basis): τ̂ within 1 % of 1, â and ĝ as with τ fixed', async () => {
    const fit = await fitWithConnectome(sim.recording, asConnectome(W, N, names), { phi: 'tanh', fitTau: true });
    // measured: τ̂ 1.0039 ± 0.0051, â/a 1.0050, ĝ 0.4931 against the realised 0.4990
    expect(Math.abs(fit.params.tau.value - 1)).toBeLessThan(0.01);
    expect(Math.abs(fit.params.connectomeScale.value / a - 1)).toBeLessThan(0.03);
    expect(Math.abs(fit.params.g.value / sim.realised.g[0][0] - 1)).toBeLessThan(0.03);
  }, 120_000);

  it('with the recording seen through y = 3x + 0.5 and scale, offset fitted: scale, offset, a, g, D recovered', async () => {
    const scaled = { ...sim.recording, data: sim.recording.data.map((v) => 3 * v + 0.5) };
    const fit = await fitWithConnectome(scaled, asConnectome(W, N, names), { phi: 'tanh', fitScale: true });
    // measured (seeds 3–6 of this teacher): scale 2.898, 2.982, 2.915, 3.010 (σ̂ ≈ 0.04: the scale is seen
    // only through tanh); â/a 1.015, 0.988, 1.024, 1.002; D̂ follows the scale's error squared (0.0536 on seed 3)
    expect(Math.abs(fit.params.scale.value / 3 - 1)).toBeLessThan(0.05);
    expect(Math.abs(fit.params.offset.value - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(fit.params.connectomeScale.value / a - 1)).toBeLessThan(0.04);
    expect(Math.abs(fit.params.g.value / sim.realised.g[0][0] - 1)).toBeLessThan(0.03);
    expect(Math.abs(fit.params.D.value * (fit.params.scale.value / 3) ** 2 / 0.05 - 1)).toBeLessThan(0.02);
    const covered: Record<string, number> = { connectomeScale: a, g: sim.realised.g[0][0], offset: 0.5 };
    for (const [name, t] of Object.entries(covered)) {
      expect(fit.params[name].ci95[0], name).toBeLessThan(t);
      expect(fit.params[name].ci95[1], name).toBeGreaterThan(t);
    }
  }, 120_000);

  it('with the names shuffled W explains nothing: â ≈ 0 and the bulk takes the whole coupling variance, ĝ² ≈ g² + gW²', async () => {
    const rnd = normalGenerator(5);
    const order = names.map((_, i) => [rnd(), i] as const).sort((x, y) => x[0] - y[0]).map(([, i]) => i);
    const fit = await fitWithConnectome(sim.recording, asConnectome(W, N, order.map((i) => names[i])), { phi: 'tanh' });
    // measured: gW −0.013 ± 0.0095; ĝ 0.931 against sqrt(0.499² + 0.8²) = 0.943
    expect(Math.abs(fit.params.gW.value)).toBeLessThan(0.05);
    expect(Math.abs(fit.params.g.value / Math.hypot(sim.realised.g[0][0], gW) - 1)).toBeLessThan(0.04);
    expect(Math.abs(fit.structure.connectome!.wald.z!)).toBeLessThan(3);
  }, 120_000);
});

describe('fit --connectome (CLI)', () => {
  it('edge list → simulate --coupling-scale --bulk-g → fit --connectome --json: the schema, the estimates, and the refusals', async () => {
    // a 40-cell edge list: a ring of strong synapses and random weaker ones, one unnamed-in-recording cell
    const N = 40;
    const rnd = normalGenerator(21);
    const rows = ['Source,Target,Weight'];
    for (let j = 0; j < N; j++) {
      rows.push(`n${j},n${(j + 1) % N},${8 + (j % 3)}`);
      for (let i = 0; i < N; i++) if (i !== j && rnd() > 1.4) rows.push(`n${j},n${i},${1 + Math.floor(3 * Math.abs(rnd()))}`);
    }
    const edges = join(scratch.dir, 'ring.csv');
    writeFileSync(edges, rows.join('\n') + '\n');
    const coupling = join(scratch.dir, 'ring.json');
    expect((await runCli('connectome', edges, '--out', coupling)).code).toBe(0);
    const rec = join(scratch.dir, 'ring-rec.csv');
    const net = join(scratch.dir, 'ring-net.json');
    const sim = await runCli('simulate', '--coupling', coupling, '--coupling-scale', '0.05', '--bulk-g', '0.4', '--D', '0.05', '--dt', '0.05', '--steps', '20000', '--burn-in', '500', '--seed', '2', '--out', rec, '--save-network', net, '--quiet');
    expect(sim.code, sim.stderr).toBe(0);
    // the saved J is 0.05·W plus a bulk whose realised g the network file reports
    const file = JSON.parse(readFileSync(coupling, 'utf8'));
    const saved = JSON.parse(readFileSync(net, 'utf8'));
    let ss = 0;
    let sum = 0;
    saved.J.forEach((row: number[], i: number) => row.forEach((v, j) => { const d = v - 0.05 * file.J[i][j]; ss += d * d; sum += d; }));
    const mean = sum / (N * N);
    expect(Math.sqrt((ss / (N * N) - mean * mean) * N)).toBeCloseTo(saved.realised.g[0][0], 10);
    expect(Math.abs(saved.realised.g[0][0] / 0.4 - 1)).toBeLessThan(0.1);

    const out = join(scratch.dir, 'ring-fit.json');
    const fit = await runCli('fit', rec, '--connectome', coupling, '--json', '--out', out);
    expect(fit.code, fit.stderr).toBe(0);
    const doc = FitFileSchema.parse(JSON.parse(fit.stdout));
    expect(JSON.parse(readFileSync(out, 'utf8')).params).toEqual(JSON.parse(fit.stdout).params);
    const s = doc.params.connectomeScale;
    expect(Math.abs(s.value! / 0.05 - 1)).toBeLessThan(0.05);
    expect(s.ci95[0]! < 0.05 && 0.05 < s.ci95[1]!).toBe(true);
    expect(Math.abs(doc.params.g.value! / saved.realised.g[0][0] - 1)).toBeLessThan(0.1);
    expect(doc.structure?.connectome).toMatchObject({ cells: N, matched: N, source: { format: 'coupling-file' } });
    expect(doc.model.fitted).toContain('g_W');

    // the i.i.d. theory's predictions refuse a fit whose couplings are mostly a given matrix
    const forecast = await runCli('forecast', out, '--data', rec, '--kernel', 'theory', '--horizon', '5');
    expect(forecast.code).toBe(2);
    expect(forecast.stderr).toMatch(/given coupling matrix \(fit --connectome\)/);

    const renamed = join(scratch.dir, 'renamed.json');
    writeFileSync(renamed, JSON.stringify({ names: file.names.map((x: string) => `x${x}`), J: file.J }));
    const none = await runCli('fit', rec, '--connectome', renamed);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no recorded unit is a cell of the connectome.*recording: n0, n1, n14, …; connectome: xn0/);
    const rank = await runCli('fit', rec, '--connectome', coupling, '--rank', '1');
    expect(rank.code).toBe(2);
    expect(rank.stderr).toMatch(/--connectome.*cannot be combined with --rank/);
    const synapses = await runCli('fit', rec, '--synapses', 'all');
    expect(synapses.code).toBe(2);
    expect(synapses.stderr).toMatch(/--synapses.*applies with --connectome/);
    const both = await runCli('simulate', '--coupling', coupling, '--g', '1', '--coupling-scale', '0.1', '--dt', '0.05', '--steps', '10', '--out', join(scratch.dir, 'x.csv'));
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give --g .* or --coupling-scale .*, not both/);
    const bulk = await runCli('simulate', '--N', '10', '--g', '1', '--bulk-g', '0.5', '--dt', '0.05', '--steps', '10', '--out', join(scratch.dir, 'x.csv'));
    expect(bulk.code).toBe(2);
    expect(bulk.stderr).toMatch(/--bulk-g.*applies with --coupling/);
  }, 240_000);
});
