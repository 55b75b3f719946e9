/**
 * Spike trains to recordings (`connfit bin`): counts against hand-counted bins (spikes on bin and trial
 * edges included), against a brute-force count of random trains, Poisson counts against their closed-form
 * moments, the unit names and order, every error path, the CLI round trip, and the shared locust set
 * against an independent count of its files' lines.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirectory, datasetStatus } from '../src/datasets/registry.js';
import { readRecording } from '../src/recording/read.js';
import { binSpikeTrains, readSpikeTrains, type SpikeTrain } from '../src/recording/spikes.js';
import { uniformGenerator } from '../src/random.js';
import { cliScratch, runCli } from './helpers/cli.js';

const scratch = cliScratch('connfit-spikes-');
const write = scratch.write;
const train = (name: string, times: number[]): SpikeTrain => ({ name, times: Float64Array.from(times), source: { path: name, sha256: '' } });
/** Unit i's values over the samples. */
const column = (r: { data: Float64Array; nSamples: number; nUnits: number }, i: number) => Array.from({ length: r.nSamples }, (_, t) => r.data[t * r.nUnits + i]);

describe('binning', () => {
  // 0.3 / 0.1 = 2.9999999999999996 in floats: the spike on bin 3's left edge must stay in bin 3
  const a = train('a', [0, 0.1, 0.3, 0.35, 0.99]);
  const b = train('b', [0.05, 0.5]);

  it('counts each unit in left-closed bins from 0 through the last spike', () => {
    const r = binSpikeTrains([a, b], { binWidth: 0.1 });
    expect(r.recording.nSamples).toBe(10);
    expect(r.recording.dt).toBe(0.1);
    expect(column(r.recording, 0)).toEqual([1, 1, 0, 2, 0, 0, 0, 0, 0, 1]);
    expect(column(r.recording, 1)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(r.binnedPerUnit).toEqual([5, 2]);
    expect(r.notes).toEqual([]);
  });

  it('divides clock ticks by the clock rate, keeps whole bins before --end, and gives rates or square roots', () => {
    const ticks = [train('a', [0, 100, 300, 350, 990]), train('b', [50, 500])];
    const r = binSpikeTrains(ticks, { binWidth: 0.1, clockRate: 1000, end: 0.95 });
    expect(r.recording.nSamples).toBe(9);
    expect(column(r.recording, 0)).toEqual([1, 1, 0, 2, 0, 0, 0, 0, 0]);
    expect(r.binnedPerUnit).toEqual([4, 2]);
    expect(r.notes.join(' ')).toMatch(/1 spike\(s\) fall outside every bin/);
    expect(column(binSpikeTrains([a], { binWidth: 0.1, values: 'rate' }).recording, 0)[3]).toBeCloseTo(20, 12);
    expect(column(binSpikeTrains([a], { binWidth: 0.1, values: 'sqrt' }).recording, 0)[3]).toBeCloseTo(Math.SQRT2, 12);
  });

  it('bins each trial window and concatenates the trials; spikes between windows are outside', () => {
    // period 0.1, window 0.06, bins 0.02: trial k covers [0.1k, 0.1k + 0.06). In floats 0.3 / 0.1 =
    // 2.9999999999999996: the spike at 0.3 opens trial 3, it is not at the end of trial 2's gap
    const t = train('a', [0.01, 0.05, 0.08, 0.1, 0.3, 0.33, 0.34, 0.39]);
    const r = binSpikeTrains([t], { binWidth: 0.02, trialPeriod: 0.1, trialWindow: 0.06 });
    expect(r.trials).toBe(4);
    expect(r.binsPerTrial).toBe(3);
    // 0.08 and 0.39 fall in gaps; trial 2 is empty
    expect(column(r.recording, 0)).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(r.binnedPerUnit).toEqual([6]);
    expect(r.notes.join(' ')).toMatch(/2 spike\(s\) fall outside[\s\S]*4 trials are concatenated[\s\S]*3 of 11 steps/);
    // with --end only the trials whose whole window ends by it
    expect(binSpikeTrains([t], { binWidth: 0.02, trialPeriod: 0.1, trialWindow: 0.06, end: 0.25 }).trials).toBe(2);
  });

  it('equals a brute-force count of random trains with awkward bin and trial lengths', () => {
    const u = uniformGenerator(11);
    const trains = [0, 1, 2].map((i) => {
      const times: number[] = [];
      for (let t = -u(); t < 50; t += -Math.log(u()) / (10 + 5 * i)) times.push(t);
      return train(`u${i}`, times);
    });
    const opts = { binWidth: 0.037, start: 0.4, trialPeriod: 5.1, trialWindow: 4.13 };
    const r = binSpikeTrains(trains, opts);
    const perTrial = Math.floor(opts.trialWindow / opts.binWidth);
    const nTrials = Math.floor((Math.max(...trains.map((tr) => tr.times[tr.times.length - 1])) - opts.start) / opts.trialPeriod) + 1;
    expect(r.trials).toBe(nTrials);
    expect(r.binsPerTrial).toBe(perTrial);
    trains.forEach((tr, i) => {
      const expected = new Array<number>(nTrials * perTrial).fill(0);
      for (const t of tr.times)
        for (let k = 0; k < nTrials; k++)
          for (let bin = 0; bin < perTrial; bin++) {
            const left = opts.start + k * opts.trialPeriod + bin * opts.binWidth;
            if (t >= left && t < left + opts.binWidth) expected[k * perTrial + bin]++;
          }
      expect(column(r.recording, i)).toEqual(expected);
      expect(r.binnedPerUnit[i]).toBe(expected.reduce((s, v) => s + v, 0));
      expect(r.binnedPerUnit[i]).toBeLessThan(tr.times.length);
    });
  });

  it('gives Poisson counts their closed-form moments: mean = var = λΔ, and var √count ≈ 1/4 + 3/(32λΔ)', () => {
    // λ = 100, Δ = 0.1 → μ = 10; 20 000 bins: the sample variance's standard error is ≈ 0.1 (counts), 0.0025 (√)
    const u = uniformGenerator(5);
    const times: number[] = [];
    for (let t = -Math.log(u()) / 100; t < 2000; t += -Math.log(u()) / 100) times.push(t);
    const moments = (xs: number[]) => {
      const m = xs.reduce((s, v) => s + v, 0) / xs.length;
      return { m, v: xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1) };
    };
    const c = moments(column(binSpikeTrains([train('p', times)], { binWidth: 0.1, end: 2000 }).recording, 0));
    expect(c.m).toBeCloseTo(10, 1);
    expect(c.v).toBeGreaterThan(9.6);
    expect(c.v).toBeLessThan(10.4);
    const s = moments(column(binSpikeTrains([train('p', times)], { binWidth: 0.1, end: 2000, values: 'sqrt' }).recording, 0));
    expect(Math.abs(s.v - (0.25 + 3 / 320))).toBeLessThan(0.01);
  });
});

describe('spike-time files', () => {
  it('names units by what their file names do not share and orders them numerically', () => {
    const files = ['rec_u10.txt', 'rec_u2.txt', 'rec_u1.txt'].map((f, k) => write(f, `# unit ${k}\n${k + 1}\n\n${k + 2}\r\n`));
    const trains = readSpikeTrains(files);
    expect(trains.map((t) => t.name)).toEqual(['u1', 'u2', 'u10']);
    expect(Array.from(trains[2].times)).toEqual([1, 2]);
    expect(trains[0].source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readSpikeTrains([files[0]])[0].name).toBe('rec_u10');
  });

  it('refuses bad files and options with the file, line and column or the option', () => {
    const bad = (text: string) => write('bad.txt', text);
    expect(() => readSpikeTrains([bad('0.1\n0.2\n  abc\n')])).toThrow(/bad\.txt:3:3: 'abc' is not a number; expected one spike time per line/);
    expect(() => readSpikeTrains([bad('0.1\n0.2 0.3\n')])).toThrow(/bad\.txt:2:1: '0\.2 0\.3' holds more than one value/);
    expect(() => readSpikeTrains([bad('0.1\n0.5\n\n0.2\n')])).toThrow(/bad\.txt:4:1: spike time 0\.2 comes after 0\.5 \(line 2\); expected times in ascending order/);
    expect(() => readSpikeTrains([bad('1e999\n')])).toThrow(/bad\.txt:1:1: '1e999' is not a finite number/);
    expect(() => readSpikeTrains([join(scratch.dir, 'missing.txt')])).toThrow(/missing\.txt: file not found/);
    mkdirSync(join(scratch.dir, 'sub'), { recursive: true });
    expect(() => readSpikeTrains([join(scratch.dir, 'sub')])).toThrow(/sub: is a directory; give the spike-time files in it/);
    mkdirSync(join(scratch.dir, 'other'), { recursive: true });
    const twin = join(scratch.dir, 'other', 'bad.txt');
    writeFileSync(twin, '1\n');
    expect(() => readSpikeTrains([bad('1\n'), twin])).toThrow(/unit name 'bad' is also the name of/);
    expect(() => readSpikeTrains([])).toThrow(/no spike-time files given/);
    const t = [train('a', [0.1, 0.2])];
    expect(() => binSpikeTrains(t, { binWidth: 0.1, trialPeriod: 1, trialWindow: 1.5 })).toThrow(/--trial-window: trial window 1\.5 must be positive and at most the trial period 1/);
    expect(() => binSpikeTrains(t, { binWidth: 0.5, trialPeriod: 1, trialWindow: 0.2 })).toThrow(/--bin: bin width 0\.5 is longer than the trial window 0\.2/);
    expect(() => binSpikeTrains(t, { binWidth: 0.1, trialWindow: 0.2 })).toThrow(/--trial-window: a trial window needs a trial period/);
    expect(() => binSpikeTrains(t, { binWidth: 0.1, start: 1 })).toThrow(/--start: the last spike \(0\.2\) is before start 1/);
    expect(() => binSpikeTrains([train('a', [])], { binWidth: 0.1 })).toThrow(/--end: no unit has a spike/);
    const silent = binSpikeTrains([train('a', [])], { binWidth: 0.1, end: 1 });
    expect(silent.recording.nSamples).toBe(10);
    expect(silent.notes[0]).toMatch(/no spike in any bin for a/);
  });
});

describe('connfit bin', () => {
  it('writes a recording that reads back with dt, names and counts; --json lists the files', async () => {
    const files = [write('cli_u1.txt', '0\n100\n300\n350\n990\n'), write('cli_u2.txt', '50\n500\n')];
    const out = join(scratch.dir, 'binned.csv');
    const r = await runCli('bin', ...files, '--clock-rate', '1000', '--bin', '0.1', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/units: 2; spikes 7, of which 7 in bins/);
    expect(r.stdout).toMatch(/bins: 10 of Δ = 0\.1, 1 s binned in all; values: counts/);
    expect(r.stdout).toMatch(/mean rates \(spikes\/s\): u1 5, u2 2/);
    const rec = await readRecording(out);
    expect(rec.dt).toBeCloseTo(0.1, 12);
    expect(rec.unitNames).toEqual(['u1', 'u2']);
    expect(column(rec, 0)).toEqual([1, 1, 0, 2, 0, 0, 0, 0, 0, 1]);

    const j = await runCli('bin', ...files, '--clock-rate', '1000', '--bin', '0.2', '--values', 'rate', '--out', join(scratch.dir, 'binned.npy'), '--json');
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ format: 'npy', values: 'rate', dt: 0.2, samples: 5, trials: 1, spikes: 7, binned: 7 });
    expect(doc.units.map((u: { name: string; spikes: number }) => [u.name, u.spikes])).toEqual([['u1', 5], ['u2', 2]]);
    expect(doc.units[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    const npy = await readRecording(join(scratch.dir, 'binned.npy'));
    expect(column(npy, 0)).toEqual([10, 10, 0, 0, 5]);
  });

  it('refuses bad options with exit 2 and the option', async () => {
    const f = write('opt_u1.txt', '1\n2\n');
    const noPeriod = await runCli('bin', f, '--bin', '0.1', '--trial-window', '1', '--out', join(scratch.dir, 'x.csv'));
    expect(noPeriod.code).toBe(2);
    expect(noPeriod.stderr).toMatch(/--trial-window: applies with --trial-period/);
    const badExt = await runCli('bin', f, '--bin', '0.1', '--out', join(scratch.dir, 'x.dat'));
    expect(badExt.code).toBe(2);
    expect(badExt.stderr).toMatch(/cannot tell the format from the extension of/);
    const overwrite = await runCli('bin', f, '--bin', '0.1', '--out', f);
    expect(overwrite.code).toBe(2);
    expect(overwrite.stderr).toMatch(/would overwrite the input/);
    expect(existsSync(join(scratch.dir, 'x.csv'))).toBe(false);
    expect((await runCli('bin', f, '--bin', '-1', '--out', join(scratch.dir, 'x.csv'))).stderr).toMatch(/--bin must be > 0/);
  });
});

const locust = join(dataDirectory(), 'locust-al-pouzat-spontaneous', 'spike_trains');
describe.skipIf(!existsSync(locust))('the shared locust spike trains', () => {
  const files = (rec: string) => readdirSync(locust).filter((f) => f.startsWith(`locust20010217_${rec}_tetD_u`)).map((f) => join(locust, f));
  /** Spikes per file counted independently of the reader: its non-empty lines. */
  const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').length;

  it('bins Spontaneous_1 (10 trials of 29 s at 15 kHz) with every spike counted, and Spontaneous_3 as 25 trials', () => {
    const f1 = files('Spontaneous_1');
    const b1 = binSpikeTrains(readSpikeTrains(f1), { binWidth: 0.02, clockRate: 15000, trialPeriod: 30, trialWindow: 29 });
    expect(b1.recording.unitNames).toEqual(['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9', 'u10']);
    expect(b1.trials).toBe(10);
    expect(b1.binsPerTrial).toBe(1450);
    expect(b1.recording.nSamples).toBe(14500);
    const perUnit = b1.recording.unitNames.map((n) => lines(f1.find((f) => f.endsWith(`_${n}.txt`)) as string));
    expect(b1.binnedPerUnit).toEqual(perUnit);
    // the dataset README: 12 300–13 500 spikes per recording (all units)
    expect(perUnit.reduce((a, v) => a + v, 0)).toBe(13511);
    const b3 = binSpikeTrains(readSpikeTrains(files('Spontaneous_3')), { binWidth: 0.1, clockRate: 15000, trialPeriod: 30, trialWindow: 29 });
    expect(b3.trials).toBe(25);
    expect(b3.binnedPerUnit.reduce((a, v) => a + v, 0)).toBe(34702);
  });

  it('refuses a changed file of the set in the data directory; the registry lists each file\'s SHA-256', async () => {
    const data = mkdtempSync(join(tmpdir(), 'connfit-data-'));
    const saved = process.env.CONNFIT_DATA;
    try {
      const sub = join(data, 'locust-al-pouzat-spontaneous', 'spike_trains');
      mkdirSync(sub, { recursive: true });
      for (const f of readdirSync(locust)) writeFileSync(join(sub, f), readFileSync(join(locust, f)));
      process.env.CONNFIT_DATA = data;
      const copy = join(sub, 'locust20010217_Spontaneous_1_tetD_u1.txt');
      expect(readSpikeTrains([copy])[0].times.length).toBe(lines(copy)); // an exact copy is the dataset
      expect((await datasetStatus()).find((d) => d.name === 'locust-al-pouzat-spontaneous')!.status).toBe('ok');
      writeFileSync(copy, readFileSync(copy, 'utf8').replace(/\n$/, '\n4480000\n')); // one spike added
      expect(() => readSpikeTrains([copy])).toThrow(/dataset 'locust-al-pouzat-spontaneous' .*SHA-256 .* is not the registry's a050ad145b9e…: the file was changed/);
      expect((await datasetStatus()).find((d) => d.name === 'locust-al-pouzat-spontaneous')!.status).toBe('changed');
      rmSync(join(sub, 'locust20010217_Spontaneous_9_tetD_u9.txt'));
      expect((await datasetStatus()).find((d) => d.name === 'locust-al-pouzat-spontaneous')!.status).toBe('missing');
    } finally {
      if (saved === undefined) delete process.env.CONNFIT_DATA;
      else process.env.CONNFIT_DATA = saved;
      rmSync(data, { recursive: true, force: true });
    }
  });
});
