import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'connfit-inspect-'));

/** Build dist/ when it is missing or older than the sources this test exercises. */
beforeAll(() => {
  const built = join(root, 'dist', 'cli', 'commands', 'inspect.js');
  const sources = ['cli/main.ts', 'cli/common.ts', 'cli/commands/inspect.ts', 'src/recording/read.ts', 'src/recording/write.ts', 'src/errors.ts'];
  const stale = !existsSync(built) || sources.some((s) => statSync(join(root, s)).mtimeMs > statSync(built).mtimeMs);
  if (stale) {
    try {
      execSync(`npx tsc -p ${JSON.stringify(root)}`, { cwd: root, stdio: 'pipe' });
    } catch {
      // tsc emits even when files being edited elsewhere have type errors; the check below decides.
    }
  }
  expect(existsSync(built)).toBe(true);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// 5 samples at dt 0.1; unit c is constant.
const GOOD = 'time,a,b,c\n0,1,0,3\n0.1,3,0,3\n0.2,1,2,3\n0.3,3,2,3\n0.4,2,1,3\n';

describe('connfit inspect', () => {
  it('prints units, samples, dt, duration, dropped units and std summary', () => {
    const p = file('good.csv', GOOD);
    const r = run('inspect', p);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('units: 2 (a, b)');
    expect(r.stdout).toContain('samples: 5');
    expect(r.stdout).toContain('dt: 0.1 (time column)');
    expect(r.stdout).toContain('duration: 0.5 (samples × dt)');
    expect(r.stdout).toContain('dropped constant units: 1 (c)');
    // a: mean 2, std sqrt(0.8); b: mean 1, std sqrt(0.8)
    expect(r.stdout).toContain('unit mean: min 1, median 1.5, max 2');
    expect(r.stdout).toContain('unit std: min 0.894427, median 0.894427, max 0.894427');
  });

  it('--json gives machine-readable values', () => {
    const p = file('good-json.csv', GOOD);
    const r = run('inspect', p, '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({ units: 2, samples: 5, dt: 0.1, dtSource: 'time column', droppedConstantUnits: ['c'], unitNames: ['a', 'b'], format: 'csv' });
    expect(info.duration).toBeCloseTo(0.5, 12);
    expect(info.perUnit[0].name).toBe('a');
    expect(info.perUnit[0].mean).toBe(2);
    expect(info.std.max).toBeCloseTo(Math.sqrt(0.8), 12);
  });

  it('--layout unit-by-time --no-header --dt', () => {
    const p = file('ubt.csv', '1,2,3,4\n4,3,2,2\n0,0,1,0\n');
    const r = run('inspect', p, '--layout', 'unit-by-time', '--no-header', '--dt', '0.5', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ units: 3, samples: 4, dt: 0.5, dtSource: 'given', duration: 2, unitNames: ['u0', 'u1', 'u2'] });
  });

  it('non-numeric cell: exit 2 and file:line:column on stderr', () => {
    const p = file('bad.csv', 'a,b\n1,2\n3,oops\n');
    const r = run('inspect', p);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`connfit: error: ${p}:3:2: expected a number (column 'b'), got 'oops'\n`);
  });

  it('ragged row, NaN, empty file and missing file: exit 2 with the reason', () => {
    const ragged = file('ragged.csv', 'a,b\n1,2\n3\n');
    let r = run('inspect', ragged);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${ragged}:3: line 3 has 1 fields, expected 2`);
    const nan = file('nan.csv', 'a,b\n1,2\nnan,3\n');
    r = run('inspect', nan);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${nan}:3:1: 'nan' (column 'a') is not a finite number`);
    const empty = file('empty.csv', '');
    r = run('inspect', empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${empty}: no data rows`);
    r = run('inspect', join(dir, 'nope.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.csv: no such file');
  });

  it('--dt that disagrees with the time column, malformed options, missing argument: exit 2', () => {
    const p = file('dt.csv', GOOD);
    let r = run('inspect', p, '--dt', '0.2');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${p} dt: dt 0.2 was given but the time column 'time' has steps of 0.1`);
    r = run('inspect', p, '--dt', 'abc');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--dt must be a number, got 'abc'");
    r = run('inspect', p, '--layout', 'sideways');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Allowed choices are time-by-unit, unit-by-time');
    r = run('inspect');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'recording'");
  });

  it('--help shows an example', () => {
    const r = run('inspect', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('$ connfit inspect rec.csv');
    expect(r.stdout).toContain('--no-header');
  });
});
