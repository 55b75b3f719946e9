/**
 * Fit files checked for sense (ranges, cross-field counts, unit names against the recording, the file
 * named in refusals) and the scale invariance of the PR, ĝ and the inspect std at extreme magnitudes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../src/errors.js';
import { readFitFile, type FitFile } from '../src/fitfile/schema.js';
import { checkAgainstFit } from '../src/predict/forecast.js';
import { randomBulk } from '../src/predict/kernels.js';
import { normalGenerator } from '../src/random.js';
import type { Recording } from '../src/recording/types.js';
import { matrixSpectrumStats, participationRatio, prFiniteSampleBias } from '../src/statistics/dimension.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'connfit-fitcheck-'));
const rec = join(dir, 'rec.csv');
const fitPath = join(dir, 'fit.json');
let fitJson: FitFile;

beforeAll(async () => {
  await ensureBuilt();
  await runCli('simulate', '--N', '12', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '600', '--seed', '1', '--out', rec);
  const r = await runCli('fit', rec, '--loss', 'exact', '--out', fitPath);
  expect(r.code).toBe(0);
  fitJson = JSON.parse(readFileSync(fitPath, 'utf8')) as FitFile;
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the fit with `edit` applied, written to `name`. */
function editedFit(name: string, edit: (f: FitFile) => void): string {
  const f = structuredClone(fitJson);
  edit(f);
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(f));
  return p;
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('fit files are checked for sense', () => {
  it.each([
    ['g2.json', (f: FitFile) => (f.model.natural.g2[0][0] = -1), 'model.natural.g2[0][0]', 'expected g² ≥ 0 (a variance), got -1'],
    ['D.json', (f: FitFile) => (f.model.natural.D[0] = -0.1), 'model.natural.D[0]', 'expected D ≥ 0 (a noise variance), got -0.1'],
    ['tau.json', (f: FitFile) => (f.model.natural.tau = 0), 'model.natural.tau', 'expected τ > 0 (a time constant), got 0'],
    ['names.json', (f: FitFile) => (f.data.unitNames = f.data.unitNames.slice(0, 5)), 'data.unitNames', 'has 5 names but data.units is 12; expected one name per unit'],
    ['pops.json', (f: FitFile) => (f.model.natural.D = [0.1, 0.1]), 'model.natural.D', 'has 2 entries but data.populations lists 1; expected one per population'],
    ['no-g.json', (f: FitFile) => delete f.params.g, 'params', 'has no estimate of g; expected params.g = {value, se, ci95}'],
  ])('%s: refused naming the file and the field', (name, edit, field, message) => {
    const p = editedFit(name, edit);
    const e = inputError(() => readFitFile(p));
    expect(e.location).toEqual({ file: p, field });
    expect(e.message).toBe(`${p} ${field}: invalid connfit fit file: ${message}`);
  });

  it('params that disagree with model.natural (an edited file) are refused', () => {
    const p = editedFit('g-mismatch.json', (f) => (f.params.g.value = -1));
    const e = inputError(() => readFitFile(p));
    expect(e.location).toEqual({ file: p, field: 'params.g.value' });
    const g = Math.sqrt(fitJson.model.natural.g2[0][0]);
    expect(e.message).toBe(`${p} params.g.value: invalid connfit fit file: is -1 but model.natural gives ${g}; expected the two to agree (edit both, or refit)`);
    // the file as written agrees to rounding
    expect(Math.abs(fitJson.params.g.value! - g)).toBeLessThan(1e-12);
  });

  it('a non-finite value (null in JSON) is refused with its JSON path', () => {
    const p = editedFit('null-tau.json', (f) => ((f.model.natural as { tau: number | null }).tau = null));
    const e = inputError(() => readFitFile(p));
    expect(e.location).toEqual({ file: p, field: 'model.natural.tau' });
  });

  it('CLI: exit code 2 with the file, the field and the expectation', async () => {
    const p = editedFit('cli-g2.json', (f) => (f.model.natural.g2[0][0] = -1));
    const r = await runCli('forecast', p, '--data', rec, '--context', '10', '--horizon', '2', '--out', join(dir, 'o.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${p} model.natural.g2[0][0]: invalid connfit fit file: expected g² ≥ 0 (a variance), got -1`);
  });

  it('the low-rank refusal names the fit file', () => {
    const p = editedFit('rank.json', (f) => {
      f.structure = { rank: 1, m: [], n: [], strength: [], overlaps: [], normalisation: 12, identifiability: '' };
    });
    const e = inputError(() => randomBulk(readFitFile(p), 'predict'));
    expect(e.location).toEqual({ file: p, field: 'structure.rank' });
    expect(e.message).toMatch(/^.*rank\.json structure\.rank: predict describes the random bulk/);
  });
});

describe("the recording's unit names are compared with the fit's", () => {
  // values of order one (all-zero data would be refused by the scale check)
  const recording = (names: string[]): Recording => ({ data: Float64Array.from({ length: names.length * 4 }, (_, k) => (k % 2 ? 0.5 : -0.5)), nSamples: 4, nUnits: names.length, unitNames: names, dt: 0.05 });

  it('renamed columns are refused, naming the first differing units', () => {
    const fit = readFitFile(fitPath);
    const names = fit.data.unitNames.slice();
    for (const i of [2, 5, 7, 9]) names[i] = `n${i}`;
    const e = inputError(() => checkAgainstFit(fit, recording(names)));
    expect(e.location.field).toBe('data.unitNames');
    expect(e.message).toContain(`differ from the fit's at 4 of 12 units (unit 3: 'n2' in the recording, '${fit.data.unitNames[2]}' in the fit;`);
    expect(e.message).toContain(', and 1 more');
    expect(e.message).toContain(`(${fitPath}: data.unitNames)`);
  });

  it("the same names pass; default names (a file without names) are not compared", () => {
    const fit = readFitFile(fitPath);
    expect(checkAgainstFit(fit, recording(fit.data.unitNames))).toBe(0.05);
    const renamed = editedFit('named.json', (f) => (f.data.unitNames = f.data.unitNames.map((n) => `cell-${n}`)));
    expect(checkAgainstFit(readFitFile(renamed), recording(fit.data.unitNames))).toBe(0.05);
  });

  it('CLI: a recording with a renamed column exits 2', async () => {
    const lines = readFileSync(rec, 'utf8').split('\n');
    lines[0] = lines[0].replace(',u3,', ',v3,');
    const p = join(dir, 'renamed.csv');
    writeFileSync(p, lines.join('\n'));
    const r = await runCli('forecast', fitPath, '--data', p, '--context', '10', '--horizon', '2', '--out', join(dir, 'o2.csv'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unit 4: 'v3' in the recording, 'u3' in the fit");
  });
});

describe('scale invariance at extreme magnitudes', () => {
  const N = 8;
  const T = 400;
  const normal = normalGenerator(5);
  const base = new Float64Array(T * N);
  for (let t = 0; t < T; t++) {
    const common = normal();
    for (let i = 0; i < N; i++) base[t * N + i] = 0.5 + common * (i + 1) * 0.3 + normal();
  }
  const times = (k: number): Recording => ({ data: base.map((v) => v * k), nSamples: T, nUnits: N, unitNames: [] });
  const pr = participationRatio(times(1), { of: 'x' });
  const bias = prFiniteSampleBias(times(1), { of: 'x' });

  it.each([1e100, 1e155, 1e200, 1e-200])('PR of data × %s equals the PR of the data', (k) => {
    const r = participationRatio(times(k), { of: 'x' });
    expect(Math.abs(r.pr / pr.pr - 1)).toBeLessThan(1e-9);
    // eigenvalues are reported in data units (k² itself over- or underflows for the others)
    if (k === 1e100) expect(Math.abs(r.eigenvalues[0] / (pr.eigenvalues[0] * k * k) - 1)).toBeLessThan(1e-9);
    const z = participationRatio(times(k), { of: 'x', zscore: true });
    expect(Math.abs(z.pr / participationRatio(times(1), { of: 'x', zscore: true }).pr - 1)).toBeLessThan(1e-9);
    const b = prFiniteSampleBias(times(k), { of: 'x' });
    expect(Math.abs(b.prInfinite / bias.prInfinite - 1)).toBeLessThan(1e-9);
  });

  it('ordinary data are not rescaled: same bits', () => {
    expect(participationRatio(times(1), { of: 'x' }).pr).toBe(pr.pr);
    const r = participationRatio(times(1e10), { of: 'x' });
    expect(Math.abs(r.pr / pr.pr - 1)).toBeLessThan(1e-12);
  });

  it('coupling-matrix statistics at 1e200: ĝ scales, PR_S does not', () => {
    const J = Float64Array.from({ length: 100 }, () => normal() * 0.15);
    const s = matrixSpectrumStats(J, 10);
    const big = matrixSpectrumStats(J.map((v) => v * 1e200), 10);
    expect(Math.abs(big.g / (s.g * 1e200) - 1)).toBeLessThan(1e-9);
    expect(Math.abs(big.g_eff / (s.g_eff * 1e200) - 1)).toBeLessThan(1e-9);
    expect(Math.abs(big.s_max! / (s.s_max! * 1e200) - 1)).toBeLessThan(1e-9);
    expect(Math.abs(big.pr_s / s.pr_s - 1)).toBeLessThan(1e-9);
  });

  it('CLI: data far from order one are refused wherever φ(data) is taken (exit 2, naming the file and the RMS); inspect of data × 1e200 is finite', async () => {
    const rows = readFileSync(rec, 'utf8').trim().split('\n');
    const scaledCsv = (k: number) =>
      [rows[0], ...rows.slice(1).map((line) => line.split(',').map((v, c) => (c === 0 ? v : String(Number(v) * k))).join(','))].join('\n') + '\n';
    // the RMS of the recording itself, from the CSV text
    let s2 = 0;
    let n = 0;
    for (const line of rows.slice(1))
      for (const v of line.split(',').slice(1)) {
        s2 += Number(v) ** 2;
        n++;
      }
    const rms = Math.sqrt(s2 / n);
    const p7 = join(dir, 'x1e7.csv');
    writeFileSync(p7, scaledCsv(1e7));
    const p155 = join(dir, 'x155.csv');
    writeFileSync(p155, scaledCsv(1e155));
    const p200 = join(dir, 'x200.csv');
    writeFileSync(p200, scaledCsv(1e200));
    const [d7, d155, fd7, pr7, fc7, i200] = await Promise.all([
      runCli('dimension', p7, '--json'),
      runCli('dimension', p155, '--json'),
      runCli('dimension', fitPath, '--data', p7, '--sim-time', '0'),
      runCli('predict', fitPath, '--data', p7, '--sim-time', '0'),
      runCli('forecast', fitPath, '--data', p7, '--kernel', 'plugin'),
      runCli('inspect', p200, '--json'),
    ]);
    // the printed RMS (3 significant digits) against k·RMS of the recording; range scaling keeps 1e155 finite
    const printed = (stderr: string, file: string): number => {
      const m = stderr.match(new RegExp(`${file.replace(/\./g, '\\.')}: the recording's values have an RMS of ([0-9.e+-]+);`));
      expect(m, stderr).not.toBeNull();
      return Number(m![1]);
    };
    for (const [r, file, k] of [[d7, 'x1e7.csv', 1e7], [d155, 'x155.csv', 1e155], [fd7, 'x1e7.csv', 1e7], [pr7, 'x1e7.csv', 1e7], [fc7, 'x1e7.csv', 1e7]] as const) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(Math.abs(printed(r.stderr, file) / (k * rms) - 1)).toBeLessThan(5e-3);
    }
    expect(d7.stderr).toMatch(/rescale the data \(PR_φ depends on the units of x\)/);
    expect(pr7.stderr).toMatch(/give a recording in the units the fit was made on/);
    const info = JSON.parse(i200.stdout) as { std: { min: number; max: number } };
    expect(Number.isFinite(info.std.max) && info.std.min > 1e199).toBe(true);
  });

  it('the scale check reads the data in the fit\'s model units (x − offset)/scale', () => {
    const rows = readFileSync(rec, 'utf8').trim().split('\n').slice(1);
    const values = rows.flatMap((line) => line.split(',').slice(1).map(Number));
    const r = (k: number): Recording => ({ data: Float64Array.from(values, (v) => v * k), nSamples: rows.length, nUnits: values.length / rows.length, unitNames: fitJson.data.unitNames, dt: fitJson.data.dt });
    expect(checkAgainstFit(fitJson, r(1), fitPath)).toBe(fitJson.data.dt);
    expect(() => checkAgainstFit(fitJson, r(1e7), fitPath)).toThrow(InputError);
    // a fit of the observation scale 1e7: the scaled data are order one in its model units, the raw ones (RMS ~1e-7) are not
    const scaledFit = structuredClone(fitJson);
    scaledFit.model.natural.scale = 1e7;
    expect(checkAgainstFit(scaledFit, r(1e7), fitPath)).toBe(fitJson.data.dt);
    const e = inputError(() => checkAgainstFit(scaledFit, r(1), fitPath));
    const m = e.message.match(/in the fit's model units \(x − 0\)\/10000000 have an RMS of ([0-9.e+-]+);/);
    expect(m, e.message).not.toBeNull();
    const rms = Math.sqrt(values.reduce((a, v) => a + v * v, 0) / values.length);
    expect(Math.abs(Number(m![1]) / (rms / 1e7) - 1)).toBeLessThan(5e-3);
  });
});
