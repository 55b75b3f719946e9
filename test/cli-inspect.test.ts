import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, ensureBuilt, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'connfit-inspect-'));

beforeAll(ensureBuilt, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const run = runCli;

// 5 samples at dt 0.1; unit c is constant.
const GOOD = 'time,a,b,c\n0,1,0,3\n0.1,3,0,3\n0.2,1,2,3\n0.3,3,2,3\n0.4,2,1,3\n';

describe('connfit inspect', () => {
  it('prints units, samples, dt, duration, dropped units and std summary', async () => {
    const p = file('good.csv', GOOD);
    const r = await run('inspect', p);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('units: 2 (a, b)');
    expect(r.stdout).toContain('samples: 5');
    expect(r.stdout).toContain('dt: 0.1 (time column)');
    expect(r.stdout).toContain('duration: 0.4 (first to last sample, (samples − 1) × dt, t = 0 to 0.4)');
    expect(r.stdout).toContain('dropped constant units: 1 (c)');
    // a: mean 2, std sqrt(0.8); b: mean 1, std sqrt(0.8)
    expect(r.stdout).toContain('unit mean: min 1, median 1.5, max 2');
    expect(r.stdout).toContain('unit std: min 0.894427, median 0.894427, max 0.894427');
  });

  it('--json gives machine-readable values', async () => {
    const p = file('good-json.csv', GOOD);
    const r = await run('inspect', p, '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({ units: 2, samples: 5, dt: 0.1, dtSource: 'time column', droppedConstantUnits: ['c'], unitNames: ['a', 'b'], format: 'csv' });
    expect(info.duration).toBeCloseTo(0.4, 12);
    expect(info.perUnit[0].name).toBe('a');
    expect(info.perUnit[0].mean).toBe(2);
    expect(info.std.max).toBeCloseTo(Math.sqrt(0.8), 12);
  });

  it('--layout unit-by-time --no-header --dt', async () => {
    const p = file('ubt.csv', '1,2,3,4\n4,3,2,2\n0,0,1,0\n');
    const r = await run('inspect', p, '--layout', 'unit-by-time', '--no-header', '--dt', '0.5', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ units: 3, samples: 4, dt: 0.5, dtSource: 'given', duration: 1.5, unitNames: ['u0', 'u1', 'u2'] });
  });

  it('non-numeric cell: exit 2 and file:line:column on stderr', async () => {
    const p = file('bad.csv', 'a,b\n1,2\n3,oops\n');
    const r = await run('inspect', p);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`connfit: error: ${p}:3:2: expected a number (column 'b'), got 'oops'\n`);
  });

  it('ragged row, NaN, empty file and missing file: exit 2 with the reason', async () => {
    const ragged = file('ragged.csv', 'a,b\n1,2\n3\n');
    let r = await run('inspect', ragged);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${ragged}:3: line 3 has 1 fields, expected 2`);
    const nan = file('nan.csv', 'a,b\n1,2\nnan,3\n');
    r = await run('inspect', nan);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${nan}:3:1: 'nan' (column 'a') is not a finite number`);
    const empty = file('empty.csv', '');
    r = await run('inspect', empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${empty}: no data rows`);
    r = await run('inspect', join(dir, 'nope.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.csv: no such file');
  });

  it('--dt that disagrees with the time column, malformed options, missing argument: exit 2', async () => {
    const p = file('dt.csv', GOOD);
    let r = await run('inspect', p, '--dt', '0.2');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${p} dt: dt 0.2 was given but the time column 'time' has steps of 0.1`);
    r = await run('inspect', p, '--dt', 'abc');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--dt must be a number, got 'abc'");
    r = await run('inspect', p, '--layout', 'sideways');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Allowed choices are time-by-unit, unit-by-time');
    r = await run('inspect');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'recording'");
  });

  it('--help shows an example', async () => {
    const r = await run('inspect', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('$ connfit inspect rec.csv');
    expect(r.stdout).toContain('--no-header');
  });
});

describe('connfit info', () => {
  beforeAll(ensureBuilt, 300_000);

  it('lists the registered datasets with their SHA-256 check, and says when the data directory is missing', async () => {
    const ok = await runCli('info', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const info = JSON.parse(ok.stdout);
    expect(info.datasets.map((d: { name: string }) => d.name)).toContain('zebrafish-tectum-triplett2018-f1');
    if (info.dataDirectoryStatus === 'ok') {
      // the shared datasets are as registered (a changed file would read 'changed')
      for (const d of info.datasets) expect(['ok', 'present'], d.name).toContain(d.status);
    }
    const { execFile } = await import('node:child_process');
    const missing = await new Promise<string>((done, fail) =>
      execFile(process.execPath, [cliPath, 'info'], { env: { ...process.env, CONNFIT_DATA: '/nonexistent-connfit-data' } }, (e, out) => (e ? fail(e) : done(out))),
    );
    expect(missing).toMatch(/data directory: \/nonexistent-connfit-data \(missing: set CONNFIT_DATA to the datasets directory\)/);
  });

  it('shipped models are listed and taken by name wherever a JSON file is read; a wrong name lists them (exit 2)', async () => {
    const info = JSON.parse((await runCli('info', '--json')).stdout);
    expect(info.models).toEqual(['demo-fit', 'two-populations', 'two-populations-mixed', 'two-regions']);
    // models/two-populations.json: E and I of 500 units with g² 4 and 6 (THEORY §2.9, PRL case 1)
    const out = join(dir, 'ei.csv');
    const sim = await runCli('simulate', '--populations', 'two-populations', '--D', '0.1', '--dt', '0.05', '--steps', '100', '--observe', '4', '--seed', '2', '--out', out, '--json');
    expect(sim.code, sim.stderr).toBe(0);
    const realised = JSON.parse(sim.stdout).realised.g;
    expect(realised[0][0]).toBeGreaterThan(1.9); // √4 within sampling of 500² couplings (sd ≈ 0.004)
    expect(realised[0][0]).toBeLessThan(2.1);
    expect(realised[1][1]).toBeGreaterThan(Math.sqrt(6) - 0.1);
    expect(realised[1][1]).toBeLessThan(Math.sqrt(6) + 0.1);
    expect(realised[0][1]).toBe(0);
    // the example fit (the demo's, README "Commands"): a valid fit file with the demo's figures
    const { readFitFile } = await import('../src/fitfile/schema.js');
    const fit = readFitFile('demo-fit');
    expect(fit.params.g.value).toBeCloseTo(1.4945, 4);
    expect(fit.data.units).toBe(100);
    const bad = await runCli('fit', out, '--regions', 'two-regionz');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/two-regionz: file not found \(nor a model of that name in .*models: demo-fit, two-populations, two-populations-mixed, two-regions\)/);
  });

  it('--backend tensorflow without the native library is a user error naming the cause (exit 2), or works where it is installed', async () => {
    const r = await runCli('info', '--backend', 'tensorflow');
    if (r.code === 0) expect(r.stdout).toMatch(/backend: tensorflow/);
    else {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--backend: the native TensorFlow backend is not available here \(@tensorflow\/tfjs-node: .*\); .*Use --backend wasm/);
    }
  });
});
