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
  /** Sample times when the file had a `time`/`t` column. */
  time?: Float64Array;
  /** Units removed because they were constant (no information, zero variance). */
  droppedConstantUnits?: string[];
  /** Where it came from, for provenance in fit files. */
  source?: { path: string; sha256: string; format: string };
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
