/**
 * The network bootstrap of connectome fits (fit --connectome --bootstrap-networks; src/fit/connectomeBootstrap.ts):
 * the plain bootstrap when every cell is recorded, the simulation calibration of a, g and J0 when only some
 * are (against the C. elegans teacher of bench/connectome-bias.ts), and the CLI's fit file and summary.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connectome } from '../src/connectome/connectome.js';
import { readConnectome } from '../src/connectome/connectome.js';
import { dataDirectory } from '../src/datasets/registry.js';
import { fitWithConnectome } from '../src/fit/connectome.js';
import { connectomeNetworkBootstrap, withConnectomeBootstrap } from '../src/fit/connectomeBootstrap.js';
import { FitFileSchema } from '../src/fitfile/schema.js';
import { normalGenerator } from '../src/random.js';
import { couplingNetwork } from '../src/simulate/network.js';
import { evenlySpacedUnits } from '../src/simulate/simulate.js';
import { cliScratch, runCli } from './helpers/cli.js';
import { simulateSpec } from './helpers/sim.js';

const scratch = cliScratch('connfit-connectome-boot-');

const covers = (ci: [number, number], v: number) => ci[0] < v && v < ci[1];

describe('network bootstrap of a fully recorded connectome fit', () => {
  // the 120-cell sparse teacher of test/connectome-fit.test.ts, gW 0.8, bulk g 0.5, D 0.05, 1000 τ
  const N = 120;
  const rnd = normalGenerator(11);
  const W = new Float64Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if (i !== j && Math.abs(rnd()) > 1.6) W[i * N + j] = Math.round(1 + 5 * Math.abs(rnd())) * (j % 4 === 0 ? -1 : 1);
  const a = 0.8 / Math.sqrt(W.reduce((s, v) => s + v * v, 0) / N);
  const names = Array.from({ length: N }, (_, i) => `c${i}`);
  const c: Connectome = { names, N, J: W, source: { format: 'coupling-file', path: 'in-memory', sha256: '-', connections: 0, selfCouplings: 0, cellsInFile: N, notes: [] } };
  let sim: Awaited<ReturnType<typeof simulateSpec>>;
  beforeAll(async () => {
    sim = await simulateSpec(couplingNetwork({ J: W, N, names }, { scale: a, bulkG: 0.5, D: 0.05 }), { dt: 0.05, steps: 20000, burnIn: 500, seed: 3 });
  }, 120_000);

  it('no calibration; the intervals of a, g and D (refits of 5 networks) cover the truth and keep the estimates', async () => {
    const fit = await fitWithConnectome(sim.recording, c, { phi: 'tanh' });
    const boot = await connectomeNetworkBootstrap(sim.recording, c, fit, { phi: 'tanh' }, { networks: 5, seed: 1 });
    const out = withConnectomeBootstrap(fit, boot);
    expect(boot.calibration).toBeUndefined();
    expect(boot.networkSize).toBe(N);
    // measured: â/a 1.002, interval [0.965, 1.038]·a; ĝ 0.4925 (realised 0.4990)
    expect(out.params.connectomeScale.value).toBe(fit.params.connectomeScale.value);
    expect(covers(out.params.connectomeScale.ci95, a)).toBe(true);
    expect(covers(out.params.g.ci95, sim.realised.g[0][0])).toBe(true);
    expect(covers(out.params.D.ci95, 0.05)).toBe(true);
    // the bootstrap's spread is the network-to-network one: of the order of the Hessian's here, not 10× off
    const ratio = out.params.connectomeScale.se / fit.params.connectomeScale.se;
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(4);
    expect(out.structure.connectome!.scale).toEqual(out.params.connectomeScale);
  }, 120_000);
});

const worm = join(dataDirectory(), 'celegans-cook2019-herm', 'herm_full_edgelist.csv');

describe.skipIf(!existsSync(worm))('calibration of a partial recording (C. elegans, 150 of 300 cells)', () => {
  it('â +15 % from the unrecorded cells\' input; calibrated a within 4 % of the truth and covered, g and J0 covered (5 networks, 500 τ)', async () => {
    // bench/connectome-bias.ts's teacher at half its length: a 0.02, bulk g 0.5, D 0.05; measured on seed 1:
    // â/a 1.149 → 0.982, ĝ/g 1.122 → 1.024, Ĵ0 0.445 → −0.001, 6 rounds of 5 networks
    // (1000 τ, seeds 1–3: a*/a 0.982, 1.001, 1.004; a quarter recorded: 0.974, 0.980, 1.001)
    const c = readConnectome(worm, { synapses: 'chemical', cells: /^[A-Z]/ });
    const sim = await simulateSpec(couplingNetwork(c, { scale: 0.02, bulkG: 0.5, D: 0.05 }), { dt: 0.05, steps: 10000, burnIn: 500, seed: 1, observe: evenlySpacedUnits(c.N, 150) });
    const fit = await fitWithConnectome(sim.recording, c, { phi: 'tanh' });
    expect(fit.params.connectomeScale.value / 0.02).toBeGreaterThan(1.08);
    const boot = await connectomeNetworkBootstrap(sim.recording, c, fit, { phi: 'tanh' }, { networks: 5, seed: 1 });
    const out = withConnectomeBootstrap(fit, boot);
    const cal = boot.calibration!;
    expect(cal.parameters).toEqual(['connectomeScale', 'g', 'J0']);
    expect(cal.converged).toBe(true);
    for (const k of cal.parameters) expect(Math.abs(cal.residual[k])).toBeLessThanOrEqual(0.2);
    const s = out.params.connectomeScale;
    expect(Math.abs(s.value / 0.02 - 1)).toBeLessThan(0.04);
    expect(covers(s.ci95, 0.02)).toBe(true);
    expect(covers(out.params.g.ci95, sim.realised.g[0][0])).toBe(true);
    expect(covers(out.params.J0.ci95, sim.realised.J0[0][0])).toBe(true);
    // gW follows a; the structure repeats the calibrated values; the note replaces the bias warning
    expect(out.params.gW.value / s.value).toBeCloseTo(fit.params.gW.value / fit.params.connectomeScale.value, 10);
    expect(out.structure.connectome!.scale).toEqual(s);
    expect(out.notes.some((n) => /connectome calibration \(150 of the connectome's 300 cells recorded\)/.test(n))).toBe(true);
    expect(out.notes.some((n) => /their input through the connectome is not modelled/.test(n))).toBe(false);
  }, 300_000);
});

describe('fit --connectome --bootstrap-networks (CLI)', () => {
  it('a partial recording: the fit file carries the calibration, its values in params and structure, and the summary says so', async () => {
    // a 40-cell ring with random weaker synapses, 20 cells recorded (evenly spaced), 200 τ
    const N = 40;
    const rnd = normalGenerator(21);
    const J: number[][] = Array.from({ length: N }, () => new Array<number>(N).fill(0));
    for (let j = 0; j < N; j++) {
      J[(j + 1) % N][j] = 8 + (j % 3);
      for (let i = 0; i < N; i++) if (i !== j && rnd() > 1.4) J[i][j] += 1 + Math.floor(3 * Math.abs(rnd()));
    }
    const coupling = join(scratch.dir, 'ring.json');
    writeFileSync(coupling, JSON.stringify({ names: Array.from({ length: N }, (_, i) => `n${i}`), J }));
    const rec = join(scratch.dir, 'ring-half.csv');
    const sim = await runCli('simulate', '--coupling', coupling, '--coupling-scale', '0.05', '--bulk-g', '0.4', '--D', '0.05', '--dt', '0.05', '--steps', '4000', '--burn-in', '500', '--seed', '2', '--observe', '20', '--out', rec, '--quiet');
    expect(sim.code, sim.stderr).toBe(0);
    const out = join(scratch.dir, 'ring-boot.json');
    const run = await runCli('fit', rec, '--connectome', coupling, '--bootstrap-networks', '5', '--seed', '4', '--out', out, '--quiet');
    expect(run.code, run.stderr).toBe(0);
    const doc = FitFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    const cal = doc.bootstrap!.calibration!;
    expect(doc.bootstrap!.networkSize).toBe(N);
    expect(doc.provenance.seed).toBe(4);
    for (const k of cal.parameters) expect(doc.params[k].value).toBeCloseTo(cal.calibrated[k]!, 12);
    expect(doc.structure!.connectome!.scale.value).toBeCloseTo(cal.calibrated.connectomeScale!, 12);
    expect(cal.evaluations).toBeGreaterThanOrEqual(2);
    expect(cal.evaluations).toBeLessThanOrEqual(10);
    expect(run.stdout).toMatch(new RegExp(`calibrated by simulation \\(${cal.evaluations} rounds of 5 networks(, NOT converged)?\\): connectomeScale ${Number(cal.calibrated.connectomeScale!.toPrecision(4))}`));
    expect(run.stdout).toMatch(/note: connectome calibration \(20 of the connectome's 40 cells recorded\)/);
    // what stays refused with a connectome
    const size = await runCli('fit', rec, '--connectome', coupling, '--bootstrap-networks', '5', '--network-size', '40');
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/--connectome.*cannot be combined with --network-size/);
  }, 240_000);
});
