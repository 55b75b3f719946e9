import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, root, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'connfit-simulate-'));
const VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;

beforeAll(ensureBuilt, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tmp = (name: string) => join(dir, name);

function file(name: string, content: string): string {
  const p = tmp(name);
  writeFileSync(p, content);
  return p;
}

const run = runCli;

function readCsv(path: string): { header: string[]; rows: number[][] } {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',').map(Number)) };
}

/** Population mean and standard deviation of a list of numbers. */
function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

const BASE = ['simulate', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--quiet'];

describe('connfit simulate', () => {
  it('same seed: byte-identical files; different seed: a different file', async () => {
    const args = [...BASE, '--N', '100', '--steps', '300', '--burn-in', '50', '--observe', '10'];
    const a = tmp('seed1a.csv');
    const b = tmp('seed1b.csv');
    const c = tmp('seed2.csv');
    for (const [out, seed] of [[a, '1'], [b, '1'], [c, '2']]) {
      const r = await run(...args, '--seed', seed, '--out', out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(''); // --quiet
    }
    const bytesA = readFileSync(a);
    expect(bytesA.length).toBeGreaterThan(20_000);
    expect(readFileSync(b).equals(bytesA)).toBe(true);
    expect(readFileSync(c).equals(bytesA)).toBe(false);
    // Same header and times, different values.
    const A = readCsv(a);
    const C = readCsv(c);
    expect(C.header).toEqual(A.header);
    expect(A.rows[0][1]).not.toBe(C.rows[0][1]);
  });

  it('CSV: header time,u..., steps+1 rows, the requested units, time step dt', async () => {
    const out = tmp('shape.csv');
    const r = await run(...BASE, '--N', '120', '--steps', '400', '--observe', '12', '--seed', '3', '--out', out, '--json');
    expect(r.code).toBe(0);
    const { header, rows } = readCsv(out);
    // 12 of 120 units evenly spaced: every 10th.
    expect(header).toEqual(['time', 'u0', 'u10', 'u20', 'u30', 'u40', 'u50', 'u60', 'u70', 'u80', 'u90', 'u100', 'u110']);
    expect(rows.length).toBe(401);
    for (const row of rows) expect(row.length).toBe(13);
    expect(rows[0][0]).toBe(0);
    expect(rows[400][0]).toBeCloseTo(20, 12);
    for (let k = 1; k < rows.length; k++) expect(rows[k][0] - rows[k - 1][0]).toBeCloseTo(0.05, 12);
    for (const row of rows) for (const v of row) expect(Number.isFinite(v)).toBe(true);

    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ out, format: 'csv', N: 120, units: 12, samples: 401, dt: 0.05, seed: 3 });
    expect(summary.realised.g[0][0]).toBeGreaterThan(1.5 * 0.9);
    expect(summary.realised.g[0][0]).toBeLessThan(1.5 * 1.1);
    expect(summary.seconds).toBeGreaterThan(0);
  });

  it('npy and json outputs hold the same numbers as the csv for the same seed', async () => {
    const args = [...BASE, '--N', '40', '--steps', '100', '--observe', '5', '--seed', '11'];
    const csv = tmp('same.csv');
    const npy = tmp('same.npy');
    const json = tmp('same.json');
    expect((await run(...args, '--out', csv)).code).toBe(0);
    expect((await run(...args, '--out', npy)).code).toBe(0);
    expect((await run(...args, '--out', json)).code).toBe(0);
    const { rows } = readCsv(csv);

    const buf = readFileSync(npy);
    expect(buf.subarray(1, 6).toString('latin1')).toBe('NUMPY');
    const headerLen = buf.readUInt16LE(8);
    expect((10 + headerLen) % 64).toBe(0);
    expect(buf.subarray(10, 10 + headerLen).toString('latin1')).toContain("'shape': (101, 5)");
    expect(buf.length).toBe(10 + headerLen + 101 * 5 * 8);
    const values = new Float64Array(buf.buffer.slice(buf.byteOffset + 10 + headerLen, buf.byteOffset + buf.length));
    for (let t = 0; t < 101; t++) for (let i = 0; i < 5; i++) expect(values[t * 5 + i]).toBe(rows[t][i + 1]);

    const rec = JSON.parse(readFileSync(json, 'utf8'));
    expect(rec.dt).toBe(0.05);
    expect(rec.unitNames).toEqual(['u0', 'u8', 'u16', 'u24', 'u32']);
    expect(rec.data.length).toBe(101);
    expect(rec.data[100]).toEqual(rows[100].slice(1));
  });

  it('--save-network: realised g within 5 % of g, J with sqrt(N)·std(J) = realised g', async () => {
    const out = tmp('net-rec.csv');
    const net = tmp('net.json');
    const r = await run(...BASE, '--N', '200', '--J0', '0.5', '--steps', '200', '--burn-in', '20', '--observe', '8', '--seed', '7', '--out', out, '--save-network', net, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const n = JSON.parse(readFileSync(net, 'utf8'));
    expect(n.connfit).toBe(VERSION);
    expect(n.spec).toEqual({ phi: 'tanh', sizes: [200], names: ['all'], g2: [[2.25]], J0: [[0.5]], D: [0.1], tau: 1, s: 0 });
    expect(n).toMatchObject({ N: 200, seed: 7, dt: 0.05, steps: 200, burnIn: 20, observedUnits: [0, 25, 50, 75, 100, 125, 150, 175] });
    const g = n.realised.g[0][0] as number;
    expect(Math.abs(g - 1.5) / 1.5).toBeLessThan(0.05);

    expect(n.J.length).toBe(200);
    for (const row of n.J) expect(row.length).toBe(200);
    const { mean, std } = meanStd((n.J as number[][]).flat());
    expect(Math.abs(Math.sqrt(200) * std - g)).toBeLessThan(1e-9);
    expect(Math.abs(200 * mean - n.realised.J0[0][0])).toBeLessThan(1e-9);
    // J0 = 0.5 is realised to within a few g/√N ≈ 0.11.
    expect(Math.abs(n.realised.J0[0][0] - 0.5)).toBeLessThan(0.35);

    // The --json summary reports the same realisation.
    const summary = JSON.parse(r.stdout);
    expect(summary.realised).toEqual(n.realised);
    expect(summary).toMatchObject({ units: 8, samples: 201, network: net });
  });

  it('--populations: two populations give the right units and block structure', async () => {
    const pops = file(
      'ei.json',
      JSON.stringify({ populations: [{ name: 'E', size: 60 }, { name: 'I', size: 40, D: 0.3 }], g2: [[4, 0], [0, 6]] }),
    );
    const out = tmp('ei.csv');
    const net = tmp('ei-net.json');
    const r = await run('simulate', '--populations', pops, '--D', '0.1', '--dt', '0.05', '--steps', '200', '--seed', '5', '--out', out, '--save-network', net, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ N: 100, units: 100, samples: 201, populations: ['E', 'I'] });
    const { header, rows } = readCsv(out);
    expect(header.length).toBe(101);
    expect(header[100]).toBe('u99');
    expect(rows.length).toBe(201);

    const n = JSON.parse(readFileSync(net, 'utf8'));
    expect(n.spec).toMatchObject({ sizes: [60, 40], names: ['E', 'I'], g2: [[4, 0], [0, 6]], J0: [[0, 0], [0, 0]], D: [0.1, 0.3] });
    // Cross blocks are exactly zero (g² = 0, J0 = 0), diagonal blocks have g ≈ 2 and √6.
    expect(n.realised.g[0][1]).toBe(0);
    expect(n.realised.g[1][0]).toBe(0);
    expect(Math.abs(n.realised.g[0][0] - 2) / 2).toBeLessThan(0.08);
    expect(Math.abs(n.realised.g[1][1] - Math.sqrt(6)) / Math.sqrt(6)).toBeLessThan(0.08);
    const J = n.J as number[][];
    expect(J[0][60]).toBe(0);
    expect(J[99][59]).toBe(0);
    const ee = meanStd(J.slice(0, 60).flatMap((row) => row.slice(0, 60)));
    expect(Math.abs(Math.sqrt(60) * ee.std - n.realised.g[0][0])).toBeLessThan(1e-9);
    const ii = meanStd(J.slice(60).flatMap((row) => row.slice(60)));
    expect(Math.abs(Math.sqrt(40) * ii.std - n.realised.g[1][1])).toBeLessThan(1e-9);
  });

  it('the example model files parse: 2 × 500 units (checked through the --N mismatch message)', async () => {
    for (const name of ['two-populations.json', 'two-populations-mixed.json']) {
      const path = join(root, 'models', name);
      const r = await run('simulate', '--populations', path, '--N', '5', '--dt', '0.05', '--steps', '10', '--out', tmp('never.csv'));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--N 5 does not match ${path} (E 500 + I 500 = 1000 units); omit --N or pass --N 1000`);
    }
    const mixed = JSON.parse(readFileSync(join(root, 'models', 'two-populations-mixed.json'), 'utf8'));
    expect(mixed.g2).toEqual([[0.5, 1.5], [2.5, 3.5]]);
    const plain = JSON.parse(readFileSync(join(root, 'models', 'two-populations.json'), 'utf8'));
    expect(plain.g2).toEqual([[4, 0], [0, 6]]);
    expect(existsSync(tmp('never.csv'))).toBe(false);
  });

  it('--N that contradicts the sizes of a regions file: exit 2, as with a populations file', async () => {
    const regions = file('regions-20.json', JSON.stringify({ regions: [{ name: 'A', size: 10, g: 0.5 }, { name: 'B', size: 10, g: 0.5 }], T: [[[0, 0], [1, 0]], [[0, 1], [0, 0]]] }));
    const r = await run('simulate', '--regions', regions, '--N', '30', '--dt', '0.05', '--steps', '10', '--quiet', '--out', tmp('never-regions.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--N 30 does not match ${regions} (A 10 + B 10 = 20 units); omit --N or pass --N 20`);
    expect(existsSync(tmp('never-regions.csv'))).toBe(false);
    const ok = await run('simulate', '--regions', regions, '--N', '20', '--dt', '0.05', '--steps', '10', '--quiet', '--out', tmp('regions-20.csv'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(readCsv(tmp('regions-20.csv')).header).toHaveLength(21);
  });

  it('bad populations files: exit 2 naming the file and the field, nothing written', async () => {
    const shape = file('shape-pops.json', JSON.stringify({ populations: [{ name: 'E', size: 10 }, { name: 'I', size: 10 }], g2: [[1, 2], [1, 2, 3]] }));
    const out = tmp('bad-out.csv');
    let r = await run('simulate', '--populations', shape, '--dt', '0.05', '--steps', '10', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`connfit: error: ${shape} g2[1]: must have 2 entries, got 3\n`);

    const dup = file('dup-pops.json', JSON.stringify({ populations: [{ name: 'E', size: 10 }, { name: 'E', size: 10 }], g2: [[1, 0], [0, 1]] }));
    r = await run('simulate', '--populations', dup, '--dt', '0.05', '--steps', '10', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`connfit: error: ${dup} populations[1].name: duplicate population name 'E'\n`);

    const notJson = file('broken-pops.json', '{"populations": [');
    r = await run('simulate', '--populations', notJson, '--dt', '0.05', '--steps', '10', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`connfit: error: ${notJson}:1:18: invalid JSON: expected a value`);

    expect(existsSync(out)).toBe(false);
  });

  it('bad options: exit 2 with a message naming the option', async () => {
    const out = tmp('opt-out.csv');
    let r = await run(...BASE, '--N', '50', '--observe', '51', '--steps', '10', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('connfit: error: --observe 51 is larger than the network (N = 50); expected at most 50 units\n');

    r = await run(...BASE, '--N', '0', '--steps', '10', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--N must be > 0, got '0'");

    r = await run(...BASE, '--N', '10', '--steps', '10', '--dt', '-0.1', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--dt must be > 0, got '-0.1'");

    r = await run(...BASE, '--N', '10', '--steps', '2.5', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--steps must be a whole number, got '2.5'");

    r = await run(...BASE, '--N', '10', '--steps', '10', '--phi', 'relu', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--phi must be one of tanh, erf, got 'relu'");

    r = await run(...BASE, '--N', '10', '--steps', '10', '--out', tmp('rec.dat'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot tell the format from the extension of '");

    const pops = join(root, 'models', 'two-populations.json');
    r = await run('simulate', '--populations', pops, '--g', '1', '--dt', '0.05', '--steps', '10', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--g cannot be combined with --populations');

    // --spectrum has a default: given without --random-modes it would shape nothing
    for (const family of ['exp', 'step']) {
      r = await run(...BASE, '--N', '10', '--steps', '10', '--spectrum', family, '--out', out);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('connfit: error: --spectrum: applies with --random-modes only (it shapes the spectrum of the random modes); add --random-modes r, or drop it\n');
    }

    expect(existsSync(out)).toBe(false);
  });

  it('human summary names N, units, samples, realised g and J0', async () => {
    const out = tmp('human.csv');
    const r = await run('simulate', '--N', '30', '--g', '0.5', '--D', '0.5', '--dt', '0.1', '--steps', '50', '--observe', '3', '--seed', '9', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('N 30 (1 population), φ = tanh, seed 9\n');
    expect(r.stdout).toContain('recorded 3 units × 51 samples, dt 0.1, burn-in 0 steps\n');
    expect(r.stdout).toMatch(/realised g 0\.\d+, J0 -?\d\.\d+ \(requested g 0\.5, J0 0\)/);
    expect(r.stdout).toMatch(/wrote .*human\.csv \(csv\) in \d+\.\d s\n$/);
  });
});
