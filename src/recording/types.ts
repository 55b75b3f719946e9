/**
 * A recording: samples × units of one continuous signal per unit (ΔF/F, rates, binned spikes, or a
 * simulated network's x). Stored time-major in float64: value of unit i at sample t is
 * `data[t * nUnits + i]`.
 */
export interface Recording {
  data: Float64Array;
  nSamples: number;
  nUnits: number;
  /** Sampling interval in the user's time unit, when known (from a time column or an option). */
  dt?: number;
  unitNames: string[];
  /** Sample times when the file had a time column (isTimeColumnName) or a JSON "time". */
  time?: Float64Array;
  /** Units removed because they were constant (no information, zero variance). */
  droppedConstantUnits?: string[];
  /** Where it came from, for provenance in fit files. */
  source?: { path: string; sha256: string; format: string };
}

/** Units a time column's name may carry: `time_s`, `time (s)`, `t_ms`, `t [ms]`, `timestamp.sec`. */
const TIME_UNITS = 's|sec|secs|seconds?|ms|msec|milliseconds?|us|µs|μs|usec|microseconds?|ns|min|mins|minutes?|h|hr|hrs|hours?|frames?|samples?|steps?|tau|τ';
const TIME_NAME = new RegExp(`^(?:time|t|timestamps?)(?:[\\s_.-]+(?:${TIME_UNITS})|\\s*\\(\\s*(?:${TIME_UNITS})\\s*\\)|\\s*\\[\\s*(?:${TIME_UNITS})\\s*\\])?$`, 'iu');

/** The recognised time column names, for messages and help. */
export const TIME_COLUMN_NAMES = 'time, t, timestamp, alone or with a unit: time_s, time (s), t_ms, t [ms], time.sec';

/**
 * A CSV column (or, unit-by-time, row) of this name holds the sample times, not a unit: time, t or
 * timestamp, alone or followed by a time unit after _ - . or a space, or in () or [] (any case).
 */
export function isTimeColumnName(name: string): boolean {
  return TIME_NAME.test(name.trim());
}

/** Value of unit `i` at sample `t`. */
export function at(rec: Recording, t: number, i: number): number {
  return rec.data[t * rec.nUnits + i];
}

/** One unit's time series as a contiguous copy. */
export function unitSeries(rec: Recording, i: number): Float64Array {
  const out = new Float64Array(rec.nSamples);
  for (let t = 0; t < rec.nSamples; t++) out[t] = rec.data[t * rec.nUnits + i];
  return out;
}

/** Keep only the given unit indices (in the given order). */
export function selectUnits(rec: Recording, units: number[]): Recording {
  const n = units.length;
  const data = new Float64Array(rec.nSamples * n);
  for (let t = 0; t < rec.nSamples; t++) {
    const row = t * rec.nUnits;
    for (let k = 0; k < n; k++) data[t * n + k] = rec.data[row + units[k]];
  }
  return { ...rec, data, nUnits: n, unitNames: units.map((u) => rec.unitNames[u]) };
}

/** Means over consecutive blocks of k samples (a trailing partial block is dropped), sampled every k·dt. */
export function blockMeans(rec: Recording, k: number, dt: number): Recording {
  const n = rec.nUnits;
  const samples = Math.floor(rec.nSamples / k);
  const data = new Float64Array(samples * n);
  for (let t = 0; t < samples * k; t++) {
    const row = Math.floor(t / k) * n;
    for (let i = 0; i < n; i++) data[row + i] += rec.data[t * n + i] / k;
  }
  return { ...rec, data, nSamples: samples, dt: dt * k, time: undefined };
}
