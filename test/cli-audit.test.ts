/** Input errors an audit of the CLI found handled wrongly (silently misread, overwritten or written though failed). */
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'connfit-audit-'));
const rec = join(dir, 'rec.csv');

beforeAll(async () => {
  await ensureBuilt();
  const sim = await runCli('simulate', '--N', '30', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '2000', '--seed', '1', '--out', rec, '--quiet');
  expect(sim.code, sim.stderr).toBe(0);
}, 300_000);

describe('CLI audit: bad input is refused, not misread', () => {
  it('a CSV without a header read with one: a first row of numbers is data (exit 2, suggests --no-header); distinct whole numbers stay names', async () => {
    const lines = readFileSync(rec, 'utf8').split('\n');
    const noHeader = join(dir, 'noheader.csv');
    writeFileSync(noHeader, lines.slice(1).join('\n')); // first row "0,…": a time of 0 and decimals
    const r = await runCli('fit', noHeader, '--dt', '0.05');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/noheader\.csv:1:1: the header line looks like data, not unit names \(e\.g\. '0'\).*--no-header/);
    const counts = join(dir, 'counts.csv'); // spike counts: whole numbers with a repeat
    writeFileSync(counts, '0,1,0\n1,2,3\n4,5,6\n');
    expect((await runCli('inspect', counts, '--dt', '1')).stderr).toMatch(/looks like data/);
    const ids = join(dir, 'ids.csv');
    writeFileSync(ids, '101,205,317\n1,2,3\n4,5,6\n7,8,9\n');
    const ok = await runCli('inspect', ids, '--dt', '1', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).unitNames).toEqual(['101', '205', '317']);
    const hex = join(dir, 'hex.csv');
    writeFileSync(hex, 'a,b\n1,0x10\n2,3\n4,5\n');
    expect((await runCli('inspect', hex, '--dt', '1')).stderr).toMatch(/hex\.csv:2:2: expected a number \(column 'b'\), got '0x10'/);
  });

  it('populations files: a repeated name or a unit in two populations is an error naming the field', async () => {
    const dup = join(dir, 'dup.json');
    writeFileSync(dup, JSON.stringify({ populations: [{ name: 'E', units: ['u0', 'u1'] }, { name: 'E', units: ['u2'] }] }));
    expect((await runCli('fit', rec, '--populations', dup)).stderr).toMatch(/dup\.json populations\[1\]\.name: population name 'E' is also populations\[0\]'s/);
    const twice = join(dir, 'twice.json');
    writeFileSync(twice, JSON.stringify({ populations: [{ name: 'E', units: ['u0', 'u1'] }, { name: 'I', units: ['u1'] }] }));
    const r = await runCli('fit', rec, '--populations', twice);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/populations\[1\]\.units\[0\]: unit 'u1' is listed twice \(also at populations\[0\]\.units\[1\]\)/);
    // sizes 30 + 10 on a 30-unit recording named u0..u29: the second population gets none of them
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, JSON.stringify({ populations: [{ name: 'E', size: 30 }, { name: 'I', size: 10 }] }));
    const e = await runCli('fit', rec, '--populations', empty);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/empty\.json populations\[1\]: population 'I' has no recorded units/);
  });

  it('outputs never replace inputs: simulate --out its populations file, fit --out through a symbolic link', async () => {
    const pops = join(dir, 'pops.json');
    writeFileSync(pops, JSON.stringify({ populations: [{ name: 'E', size: 10 }, { name: 'I', size: 10 }], g2: [[1, 0], [0, 1]] }));
    const before = readFileSync(pops, 'utf8');
    const s = await runCli('simulate', '--populations', pops, '--D', '0.1', '--dt', '0.05', '--steps', '100', '--seed', '1', '--out', pops);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--out: would overwrite the input/);
    expect(readFileSync(pops, 'utf8')).toBe(before);
    const link = join(dir, 'link.csv');
    symlinkSync(rec, link);
    const f = await runCli('fit', link, '--out', rec);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/--out: would overwrite the input/);
  });

  it('data far from order one are refused unless the scale is fitted; a fit that stops short is written with a warning; a job too large for memory is refused (exit 2)', async () => {
    const lines = readFileSync(rec, 'utf8').trim().split('\n');
    const tiny = join(dir, 'tiny.csv');
    writeFileSync(tiny, [lines[0], ...lines.slice(1).map((l) => l.split(',').map((v, k) => (k === 0 ? v : String(Number(v) * 1e-30))).join(','))].join('\n'));
    const out = join(dir, 'tiny-fit.json');
    const r = await runCli('fit', tiny, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the recording's values have an RMS of [0-9.]+e-3[01]; .* rescale the data or fit the observation scale \(--fit-scale\)/);
    expect(existsSync(out)).toBe(false);
    const leak = await runCli('fit', rec, '--leak', '1e10', '--out', join(dir, 'leak.json'));
    expect(leak.code).toBe(0);
    expect(leak.stderr).toMatch(/warning: the fit did not converge/);
    const N = Math.ceil(Math.sqrt(totalmem() / 4)) + 1;
    const big = await runCli('simulate', '--N', String(N), '--g', '1', '--D', '0.1', '--dt', '0.05', '--steps', '10', '--out', join(dir, 'big.csv'));
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/--N: needs about .* GB .* but the machine has .* GB/);
  });

  it('options without their mode are refused: dmft --dt without --discrete, fit --rank " "', async () => {
    const d = await runCli('dmft', '--g', '1.5', '--dt', '0.1');
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--dt: applies to --discrete only/);
    expect((await runCli('fit', rec, '--rank', ' ')).stderr).toMatch(/--rank: expected a whole number ≥ 0 or 'auto', got ' '/);
  });

  it('usage errors carry the connfit prefix (exit 2); the cpu backend runs without tfjs\'s console banner', async () => {
    const u = await runCli('fit', rec, '--bogus');
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/^connfit: error: unknown option '--bogus'/);
    const cpu = await runCli('--backend', 'cpu', 'fit', rec, '--quiet', '--json');
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(cpu.stderr).not.toMatch(/looks like you are running TensorFlow\.js/);
    // the same estimate as the default (wasm) backend's, to float32 precision
    const wasm = await runCli('fit', rec, '--quiet', '--json');
    const g = (r: { stdout: string }) => JSON.parse(r.stdout).params.g.value as number;
    expect(Math.abs(g(cpu) / g(wasm) - 1)).toBeLessThan(1e-3);
  });
});
