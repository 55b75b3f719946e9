/**
 * Write a recording as CSV, NumPy `.npy` or JSON. Numbers are written with full precision (the
 * shortest text that reads back to the same float64), so `readRecording` returns identical values.
 * All writes are atomic (temporary file + rename, src/io/atomic.ts) and streamed in blocks of about 1 MB.
 */
import { endianness } from 'node:os';
import { extname } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { InputError } from '../errors.js';
import { isTimeColumnName, TIME_COLUMN_NAMES, type Recording } from './types.js';

const BLOCK = 1 << 20;

/** The formats a recording is written in. */
export const RECORDING_FORMATS = ['csv', 'npy', 'json'] as const;
export type RecordingFileFormat = (typeof RECORDING_FORMATS)[number];

/** The format an output path's extension names (.csv/.tsv/.txt, .npy, .json), if any. */
export function recordingFormatFromPath(path: string): RecordingFileFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  if (ext === '.npy') return 'npy';
  if (ext === '.json') return 'json';
  return undefined;
}

/**
 * The format to write `path` in: the one asked for, else the extension's. `warning` is set when both are
 * given and disagree.
 */
export function chooseRecordingFormat(path: string, asked: RecordingFileFormat | undefined, option = '--out'): { format: RecordingFileFormat; warning?: string } {
  const fromPath = recordingFormatFromPath(path);
  const format = asked ?? fromPath;
  if (!format) throw new InputError(`cannot tell the format from the extension of '${path}'; use .csv, .tsv, .npy or .json, or pass --format csv|npy|json`, { field: option });
  return { format, ...(asked && fromPath && fromPath !== asked ? { warning: `writing ${asked} to '${path}', whose extension suggests ${fromPath}` } : {}) };
}

/** Write a recording in the given format (atomically, as every writer here). */
export async function writeRecording(path: string, rec: Recording, format: RecordingFileFormat): Promise<void> {
  if (format === 'npy') await writeRecordingNpy(path, rec);
  else if (format === 'json') await writeRecordingJson(path, rec);
  else await writeRecordingCsv(path, rec);
}

function checkShape(rec: Recording): void {
  if (rec.data.length < rec.nSamples * rec.nUnits) {
    throw new RangeError(`recording data has ${rec.data.length} values, expected nSamples × nUnits = ${rec.nSamples * rec.nUnits}`);
  }
  if (rec.unitNames.length !== rec.nUnits) {
    throw new RangeError(`recording has ${rec.unitNames.length} unit names for ${rec.nUnits} units`);
  }
  if (rec.time && rec.time.length !== rec.nSamples) {
    throw new RangeError(`recording has ${rec.time.length} times for ${rec.nSamples} samples`);
  }
}

/** Shortest round-tripping text of a number; keeps the sign of -0. */
function num(v: number): string {
  return v === 0 && 1 / v < 0 ? '-0' : String(v);
}

/** Time of sample t: the recording's time, else t·dt. */
function sampleTime(rec: Recording, t: number): number {
  return rec.time ? rec.time[t] : t * (rec.dt as number);
}

/** Join row strings into blocks of about 1 MB. */
function* blocks(rows: Iterable<string>): Generator<string> {
  let parts: string[] = [];
  let size = 0;
  for (const row of rows) {
    parts.push(row);
    size += row.length;
    if (size >= BLOCK) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  if (parts.length) yield parts.join('');
}

/**
 * CSV (TSV for a .tsv path): header `time,<unit names>` when the recording has times or dt (time of
 * sample t is then `time[t]` or `t·dt`), else just the unit names; one line per sample.
 */
export async function writeRecordingCsv(path: string, rec: Recording): Promise<void> {
  checkShape(rec);
  const sep = extname(path).toLowerCase() === '.tsv' ? '\t' : ',';
  const withTime = rec.time !== undefined || rec.dt !== undefined;
  for (const name of rec.unitNames) {
    if (isTimeColumnName(name)) {
      throw new InputError(`unit name '${name}' would be read back as the time column; expected unit names other than ${TIME_COLUMN_NAMES}`, { file: path, field: 'unitNames' });
    }
  }
  const field = (s: string): string =>
    /[",\r\n\t]/.test(s) || s !== s.trim() || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
  const { data, nUnits, nSamples } = rec;
  function* rows(): Generator<string> {
    yield (withTime ? ['time', ...rec.unitNames] : rec.unitNames).map(field).join(sep) + '\n';
    for (let t = 0; t < nSamples; t++) {
      let line = withTime ? num(sampleTime(rec, t)) : '';
      const base = t * nUnits;
      for (let i = 0; i < nUnits; i++) {
        if (withTime || i > 0) line += sep;
        line += num(data[base + i]);
      }
      yield line + '\n';
    }
  }
  await writeFileAtomic(path, blocks(rows()));
}

/** NumPy .npy version 1.0, dtype '<f8', C order, shape (samples, units). Names and dt are not stored. */
export async function writeRecordingNpy(path: string, rec: Recording): Promise<void> {
  checkShape(rec);
  const { nSamples, nUnits } = rec;
  const count = nSamples * nUnits;
  let dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${nSamples}, ${nUnits}), }`;
  // Pad with spaces so that magic (6) + version (2) + length (2) + header is a multiple of 64.
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict + ' '.repeat(total - 10 - dict.length - 1) + '\n';
  const head = Buffer.alloc(10);
  head[0] = 0x93;
  head.write('NUMPY', 1, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  const data = rec.data.subarray(0, count);
  function* chunks(): Generator<Uint8Array> {
    yield head;
    yield Buffer.from(dict, 'latin1');
    const per = BLOCK / 8;
    for (let k = 0; k < count; k += per) {
      const part = data.subarray(k, Math.min(count, k + per));
      if (endianness() === 'LE') {
        yield new Uint8Array(part.buffer, part.byteOffset, part.byteLength);
      } else {
        const buf = Buffer.alloc(part.length * 8);
        for (let j = 0; j < part.length; j++) buf.writeDoubleLE(part[j], j * 8);
        yield buf;
      }
    }
  }
  await writeFileAtomic(path, chunks());
}

/**
 * JSON `{ "dt"?, "unitNames", "time"?, "data": [[...], ...] }`, rows = samples, as read by
 * `readRecording`. JSON has no NaN or ±Inf, so those are an error.
 */
export async function writeRecordingJson(path: string, rec: Recording): Promise<void> {
  checkShape(rec);
  const { data, nUnits, nSamples } = rec;
  for (let k = 0; k < nSamples * nUnits; k++) {
    if (!Number.isFinite(data[k])) {
      const t = Math.floor(k / nUnits);
      throw new InputError(`value ${data[k]} of unit '${rec.unitNames[k - t * nUnits]}' at sample ${t} cannot be written to JSON; expected finite numbers`, { file: path });
    }
  }
  function* rows(): Generator<string> {
    let head = '{\n';
    if (rec.dt !== undefined) head += `"dt": ${num(rec.dt)},\n`;
    head += `"unitNames": ${JSON.stringify(rec.unitNames)},\n`;
    yield head;
    if (rec.time) {
      const time = rec.time;
      yield '"time": [';
      for (let t = 0; t < nSamples; t++) yield (t ? ',' : '') + num(time[t]);
      yield '],\n';
    }
    yield '"data": [\n';
    for (let t = 0; t < nSamples; t++) {
      let line = '[';
      const base = t * nUnits;
      for (let i = 0; i < nUnits; i++) line += (i ? ',' : '') + num(data[base + i]);
      yield line + (t < nSamples - 1 ? '],\n' : ']\n');
    }
    yield ']\n}\n';
  }
  await writeFileAtomic(path, blocks(rows()));
}
