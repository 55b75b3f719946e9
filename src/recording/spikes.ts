/**
 * Spike trains to a recording: read spike-time files (one unit per file, one time per line) and count
 * the spikes of each unit in bins of width Δ, giving the samples × units recording the fit takes
 * (binned spikes as the network's signal, the mission's second kind of data).
 *
 * Bins are left-closed, [start + kΔ, start + (k+1)Δ). With trials (a recording made of repeated slots of
 * length P of which the first W were recorded, as in the locust set) each trial's window
 * [start + kP, start + kP + W) is binned and the trials are concatenated; a spike outside every bin
 * (before start, between windows, in a window's partial last bin, after the end) is counted as outside.
 */
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, extname, resolve } from 'node:path';
import { checkRegisteredHash } from '../datasets/registry.js';
import { InputError } from '../errors.js';
import type { Recording } from './types.js';

export interface SpikeTrain {
  /** Unit name (from the file name). */
  name: string;
  /** Spike times in the file's clock units, non-decreasing. */
  times: Float64Array;
  source: { path: string; sha256: string };
}

/** What a bin's value is: the spike count, the rate (count/Δ) or √count (Poisson variance ≈ 1/4 + 3/(32μ) at μ spikes per bin). */
export const BIN_VALUES = ['counts', 'rate', 'sqrt'] as const;
export type BinValues = (typeof BIN_VALUES)[number];

export interface BinOptions {
  /** Bin width Δ in time units (seconds when clockRate is given). */
  binWidth: number;
  /** Clock rate of the files' times (e.g. 15000 for sample indices at 15 kHz); times are divided by it. Default 1. */
  clockRate?: number;
  /** Left edge of the first bin (default 0, the files' time origin). */
  start?: number;
  /** Right end: only whole bins before it are kept (default: up to and including the last spike). */
  end?: number;
  /** Trial period P: trial k starts at start + kP. */
  trialPeriod?: number;
  /** Recorded part W ≤ P of each trial (default P). */
  trialWindow?: number;
  values?: BinValues;
}

export interface BinnedSpikes {
  recording: Recording;
  /** Trials concatenated (1 without trialPeriod) and whole bins per trial. */
  trials: number;
  binsPerTrial: number;
  /** Spikes per unit in the files, and of those the ones counted in a bin. */
  spikesPerUnit: number[];
  binnedPerUnit: number[];
  /** First and last spike over all units, in time units (undefined when no unit has a spike). */
  firstSpike?: number;
  lastSpike?: number;
  notes: string[];
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parse one spike-time file: one time per line; blank lines and lines starting with '#' are skipped. */
export function parseSpikeTimes(text: string, file: string): Float64Array {
  const times: number[] = [];
  const lines = text.split(/\r?\n/);
  let prevLine = 0;
  for (let k = 0; k < lines.length; k++) {
    const raw = lines[k];
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) continue;
    const column = raw.indexOf(s) + 1;
    if (!NUMBER.test(s)) {
      const what = /[\s,;]/.test(s) ? `'${s}' holds more than one value; expected one spike time per line` : `'${s}' is not a number; expected one spike time per line`;
      throw new InputError(what, { file, line: k + 1, column });
    }
    const t = Number(s);
    if (!Number.isFinite(t)) throw new InputError(`'${s}' is not a finite number`, { file, line: k + 1, column });
    if (times.length && t < times[times.length - 1]) {
      throw new InputError(`spike time ${s} comes after ${times[times.length - 1]} (line ${prevLine}); expected times in ascending order (one unit, one clock per file)`, { file, line: k + 1, column });
    }
    times.push(t);
    prevLine = k + 1;
  }
  return Float64Array.from(times);
}

/**
 * Read spike-time files, one unit each. Units are named by their file names with the extension and the
 * prefix common to all files (up to a '_', '-' or '.') removed: `…_tetD_u1.txt`, `…_tetD_u2.txt` → u1, u2.
 * They are ordered by name, numbers compared as numbers (u2 before u10), so a shell glob's order does not matter.
 */
export function readSpikeTrains(files: readonly string[]): SpikeTrain[] {
  if (files.length === 0) throw new InputError('no spike-time files given; expected one file per unit');
  const stems = files.map((f) => basename(f, extname(f)));
  const names = unitNamesFromStems(stems);
  const seen = new Map<string, string>();
  files.forEach((f, k) => {
    const other = seen.get(names[k]);
    if (other !== undefined) throw new InputError(`unit name '${names[k]}' is also the name of ${other}; expected one file per unit with distinct names`, { file: f });
    seen.set(names[k], f);
  });
  const trains = files.map((file, k): SpikeTrain => {
    let buf: Buffer;
    try {
      if (statSync(file).isDirectory()) throw new InputError('is a directory; give the spike-time files in it, one per unit (e.g. DIR/*_u*.txt)', { file });
      buf = readFileSync(file);
    } catch (err) {
      if (err instanceof InputError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? 'file not found; expected a spike-time file (one time per line)' : `cannot read the file (${code ?? String(err)})`, { file });
    }
    const sha256 = createHash('sha256').update(buf).digest('hex');
    checkRegisteredHash(file, sha256);
    return { name: names[k], times: parseSpikeTimes(buf.toString('utf8'), file), source: { path: resolve(file), sha256 } };
  });
  const collator = new Intl.Collator('en', { numeric: true });
  return trains.sort((a, b) => collator.compare(a.name, b.name));
}

/** File stems without the prefix they all share, cut after its last '_', '-' or '.'. */
function unitNamesFromStems(stems: string[]): string[] {
  if (stems.length < 2) return stems;
  let n = 0;
  while (stems.every((s) => n < s.length - 1 && s[n] === stems[0][n])) n++;
  const cut = Math.max(stems[0].lastIndexOf('_', n - 1), stems[0].lastIndexOf('-', n - 1), stems[0].lastIndexOf('.', n - 1)) + 1;
  return stems.map((s) => s.slice(cut));
}

/** Whole bins in a length (a length of 0.9999999999 bins is one bin: float rounding, not a partial bin). */
function wholeBins(length: number, width: number): number {
  return Math.floor(length / width + 1e-9);
}

/** Count each train's spikes in bins; see the module comment for the bins and trials. */
export function binSpikeTrains(trains: readonly SpikeTrain[], opts: BinOptions): BinnedSpikes {
  const { binWidth, clockRate = 1, start = 0, end, trialPeriod, values = 'counts' } = opts;
  // errors name the CLI flag of each option, as the rest of the library's input checks do
  const field = (name: string) => ({ field: name });
  if (!(binWidth > 0) || !Number.isFinite(binWidth)) throw new InputError(`bin width must be a positive number, got ${binWidth}`, field('--bin'));
  if (!(clockRate > 0) || !Number.isFinite(clockRate)) throw new InputError(`clock rate must be a positive number, got ${clockRate}`, field('--clock-rate'));
  if (!Number.isFinite(start)) throw new InputError(`start must be a finite time, got ${start}`, field('--start'));
  if (end !== undefined && !(end > start)) throw new InputError(`end ${end} must be after start ${start}`, field('--end'));
  if (trialPeriod !== undefined && (!(trialPeriod > 0) || !Number.isFinite(trialPeriod))) throw new InputError(`trial period must be a positive number, got ${trialPeriod}`, field('--trial-period'));
  if (opts.trialWindow !== undefined && trialPeriod === undefined) throw new InputError('a trial window needs a trial period', field('--trial-window'));
  const window = opts.trialWindow ?? trialPeriod;
  if (window !== undefined && trialPeriod !== undefined && !(window > 0 && window <= trialPeriod * (1 + 1e-12))) {
    throw new InputError(`trial window ${window} must be positive and at most the trial period ${trialPeriod}`, field('--trial-window'));
  }
  if (window !== undefined && wholeBins(window, binWidth) < 1) throw new InputError(`bin width ${binWidth} is longer than the trial window ${window}`, field('--bin'));

  // Spike times in time units (the files' clock divided by its rate).
  const times = trains.map((tr) => (clockRate === 1 ? tr.times : tr.times.map((t) => t / clockRate)));
  let first = Infinity;
  let last = -Infinity;
  for (const ts of times) {
    if (ts.length === 0) continue;
    first = Math.min(first, ts[0]);
    last = Math.max(last, ts[ts.length - 1]);
  }
  const anySpike = Number.isFinite(last);
  if (end === undefined && !anySpike) throw new InputError('no unit has a spike; give the end of the recording (--end) to bin empty trains', field('--end'));

  // Trials and bins per trial. Without trials the recording is one trial as long as the span.
  let trials: number;
  let binsPerTrial: number;
  if (trialPeriod !== undefined && window !== undefined) {
    binsPerTrial = wholeBins(window, binWidth);
    // every trial that holds a spike, or every trial whose window ends by `end`
    trials = end !== undefined ? Math.floor((end - start - window) / trialPeriod + 1e-9) + 1 : Math.floor((last - start) / trialPeriod) + 1;
    if (trials < 1) throw new InputError(end !== undefined ? `no whole trial window (${window}) fits between start ${start} and end ${end}` : `the last spike (${last}) is before start ${start}`, field(end !== undefined ? '--end' : '--start'));
  } else {
    trials = 1;
    binsPerTrial = end !== undefined ? wholeBins(end - start, binWidth) : Math.floor((last - start) / binWidth + 1e-9) + 1;
    if (binsPerTrial < 1) throw new InputError(end !== undefined ? `bin width ${binWidth} is longer than end − start = ${end - start}` : `the last spike (${last}) is before start ${start}`, field(end !== undefined ? '--bin' : '--start'));
  }

  const nUnits = trains.length;
  const nSamples = trials * binsPerTrial;
  const data = new Float64Array(nSamples * nUnits);
  const binnedPerUnit = new Array<number>(nUnits).fill(0);
  for (let i = 0; i < nUnits; i++) {
    for (const t of times[i]) {
      const rel = t - start;
      // the nudges keep a spike on a bin's or trial's left edge in it despite float rounding
      const trial = trialPeriod !== undefined ? Math.floor(rel / trialPeriod + 1e-9) : 0;
      if (trial < 0 || trial >= trials) continue;
      const bin = Math.floor((rel - trial * (trialPeriod ?? 0)) / binWidth + 1e-9);
      if (bin < 0 || bin >= binsPerTrial) continue;
      data[(trial * binsPerTrial + bin) * nUnits + i] += 1;
      binnedPerUnit[i]++;
    }
  }
  if (values !== 'counts') for (let k = 0; k < data.length; k++) data[k] = values === 'rate' ? data[k] / binWidth : Math.sqrt(data[k]);

  const spikesPerUnit = trains.map((tr) => tr.times.length);
  const notes: string[] = [];
  const silent = trains.filter((_, i) => binnedPerUnit[i] === 0).map((tr) => tr.name);
  if (silent.length) notes.push(`no spike in any bin for ${silent.join(', ')}: a constant unit, which the fit drops`);
  const outside = spikesPerUnit.reduce((a, v) => a + v, 0) - binnedPerUnit.reduce((a, v) => a + v, 0);
  if (outside > 0) notes.push(`${outside} spike(s) fall outside every bin (before start, between trial windows, in a partial last bin or after the end) and are not counted`);
  if (trials > 1) {
    notes.push(
      `${trials} trials are concatenated: the fit treats each of the ${trials - 1} junctions as one ordinary step of Δ = ${binWidth}, ` +
        `${trials - 1} of ${nSamples - 1} steps`,
    );
  }
  const recording: Recording = { data, nSamples, nUnits, dt: binWidth, unitNames: trains.map((tr) => tr.name) };
  return { recording, trials, binsPerTrial, spikesPerUnit, binnedPerUnit, ...(anySpike ? { firstSpike: first, lastSpike: last } : {}), notes };
}
