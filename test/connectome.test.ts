/**
 * Connectomes as coupling matrices: the edge-list and flyvis readers against hand-built files and the
 * figures of the shared datasets' READMEs (with PR_S and s_max from an independent numpy SVD), their
 * errors, and `simulate --coupling` against a fit of the network it was given.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { centred, readConnectome } from '../src/connectome/connectome.js';
import { dataDirectory } from '../src/datasets/registry.js';
import { matrixSpectrumStats } from '../src/statistics/dimension.js';
import { cliScratch, runCli } from './helpers/cli.js';

const scratch = cliScratch('connfit-connectome-');
const write = scratch.write;

/** J[target][source] of a connectome by names. */
const entry = (c: { names: string[]; N: number; J: Float64Array }, target: string, source: string) => c.J[c.names.indexOf(target) * c.N + c.names.indexOf(source)];

describe('edge lists', () => {
  // padded names (as in WormWiring), a repeated chemical row, a gap junction listed both ways with
  // different weights, one listed once, one from a cell to itself, and a muscle
  const text =
    'Source,Target,Weight,Type\n' +
    'AVAL , AVBL ,3,chemical\n' +
    'AVAL,AVBL,2,chemical\n' +
    'AVBL,AVAL,1,chemical\n' +
    'AVAL,AVAL,4,chemical\n' +
    'AVAL,AVBR,6,electrical\n' +
    'AVBR,AVAL,2,electrical\n' +
    'AVBL,AVBR,5,electrical\n' +
    'AVBR,AVBR,9,electrical\n' +
    'AVBR,dBWML1,7,chemical\n';

  it('chemical synapses are directed and add up; gap junctions couple both ways with the mean of the directions listed', () => {
    const f = write('edges.csv', text);
    const chem = readConnectome(f);
    expect(chem.names).toEqual(['AVAL', 'AVBL', 'AVBR', 'dBWML1']);
    expect(entry(chem, 'AVBL', 'AVAL')).toBe(5);
    expect(entry(chem, 'AVAL', 'AVBL')).toBe(1);
    expect(entry(chem, 'AVAL', 'AVAL')).toBe(4);
    expect(entry(chem, 'dBWML1', 'AVBR')).toBe(7);
    expect(entry(chem, 'AVBR', 'AVAL')).toBe(0);
    expect(chem.source).toMatchObject({ format: 'edge-list', synapses: 'chemical', connections: 4, selfCouplings: 1, cellsInFile: 4 });

    const gap = readConnectome(f, { synapses: 'electrical' });
    expect(entry(gap, 'AVBR', 'AVAL')).toBe(4); // (6 + 2)/2 on both sides
    expect(entry(gap, 'AVAL', 'AVBR')).toBe(4);
    expect(entry(gap, 'AVBR', 'AVBL')).toBe(5);
    expect(entry(gap, 'AVBL', 'AVBR')).toBe(5);
    expect(entry(gap, 'AVBR', 'AVBR')).toBe(0);
    expect(gap.source.notes.join(' ')).toMatch(/1 gap-junction rows from a cell to itself were left out.*1 cells have no connection of the electrical kind/);

    const all = readConnectome(f, { synapses: 'all', cells: /^[A-Z]/ });
    expect(all.names).toEqual(['AVAL', 'AVBL', 'AVBR']);
    expect(entry(all, 'AVBL', 'AVAL')).toBe(5);
    expect(entry(all, 'AVAL', 'AVBL')).toBe(1);
    expect(entry(all, 'AVBR', 'AVAL')).toBe(4);
    expect(all.source).toMatchObject({ connections: 7, selfCouplings: 1, cellsInFile: 4, cells: '^[A-Z]' });
    expect(all.source.notes.join(' ')).toMatch(/3 of 4 cells match \/\^\[A-Z\]\/; 1 connections to or from the others were left out/);

    // centring: the mean entry goes, the spread stays
    const c = centred(all);
    const mean = c.source.centred!.mean;
    expect(mean).toBeCloseTo(28 / 9, 12); // 5 + 1 + 4 chemical, 2 × (4 + 5) gap junctions
    expect(c.J.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 10);
    expect(matrixSpectrumStats(c.J, 3).g).toBeCloseTo(matrixSpectrumStats(all.J, 3).g, 10);
  });

  it('a tab-separated list without a type column is read as directed connections', () => {
    const c = readConnectome(write('edges.tsv', 'pre\tpost\tcount\na\tb\t2.5\nb\tc\t-1\n'));
    expect(c.names).toEqual(['a', 'b', 'c']);
    expect(entry(c, 'b', 'a')).toBe(2.5);
    expect(entry(c, 'c', 'b')).toBe(-1);
  });

  it('problems name the file, line and column, or the option', () => {
    const bad = (name: string, body: string, re: RegExp, opts = {}) => expect(() => readConnectome(write(name, body), opts)).toThrow(re);
    bad('nohead.csv', 'a,b,1\n', /nohead\.csv:1: the header has no source, target, weight column \(got a, b, 1\)/);
    bad('weight.csv', 'Source,Target,Weight\nA,B,1\nA,C,x\n', /weight\.csv:3:3: expected a finite number for the weight, got 'x'/);
    bad('type.csv', 'Source,Target,Weight,Type\nA,B,1,chemical\nA,C,1,neuropeptide\n', /type\.csv:3:4: unknown synapse type 'neuropeptide'/);
    bad('name.csv', 'Source,Target,Weight\n ,B,1\n', /name\.csv:2:1: empty source name/);
    bad('ragged.csv', 'Source,Target,Weight\nA,B,1,2\n', /ragged\.csv:2: cannot parse the edge list/);
    bad('untyped.csv', 'Source,Target,Weight\nA,B,1\n', /untyped\.csv --synapses: 'electrical' needs a type column/, { synapses: 'electrical' });
    bad('match.csv', 'Source,Target,Weight\nA,B,1\n', /--cells: no cell name matches \/\^z\//, { cells: /^z/ });
    bad('edges.xlsx', 'x', /edges\.xlsx: cannot tell the format from the extension '\.xlsx'/);
  });
});

describe('flyvis cell-type connectomes and coupling files', () => {
  it('J = alpha · Σ synapses over column offsets; unknown types and bad signs name the field', () => {
    const fly = {
      nodes: [{ name: 'R1', bias: 0.5 }, { name: 'L1' }, { name: 'Mi1' }],
      edges: [
        { src: 'R1', tar: 'L1', alpha: -1, offsets: [[[0, 0], 40]] },
        { src: 'L1', tar: 'Mi1', alpha: 1, offsets: [[[0, 0], 2.5], [[1, -1], 0.5]] },
        { src: 'Mi1', tar: 'Mi1', alpha: 1, offsets: [[[1, 0], 1]] },
      ],
    };
    const c = readConnectome(write('fly.json', JSON.stringify(fly)));
    expect(c.names).toEqual(['R1', 'L1', 'Mi1']);
    expect(entry(c, 'L1', 'R1')).toBe(-40);
    expect(entry(c, 'Mi1', 'L1')).toBe(3);
    expect(entry(c, 'Mi1', 'Mi1')).toBe(1);
    expect(c.source).toMatchObject({ format: 'flyvis', connections: 3, selfCouplings: 1 });
    const broken = { ...fly, edges: [...fly.edges, { src: 'Tm3', tar: 'L1', alpha: 1, offsets: [[[0, 0], 1]] }] };
    expect(() => readConnectome(write('fly-type.json', JSON.stringify(broken)))).toThrow(/fly-type\.json edges\[3\]\.src: unknown cell type 'Tm3'/);
    const sign = { ...fly, edges: [{ ...fly.edges[0], alpha: 0.5 }] };
    expect(() => readConnectome(write('fly-sign.json', JSON.stringify(sign)))).toThrow(/fly-sign\.json edges\[0\]\.alpha: expected the sign \+1 or −1/);
    expect(() => readConnectome(write('other.json', '{"nodes": 1}'))).toThrow(/other\.json: expected a flyvis connectome/);
    expect(() => readConnectome(write('names.json', '{"J": [[0, 1], [1, 0]], "names": ["a"]}'))).toThrow(/names\.json names: expected 2 strings/);
  });

  it('connectome --out writes a coupling file that connectome, dimension and simulate --coupling read back', async () => {
    const f = write('chain.csv', 'Source,Target,Weight\nA,B,1\nB,C,2\nC,A,3\nA,C,0.5\n');
    const out = join(scratch.dir, 'chain.json');
    const r = await runCli('connectome', f, '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    // J = [[0,0,3],[1,0,0],[0.5,2,0]]: Σ s² = 14.25, Σ s⁴ = ‖JᵀJ‖_F² = 1.25² + 4² + 9² + 2·1² = 100.5625
    expect(report).toMatchObject({ N: 3, connections: 4, selfCouplings: 0, format: 'edge-list', synapses: 'chemical', out });
    expect(report.pr_s).toBeCloseTo((14.25 * 14.25) / (3 * 100.5625), 10);
    expect(report.g_eff).toBeCloseTo(Math.sqrt(14.25 / 3), 10);
    const file = JSON.parse(readFileSync(out, 'utf8'));
    expect(file.names).toEqual(['A', 'B', 'C']);
    expect(file.J).toEqual([[0, 0, 3], [1, 0, 0], [0.5, 2, 0]]);
    const again = JSON.parse((await runCli('connectome', out, '--json')).stdout);
    expect(again.pr_s).toBeCloseTo(report.pr_s, 12);
    const dim = JSON.parse((await runCli('dimension', out, '--json')).stdout);
    expect(dim.pr_s).toBeCloseTo(report.pr_s, 12);

    // simulate scales it to g_eff = 2 exactly and names the units after the cells
    const net = join(scratch.dir, 'chain-net.json');
    const rec = join(scratch.dir, 'chain-rec.csv');
    const sim = await runCli('simulate', '--coupling', out, '--g', '2', '--D', '0.1', '--dt', '0.05', '--steps', '200', '--seed', '1', '--out', rec, '--save-network', net, '--quiet');
    expect(sim.code, sim.stderr).toBe(0);
    const k = 2 / Math.sqrt(14.25 / 3);
    const saved: number[][] = JSON.parse(readFileSync(net, 'utf8')).J;
    saved.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(file.J[i][j] * k, 12)));
    expect(readFileSync(rec, 'utf8').split('\n')[0]).toBe('time,A,B,C');

    // --J0 adds the mean J0/N to the given matrix (and --bulk-g a random part; test/connectome-fit.test.ts)
    const withMean = join(scratch.dir, 'chain-mean.json');
    const simMean = await runCli('simulate', '--coupling', out, '--J0', '1.5', '--dt', '0.05', '--steps', '10', '--out', join(scratch.dir, 'x.csv'), '--save-network', withMean, '--quiet');
    expect(simMean.code, simMean.stderr).toBe(0);
    const meanNet = JSON.parse(readFileSync(withMean, 'utf8'));
    meanNet.J.forEach((row: number[], i: number) => row.forEach((v, j) => expect(v).toBeCloseTo(file.J[i][j] + 1.5 / 3, 12)));
    expect(meanNet.realised).toEqual({ g: [[0]], J0: [[expect.closeTo(1.5, 12)]] });
    const wrongN = await runCli('simulate', '--coupling', out, '--N', '4', '--dt', '0.05', '--steps', '10', '--out', join(scratch.dir, 'x.csv'));
    expect(wrongN.code).toBe(2);
    expect(wrongN.stderr).toMatch(/--N 4 does not match .*chain\.json/);
    const badRegex = await runCli('connectome', f, '--cells', '(');
    expect(badRegex.code).toBe(2);
    expect(badRegex.stderr).toMatch(/--cells: not a regular expression/);
  });

  it('low-rank modes are added to given and to random-mode couplings (random modes used to drop them)', async () => {
    const run = async (name: string, ...extra: string[]) => {
      const net = join(scratch.dir, `${name}.json`);
      const r = await runCli('simulate', ...extra, '--dt', '0.05', '--steps', '10', '--seed', '2', '--out', join(scratch.dir, `${name}.csv`), '--save-network', net, '--quiet');
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(readFileSync(net, 'utf8'));
    };
    const rank = ['--rank', '1', '--overlap', '[[1,0.5],[0.5,1]]'];
    for (const base of [['--N', '60', '--g', '1', '--random-modes', '1'], ['--coupling', join(scratch.dir, 'iid-small.json')]]) {
      if (base[0] === '--coupling') await run('iid-small', '--N', '60', '--g', '1');
      const plain = await run('plain', ...base);
      const withModes = await run('with-modes', ...base, ...rank);
      const { m, n } = withModes.modes;
      let dev = 0;
      plain.J.forEach((row: number[], i: number) => row.forEach((v, j) => (dev = Math.max(dev, Math.abs(withModes.J[i][j] - v - (m[0][i] * n[0][j]) / 60)))));
      expect(dev).toBeLessThan(1e-12);
    }
  });

  it('simulate --coupling runs the network it is given: a fit recovers the given matrix\'s g', async () => {
    // an i.i.d. network saved by simulate, then simulated again from its file (a different noise stream)
    const net = join(scratch.dir, 'iid-net.json');
    const first = await runCli('simulate', '--N', '200', '--g', '1.2', '--D', '0.1', '--dt', '0.05', '--steps', '10', '--seed', '3', '--out', join(scratch.dir, 'iid.csv'), '--save-network', net, '--quiet');
    expect(first.code, first.stderr).toBe(0);
    const realised = JSON.parse(readFileSync(net, 'utf8')).realised.g[0][0];
    const rec = join(scratch.dir, 'given.csv');
    const sim = await runCli('simulate', '--coupling', net, '--D', '0.1', '--dt', '0.05', '--steps', '20000', '--burn-in', '500', '--seed', '8', '--out', rec, '--quiet');
    expect(sim.code, sim.stderr).toBe(0);
    const fit = await runCli('fit', rec, '--json');
    expect(fit.code, fit.stderr).toBe(0);
    const params = JSON.parse(fit.stdout).params;
    // measured: ĝ 1.2157 against the realised 1.2014 (+1.2 %), D̂ 0.10003, Ĵ0 −0.062 against −0.066
    expect(Math.abs(params.g.value / realised - 1)).toBeLessThan(0.03);
    expect(Math.abs(params.D.value / 0.1 - 1)).toBeLessThan(0.03);
  }, 120_000);
});

describe('the shared connectomes (figures of their READMEs; PR_S and s_max from numpy)', () => {
  const worm = join(dataDirectory(), 'celegans-cook2019-herm', 'herm_full_edgelist.csv');
  it.skipIf(!existsSync(worm))('C. elegans (Cook et al. 2019): 448 cells, 4681 chemical connections, 300 neurons; PR_S of the neurons\' chemical matrix', () => {
    const chem = readConnectome(worm);
    expect(chem.N).toBe(448);
    expect(chem.source.connections).toBe(4681); // the README's chemical rows (none repeated)
    const all = readConnectome(worm, { synapses: 'all' });
    // all rows' weights sum to 39 702 (README); gap junctions enter J as the mean of their directions on
    // both sides, so J's sum is the chemical 27 019 plus 2 × 6 324 for the 1 350 pairs off the diagonal
    expect(chem.J.reduce((s, v) => s + v, 0)).toBe(27019);
    expect(all.J.reduce((s, v) => s + v, 0)).toBe(27019 + 12648);
    const neurons = centred(readConnectome(worm, { cells: /^[A-Z]/ }));
    expect(neurons.N).toBe(300); // 302 neurons, CANL/R without synapses
    const s = matrixSpectrumStats(neurons.J, neurons.N);
    expect(s.pr_s).toBeCloseTo(0.0856168519, 7);
    expect(s.s_max!).toBeCloseTo(191.6358277, 4);
    expect(s.effective_rank!).toBeCloseTo(0.1033063873, 6);
  });

  const fly = join(dataDirectory(), 'drosophila-opticlobe-flyvis', 'fib25-fib19_v2.2.json');
  it.skipIf(!existsSync(fly))('fly optic lobe (flyvis): 65 types, 605 edges (377 excitatory, 228 inhibitory), 8087.25 synapses; PR_S', () => {
    const c = readConnectome(fly);
    expect(c.N).toBe(65);
    expect(c.source.connections).toBe(605);
    expect(c.J.filter((v) => v > 0).length).toBe(377);
    expect(c.J.filter((v) => v < 0).length).toBe(228);
    expect(c.J.reduce((s, v) => s + Math.abs(v), 0)).toBeCloseTo(8087.252167, 5);
    const s = matrixSpectrumStats(c.J, c.N);
    expect(s.pr_s).toBeCloseTo(0.1118125785, 7);
    expect(s.s_max!).toBeCloseTo(321.0907864, 4);
  });
});
