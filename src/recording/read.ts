/**
 * Read a recording (samples × units) from CSV/TSV/TXT, NumPy `.npy` or JSON, validate it and return it
 * time-major in float64. Every problem with the file is an `InputError` naming the file and the line and
 * column (CSV), the array element (npy) or the field path (JSON), and what was expected.
 *
 * CSV is read in streaming mode. Plain numeric files (no quote characters) go through a byte-level
 * scanner that converts numbers without allocating a string per cell; files with quoted fields go
 * through `csv-parse` (streaming, `cast: false`). Both give identical results and messages.
 */
import { accessSync, constants, createReadStream, closeSync, openSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import { extname, resolve } from 'node:path';
import { parse as csvParse, CsvError } from 'csv-parse';
import { z } from 'zod';
import { InputError, type ErrorLocation } from '../errors.js';
import { parseJson, parseWithSchema } from '../io/json.js';
import { checkRegisteredHash } from '../datasets/registry.js';
import { isTimeColumnName, TIME_COLUMN_NAMES, type Recording } from './types.js';

export type RecordingFormat = 'csv' | 'npy' | 'json';
export type RecordingLayout = 'time-by-unit' | 'unit-by-time';

export interface ReadOptions {
  /** File format; default from the extension: .csv/.tsv/.txt → csv, .npy → npy, .json → json. */
  format?: RecordingFormat;
  /** `time-by-unit` (default): rows are samples, columns units. `unit-by-time`: rows are units. */
  layout?: RecordingLayout;
  /**
   * CSV only. true (default): time-by-unit files start with a header row of unit names; unit-by-time
   * files have the unit name in the first column of each row. false: a bare numeric matrix, units
   * named u0, u1, ...
   */
  header?: boolean;
  /** Sampling interval. If the file also has a time column, both must agree to 1e-6 relative. */
  dt?: number;
  /** Minimum number of samples the caller needs (after reading); fewer is an error. */
  minSamples?: number;
  /** Keep only these units (by name, in this order). */
  units?: string[];
  /**
   * CSV parser: 'auto' (default) scans plain numeric files with a fast built-in scanner and uses
   * csv-parse when the file contains quotes; 'csv-parse' always uses csv-parse (slower).
   */
  csvEngine?: 'auto' | 'csv-parse';
}

/** Relative tolerance for time-column uniformity and for the agreement of a given dt with the file. */
const DT_RTOL = 1e-6;
const DT_ATOL = 1e-9;

/** Read, validate and return a recording. */
export async function readRecording(path: string, opts: ReadOptions = {}): Promise<Recording> {
  const file = path;
  checkOptions(file, opts);
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file; expected a recording (.csv, .tsv, .txt, .npy or .json)' : `cannot read the file (${code ?? String(err)})`, { file });
  }
  if (!st.isFile()) throw new InputError('not a regular file; expected a recording (.csv, .tsv, .txt, .npy or .json)', { file });
  try {
    // up front: the CSV readers stream, and a refused open would surface mid-stream as an internal error
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new InputError(`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)}: check its permissions)`, { file });
  }
  const format = opts.format ?? formatFromExtension(file);
  const layout = opts.layout ?? 'time-by-unit';
  const header = opts.header ?? true;

  let table: Table;
  let sha256: string;
  if (format === 'csv') {
    const delimiter = csvDelimiter(path);
    const args: CsvArgs = { path, file, delimiter, headerRow: header && layout === 'time-by-unit', nameColumn: header && layout === 'unit-by-time', size: st.size };
    let res: { table: Table; sha256: string } | undefined;
    if (opts.csvEngine !== 'csv-parse') {
      try {
        res = await readCsvFast(args);
      } catch (err) {
        if (err !== NEEDS_CSV_PARSE) throw err;
      }
    }
    res ??= await readCsvGeneral(args);
    table = res.table;
    sha256 = res.sha256;
  } else {
    let buf: Buffer;
    try {
      ({ buf, sha256 } = await readHashed(path));
    } catch (err) {
      throw new InputError(`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file });
    }
    table = format === 'npy' ? readNpy(buf, file) : readJson(buf, file);
  }
  checkRegisteredHash(path, sha256);
  const rec = assemble(table, file, layout, opts);
  rec.source = { path: resolve(path), sha256, format };
  return rec;
}

/**
 * The whole file and its SHA-256, hashing each chunk while the next one is read, so hashing costs
 * little beyond the read itself.
 */
async function readHashed(path: string): Promise<{ buf: Buffer; sha256: string }> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(size);
    const hash = createHash('sha256');
    const chunk = 8 << 20;
    let pending = size > 0 ? fh.read(buf, 0, Math.min(chunk, size), 0) : undefined;
    let offset = 0;
    while (pending) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) throw new Error('file shrank while reading');
      const start = offset;
      offset += bytesRead;
      pending = offset < size ? fh.read(buf, offset, Math.min(chunk, size - offset), offset) : undefined;
      hash.update(buf.subarray(start, offset));
    }
    return { buf, sha256: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}

function checkOptions(file: string, opts: ReadOptions): void {
  if (opts.format !== undefined && !['csv', 'npy', 'json'].includes(opts.format)) {
    throw new InputError(`format must be csv, npy or json, got '${String(opts.format)}'`, { file, field: 'format' });
  }
  if (opts.layout !== undefined && opts.layout !== 'time-by-unit' && opts.layout !== 'unit-by-time') {
    throw new InputError(`layout must be time-by-unit or unit-by-time, got '${String(opts.layout)}'`, { file, field: 'layout' });
  }
  if (opts.dt !== undefined && !(Number.isFinite(opts.dt) && opts.dt > 0)) {
    throw new InputError(`dt must be a finite number > 0, got ${opts.dt}`, { file, field: 'dt' });
  }
  if (opts.minSamples !== undefined && !(Number.isInteger(opts.minSamples) && opts.minSamples >= 0)) {
    throw new InputError(`minSamples must be a whole number >= 0, got ${opts.minSamples}`, { file, field: 'minSamples' });
  }
  if (opts.units !== undefined) {
    const seen = new Set<string>();
    for (const u of opts.units) {
      if (seen.has(u)) throw new InputError(`unit '${u}' is listed twice; expected distinct unit names`, { file, field: 'units' });
      seen.add(u);
    }
  }
}

function formatFromExtension(file: string): RecordingFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  if (ext === '.npy') return 'npy';
  if (ext === '.json') return 'json';
  throw new InputError(
    `cannot tell the format from the extension '${ext || '(none)'}'; expected .csv, .tsv, .txt, .npy or .json, or give the format (csv, npy, json) explicitly`,
    { file, field: 'format' },
  );
}

// ---------------------------------------------------------------------------------------------------
// The parsed matrix, before layout, time column, unit selection and constant-unit handling.

interface Table {
  /** Row-major as in the file: nRows × nCols numeric cells (name column excluded). */
  values: Float64Array;
  nRows: number;
  nCols: number;
  /** Names of the numeric columns (CSV header row, JSON unitNames for time-by-unit). */
  colNames?: string[];
  /** Names of the rows (CSV first column in unit-by-time layout, JSON unitNames for unit-by-time). */
  rowNames?: string[];
  /** Where cell (row, col) is in the file. */
  loc(row: number, col: number): ErrorLocation;
  /** Where the name of column `col` / row `row` is. */
  nameLoc(kind: 'col' | 'row', index: number): ErrorLocation;
  /** csv: look for a time column (or row) among the names, check the names. */
  format: RecordingFormat;
  /** Values were not checked for NaN/±Inf while parsing. */
  checkFinite: boolean;
  /** Sample times given separately (JSON `time`). */
  time?: { values: Float64Array; loc(k: number): ErrorLocation; name: string };
  /** dt given in the file (JSON `dt`). */
  dt?: { value: number; loc: ErrorLocation };
  /** Wording for a file without data. */
  emptyMessage: string;
  emptyLoc: ErrorLocation;
}

// ---------------------------------------------------------------------------------------------------
// CSV

interface CsvArgs {
  path: string;
  file: string;
  delimiter: string;
  /** First non-empty line holds the unit names. */
  headerRow: boolean;
  /** First field of each row is the unit name (unit-by-time with header). */
  nameColumn: boolean;
  size: number;
}

/** Thrown by the fast scanner when the file needs a real CSV parser (quotes, bare CR). */
const NEEDS_CSV_PARSE = Symbol('needs csv-parse');

function csvDelimiter(path: string): string {
  const ext = extname(path).toLowerCase();
  if (ext === '.tsv') return '\t';
  // Sniff the first non-empty line: comma if it has one, else tab, else (.txt) space.
  const buf = Buffer.alloc(65536);
  let n = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return ',';
  }
  const text = buf.toString('utf8', 0, n);
  const first = text.split(/\r?\n|\r/).find((l) => l.trim() !== '') ?? '';
  if (first.includes(',')) return ',';
  if (first.includes('\t')) return '\t';
  if (ext === '.txt' && first.trim().includes(' ')) return ' ';
  return ',';
}

const NONFINITE_RE = /^[+-]?(?:nan|inf|infinity)$/i;

/** A cell's number, or NaN if the text is not a finite number. */
function parseCell(text: string): number {
  // Number() also reads hexadecimal, binary and octal literals ('0x10' is 16): not data.
  if (text === '' || /^[+-]?0[xXbBoO]/.test(text)) return NaN;
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}

/** The error for a cell that `parseCell` rejected. */
function cellError(text: string, loc: ErrorLocation, what: string): InputError {
  if (text === '') return new InputError(`empty cell${what}; expected a number`, loc);
  const v = Number(text);
  if (NONFINITE_RE.test(text) || (!Number.isNaN(v) && !Number.isFinite(v))) {
    return new InputError(`${quote(text)}${what} is not a finite number; expected a finite number (NaN and ±Inf are not allowed)`, loc);
  }
  return new InputError(`expected a number${what}, got ${quote(text)}`, loc);
}

function quote(text: string): string {
  return `'${text.length > 40 ? text.slice(0, 40) + '…' : text}'`;
}

/** Growable storage of the numeric cells and of the file line of each row. */
class CellStore {
  values: Float64Array;
  n = 0;
  lines: Int32Array;
  nRows = 0;
  names: string[] = [];
  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(capacity, 1024));
    this.lines = new Int32Array(1024);
  }
  reserve(extra: number): void {
    if (this.n + extra <= this.values.length) return;
    let cap = this.values.length * 2;
    while (cap < this.n + extra) cap *= 2;
    const next = new Float64Array(cap);
    next.set(this.values.subarray(0, this.n));
    this.values = next;
  }
  addRow(line: number): void {
    if (this.nRows === this.lines.length) {
      const next = new Int32Array(this.lines.length * 2);
      next.set(this.lines);
      this.lines = next;
    }
    this.lines[this.nRows++] = line;
  }
  finish(): Float64Array {
    return this.n === this.values.length ? this.values : this.values.slice(0, this.n);
  }
}

function csvTable(args: CsvArgs, store: CellStore, header: string[] | undefined, headerLine: number, nCols: number): Table {
  const { file, nameColumn } = args;
  const colOffset = nameColumn ? 1 : 0;
  const lines = store.lines;
  return {
    values: store.finish(),
    nRows: store.nRows,
    nCols: store.nRows === 0 ? 0 : nCols,
    colNames: header,
    rowNames: nameColumn ? store.names : undefined,
    loc: (row, col) => ({ file, line: lines[row], column: colOffset + col + 1 }),
    nameLoc: (kind, i) => (kind === 'col' ? { file, line: headerLine, column: i + 1 } : { file, line: lines[i], column: 1 }),
    format: 'csv',
    checkFinite: false,
    emptyMessage: args.headerRow
      ? 'no data rows; expected a header line of unit names followed by lines of numbers'
      : 'no data rows; expected lines of numbers',
    emptyLoc: { file },
  };
}

function raggedError(file: string, line: number, got: number, expected: number, headerLine: number): InputError {
  const basis = headerLine > 0 ? `as in the header on line ${headerLine}` : 'as in the first data line';
  return new InputError(`line ${line} has ${got} fields, expected ${expected} (${basis})`, { file, line });
}

const P10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Byte-level streaming scanner for plain numeric CSV. Decimal numbers with at most 15 significant
 * digits and a decimal exponent within ±22 are converted exactly (m·10^e or m/10^e with exact m and
 * 10^e is one correctly rounded operation); anything else goes through `Number(text)`, so results are
 * bit-identical to `Number()` on every cell. Throws NEEDS_CSV_PARSE on a quote or a bare CR.
 */
async function readCsvFast(args: CsvArgs): Promise<{ table: Table; sha256: string }> {
  const { path, file, headerRow, nameColumn, size } = args;
  const d = args.delimiter.charCodeAt(0);
  const hash = createHash('sha256');
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let store: CellStore | undefined;
  let header: string[] | undefined;
  let headerLine = 0;
  let expected = -1; // numeric fields per line
  let lineNo = 0;
  let pending: Buffer[] = [];
  let first = true;

  const isWs = (c: number): boolean => (c === 32 || c === 9) && c !== d;

  const fieldCount = (b: Buffer, s: number, e: number): number => {
    let k = 1;
    for (let i = s; i < e; i++) if (b[i] === d) k++;
    return k;
  };

  const slowCell = (b: Buffer, s: number, e: number, line: number, col: number, what: () => string): number => {
    const text = b.toString('utf8', s, e).trim();
    if (text.includes('\r')) throw NEEDS_CSV_PARSE;
    const v = parseCell(text);
    if (v !== v) throw cellError(text, { file, line, column: col }, what());
    return v;
  };

  const processLine = (b: Buffer, s: number, e: number): void => {
    lineNo++;
    if (e > s && b[e - 1] === 13) e--;
    let i = s;
    while (i < e && (b[i] === 32 || b[i] === 9 || b[i] === 13)) i++;
    if (i === e) return; // empty or blank line
    if (headerRow && headerLine === 0) {
      headerLine = lineNo;
      const text = b.toString('utf8', s, e);
      if (text.includes('\r')) throw NEEDS_CSV_PARSE;
      header = text.split(args.delimiter).map((x) => x.trim());
      expected = header.length;
      return;
    }
    if (!store) {
      // Estimate the number of cells from the file size and the first data line.
      const perLine = fieldCount(b, s, e);
      const estRows = Math.ceil(size / Math.max(1, e - s + 1));
      store = new CellStore(Math.min(Math.ceil(perLine * estRows * 1.05) + perLine, 1 << 28));
    }
    const st = store;
    const line = lineNo;
    const rowIndex = st.nRows;
    i = s;
    let colBase = 0; // file column (0-based) of the first numeric field
    if (nameColumn) {
      let j = s;
      while (j < e && b[j] !== d) j++;
      const name = b.toString('utf8', s, j).trim();
      if (name.includes('\r')) throw NEEDS_CSV_PARSE;
      st.names.push(name);
      i = j < e ? j + 1 : e;
      colBase = 1;
      if (j === e) {
        // Only a name on this line.
        if (expected < 0) expected = 0;
        if (expected !== 0) throw raggedError(file, line, 1, expected + 1, headerLine);
        st.addRow(line);
        return;
      }
    }
    const limit = expected >= 0 ? expected : e - i + 1;
    st.reserve(limit);
    const vals = st.values;
    let n = st.n;
    let col = 0;
    const what = (): string => {
      const c = col;
      if (header && c < header.length) return ` (column '${header[c]}')`;
      if (nameColumn) return ` (unit '${st.names[rowIndex]}')`;
      return '';
    };
    for (;;) {
      if (col >= limit) throw raggedError(file, line, fieldCount(b, s, e), expected + colBase, headerLine);
      while (i < e && isWs(b[i])) i++;
      const fs = i;
      let c = b[i];
      let neg = false;
      if (c === 45) {
        neg = true;
        i++;
      } else if (c === 43) i++;
      let m = 0;
      let nd = 0; // significant digits
      let digits = 0;
      let ex = 0;
      while (i < e) {
        c = b[i];
        if (c < 48 || c > 57) break;
        if (nd > 0 || c !== 48) nd++;
        m = m * 10 + (c - 48);
        digits++;
        i++;
      }
      if (i < e && b[i] === 46) {
        i++;
        while (i < e) {
          c = b[i];
          if (c < 48 || c > 57) break;
          if (nd > 0 || c !== 48) nd++;
          m = m * 10 + (c - 48);
          digits++;
          ex--;
          i++;
        }
      }
      let ok = digits > 0;
      if (ok && i < e && (b[i] === 101 || b[i] === 69)) {
        i++;
        let eneg = false;
        if (b[i] === 45) {
          eneg = true;
          i++;
        } else if (b[i] === 43) i++;
        let ev = 0;
        let ed = 0;
        while (i < e) {
          c = b[i];
          if (c < 48 || c > 57) break;
          if (ev < 100000) ev = ev * 10 + (c - 48);
          ed++;
          i++;
        }
        if (ed === 0) ok = false;
        ex += eneg ? -ev : ev;
      }
      while (i < e && isWs(b[i])) i++;
      let v: number;
      if (ok && nd <= 15 && ex >= -22 && ex <= 22 && (i === e || b[i] === d)) {
        v = ex >= 0 ? m * P10[ex] : m / P10[-ex];
        if (neg) v = -v;
      } else {
        let j = fs;
        while (j < e && b[j] !== d) j++;
        st.n = n;
        v = slowCell(b, fs, j, line, colBase + col + 1, what);
        i = j;
      }
      vals[n++] = v;
      col++;
      if (i >= e) break;
      i++; // the delimiter
      if (i === e) {
        // Trailing delimiter: an empty last field.
        if (col >= limit) throw raggedError(file, line, fieldCount(b, s, e), expected + colBase, headerLine);
        throw cellError('', { file, line, column: colBase + col + 1 }, what());
      }
    }
    if (expected < 0) expected = col;
    else if (col !== expected) throw raggedError(file, line, col + colBase, expected + colBase, headerLine);
    st.n = n;
    st.addRow(line);
  };

  try {
    for await (const raw of stream) {
      let chunk = raw as Buffer;
      hash.update(chunk);
      if (chunk.indexOf(34) !== -1) throw NEEDS_CSV_PARSE; // a quote: let csv-parse handle it
      if (first) {
        first = false;
        if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      }
      // A line can span many chunks (unit-by-time files): keep them until its end, then join once.
      let nl = chunk.indexOf(10);
      if (nl < 0) {
        pending.push(chunk);
        continue;
      }
      if (pending.length) {
        const before = pending.reduce((a, c) => a + c.length, 0);
        pending.push(chunk);
        chunk = Buffer.concat(pending);
        pending = [];
        nl += before;
      }
      let pos = 0;
      while (nl >= 0) {
        processLine(chunk, pos, nl);
        pos = nl + 1;
        nl = chunk.indexOf(10, pos);
      }
      if (pos < chunk.length) pending.push(chunk.subarray(pos));
    }
    if (pending.length) {
      const rest = Buffer.concat(pending);
      processLine(rest, 0, rest.length);
    }
  } finally {
    stream.destroy();
  }
  const st = store ?? new CellStore(0);
  return { table: csvTable(args, st, header, headerLine, Math.max(expected, 0)), sha256: hash.digest('hex') };
}

/** General CSV path: csv-parse in streaming mode (quoted fields, any line endings). */
async function readCsvGeneral(args: CsvArgs): Promise<{ table: Table; sha256: string }> {
  const { path, file, headerRow, nameColumn, size } = args;
  const hash = createHash('sha256');
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  stream.on('data', (chunk) => hash.update(chunk as Buffer));
  const parser = csvParse({
    delimiter: args.delimiter,
    cast: false,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    bom: true,
    info: true,
  });
  stream.on('error', (err) => parser.destroy(err));
  stream.pipe(parser);
  let store: CellStore | undefined;
  let header: string[] | undefined;
  let headerLine = 0;
  let expected = -1;
  const colBase = nameColumn ? 1 : 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const record = item.record;
      const line = item.info.lines;
      if (record.length === 1 && record[0] === '') continue; // blank line
      if (headerRow && headerLine === 0) {
        headerLine = line;
        header = record;
        expected = header.length;
        continue;
      }
      if (!store) {
        const estRows = Math.ceil(size / Math.max(1, record.join(',').length + 1));
        store = new CellStore(Math.min(Math.ceil(record.length * estRows * 1.05) + record.length, 1 << 28));
      }
      const st = store;
      const nNum = record.length - colBase;
      if (expected < 0) expected = nNum;
      else if (nNum !== expected) throw raggedError(file, line, record.length, expected + colBase, headerLine);
      if (nameColumn) st.names.push(record[0]);
      st.reserve(nNum);
      const vals = st.values;
      let n = st.n;
      for (let k = 0; k < nNum; k++) {
        const text = record[k + colBase];
        const v = parseCell(text);
        if (v !== v) {
          const what = header && k < header.length ? ` (column '${header[k]}')` : nameColumn ? ` (unit '${record[0]}')` : '';
          throw cellError(text, { file, line, column: colBase + k + 1 }, what);
        }
        vals[n++] = v;
      }
      st.n = n;
      st.addRow(line);
    }
  } catch (err) {
    if (err instanceof CsvError) {
      const e = err as CsvError & { lines?: number };
      throw new InputError(`cannot parse the CSV: ${e.message}`, { file, line: e.lines });
    }
    throw err;
  } finally {
    stream.destroy();
    parser.destroy();
  }
  const st = store ?? new CellStore(0);
  return { table: csvTable(args, st, header, headerLine, Math.max(expected, 0)), sha256: hash.digest('hex') };
}

// ---------------------------------------------------------------------------------------------------
// NumPy .npy

const NPY_DTYPES: Record<string, { size: number; kind: 'f4' | 'f8' | 'i4' | 'i8' }> = {
  '<f8': { size: 8, kind: 'f8' },
  '<f4': { size: 4, kind: 'f4' },
  '<i4': { size: 4, kind: 'i4' },
  '<i8': { size: 8, kind: 'i8' },
};

function readNpy(buf: Buffer, file: string): Table {
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new InputError('not a NumPy .npy file; expected the magic bytes \\x93NUMPY at the start', { file });
  }
  const major = buf[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new InputError('truncated .npy header', { file });
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new InputError(`unsupported .npy format version ${major}.${buf[7]}; expected 1.0, 2.0 or 3.0`, { file });
  }
  if (start + headerLen > buf.length) throw new InputError('truncated .npy header', { file });
  const headerText = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descrM = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(headerText);
  if (!descrM) {
    throw new InputError(`unsupported dtype in header ${headerText.trim()}; expected a plain little-endian number type ('<f8', '<f4', '<i4' or '<i8'), not a structured array`, { file, field: 'descr' });
  }
  const descr = descrM[1];
  const dtype = NPY_DTYPES[descr];
  if (!dtype) {
    throw new InputError(`unsupported dtype '${descr}'; expected little-endian float64 '<f8', float32 '<f4', int32 '<i4' or int64 '<i8'`, { file, field: 'descr' });
  }
  const fortranM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(headerText);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(headerText);
  if (!fortranM || !shapeM) throw new InputError(`malformed .npy header ${headerText.trim()}; expected descr, fortran_order and shape`, { file });
  const fortran = fortranM[1] === 'True';
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.length !== 2 || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new InputError(`expected a 2-D array (samples × units), got shape (${shapeM[1].trim()})`, { file, field: 'shape' });
  }
  const [nRows, nCols] = shape;
  const count = nRows * nCols;
  const dataStart = start + headerLen;
  const need = count * dtype.size;
  if (buf.length - dataStart < need) {
    throw new InputError(`file is truncated: shape (${nRows}, ${nCols}) of '${descr}' needs ${need} bytes of data, found ${buf.length - dataStart}`, { file });
  }
  let bytes: Uint8Array = buf.subarray(dataStart, dataStart + need);
  if (bytes.byteOffset % dtype.size !== 0) bytes = new Uint8Array(bytes); // copy to an aligned buffer
  const raw = readTyped(bytes, dtype.kind, count);
  let values: Float64Array;
  if (!fortran) {
    values = raw;
  } else {
    values = new Float64Array(count);
    for (let c = 0; c < nCols; c++) {
      const base = c * nRows;
      for (let r = 0; r < nRows; r++) values[r * nCols + c] = raw[base + r];
    }
  }
  return {
    values,
    nRows,
    nCols,
    loc: (row, col) => ({ file, field: `element [${row}, ${col}]` }),
    nameLoc: () => ({ file }),
    format: 'npy',
    checkFinite: true,
    emptyMessage: `no data rows; shape (${nRows}, ${nCols}) is empty`,
    emptyLoc: { file, field: 'shape' },
  };
}

function readTyped(bytes: Uint8Array, kind: 'f4' | 'f8' | 'i4' | 'i8', count: number): Float64Array {
  if (endianness() !== 'LE') {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      if (kind === 'f8') out[k] = dv.getFloat64(k * 8, true);
      else if (kind === 'f4') out[k] = dv.getFloat32(k * 4, true);
      else if (kind === 'i4') out[k] = dv.getInt32(k * 4, true);
      else out[k] = Number(dv.getBigInt64(k * 8, true));
    }
    return out;
  }
  switch (kind) {
    case 'f8':
      // A view, not a copy: the file buffer is ours and the data are aligned (checked by the caller).
      return new Float64Array(bytes.buffer, bytes.byteOffset, count);
    case 'f4':
      return Float64Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, count));
    case 'i4':
      return Float64Array.from(new Int32Array(bytes.buffer, bytes.byteOffset, count));
    case 'i8': {
      const src = new BigInt64Array(bytes.buffer, bytes.byteOffset, count);
      const out = new Float64Array(count);
      for (let k = 0; k < count; k++) out[k] = Number(src[k]);
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// JSON

// JSON has no NaN or ±Inf, but 1e999 parses to Infinity.
const finite = z.number({ error: (iss) => (typeof iss.input === 'number' ? `expected a finite number, got ${iss.input} (NaN and ±Inf are not allowed)` : undefined) });

// Strict: a misnamed key ("units" for "unitNames") would be dropped and the units renamed u0, u1, …
const JsonRecordingSchema = z.strictObject({
  dt: z.number().positive().optional(),
  unitNames: z.array(z.string()).optional(),
  time: z.array(finite).optional(),
  data: z.array(z.array(finite)),
});


function readJson(buf: Buffer, file: string): Table {
  const text = buf.toString('utf8');
  if (text.trim() === '') throw new InputError('empty file; expected a JSON object with a "data" array of rows', { file });
  const raw = parseJson(text, 'a JSON object with a "data" array of rows', { file });
  if (raw !== null && typeof raw === 'object' && (raw as { schema?: unknown }).schema === 'connfit.fit')
    throw new InputError('this is a connfit fit file ("schema": "connfit.fit"), not a recording; predict, forecast and dimension take fit files', { file });
  const j = parseWithSchema(JsonRecordingSchema, raw, { file }, '{ "dt"?: number, "unitNames"?: string[], "time"?: number[], "data": number[][] }');
  const nRows = j.data.length;
  const nCols = nRows ? j.data[0].length : 0;
  const values = new Float64Array(nRows * nCols);
  for (let r = 0; r < nRows; r++) {
    const row = j.data[r];
    if (row.length !== nCols) {
      throw new InputError(`data[${r}] has ${row.length} values, expected ${nCols} (as data[0])`, { file, field: `data[${r}]` });
    }
    for (let c = 0; c < nCols; c++) values[r * nCols + c] = row[c];
  }
  return {
    values,
    nRows,
    nCols,
    // unitNames are assigned to rows or columns in assemble(), by layout.
    colNames: j.unitNames,
    rowNames: j.unitNames,
    loc: (row, col) => ({ file, field: `data[${row}][${col}]` }),
    nameLoc: (_kind, i) => ({ file, field: `unitNames[${i}]` }),
    format: 'json',
    checkFinite: true,
    time: j.time ? { values: Float64Array.from(j.time), loc: (k) => ({ file, field: `time[${k}]` }), name: 'time' } : undefined,
    dt: j.dt !== undefined ? { value: j.dt, loc: { file, field: 'dt' } } : undefined,
    emptyMessage: 'no data rows; expected "data" to hold at least one row of numbers',
    emptyLoc: { file, field: 'data' },
  };
}

// ---------------------------------------------------------------------------------------------------
// Common validation and assembly

function listNames(names: string[], max = 10): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … (${names.length - max} more)`;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Names that look like a row of data: all plain decimal numbers, with a point or an exponent in one of
 * them or a repeat among them. Distinct whole numbers stay names (neuron IDs "101, 205, 317"); a data
 * row read as a header has a non-integer value or, with counts, repeats.
 */
function looksLikeDataRow(names: string[]): boolean {
  if (names.length === 0 || !names.every((s) => DECIMAL.test(s))) return false;
  return names.some((s) => /[.eE]/.test(s)) || new Set(names).size < names.length;
}

function assemble(t: Table, file: string, layout: RecordingLayout, opts: ReadOptions): Recording {
  if (t.nRows === 0) throw new InputError(t.emptyMessage, t.emptyLoc);
  if (t.nCols === 0) {
    throw new InputError(layout === 'unit-by-time' ? 'no samples; expected each row to hold a unit name followed by numbers' : t.emptyMessage, t.emptyLoc);
  }
  const unitByTime = layout === 'unit-by-time';
  const { values, nRows, nCols } = t;

  if (t.checkFinite) {
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      // v − v is 0 for finite v and NaN for NaN/±Inf: cheaper than Number.isFinite in this hot loop.
      if (v - v !== 0) {
        const row = Math.floor(k / nCols);
        throw new InputError(`value is ${v}; expected a finite number (NaN and ±Inf are not allowed)`, t.loc(row, k - row * nCols));
      }
    }
  }

  // Names along the unit axis, as given by the file (undefined: u0, u1, ...).
  const nAxis = unitByTime ? nRows : nCols;
  const nSamples = unitByTime ? nCols : nRows;
  const kind: 'col' | 'row' = unitByTime ? 'row' : 'col';
  const given = unitByTime ? t.rowNames : t.colNames;
  if (given) {
    if (given.length !== nAxis) {
      throw new InputError(`has ${given.length} unit names but the data has ${nAxis} units; expected one name per unit`, { file, field: 'unitNames' });
    }
    if (t.format === 'csv' && looksLikeDataRow(given)) {
      const where = unitByTime ? 'the first column looks like data, not unit names' : 'the header line looks like data, not unit names';
      throw new InputError(`${where} (e.g. '${given[0]}'); for a file without unit names pass header: false (CLI: --no-header)`, t.nameLoc(kind, 0));
    }
    const seen = new Map<string, number>();
    for (let i = 0; i < given.length; i++) {
      const name = given[i];
      if (name === '') throw new InputError('empty unit name; expected a name for every unit (or header: false / --no-header for a file without names)', t.nameLoc(kind, i));
      const prev = seen.get(name);
      if (prev !== undefined) {
        // Positions in the file's own terms: a unit index would be off by the time column, if any.
        const where = (k: number) => {
          const loc = t.nameLoc(kind, k);
          return loc.field ?? (kind === 'col' ? `column ${loc.column}` : `line ${loc.line}`);
        };
        throw new InputError(`duplicate unit name '${name}' (${where(prev)} and ${where(i)}); expected distinct names`, t.nameLoc(kind, i));
      }
      seen.set(name, i);
    }
  }
  const names = given ?? Array.from({ length: nAxis }, (_, i) => `u${i}`);

  // Time column (time-by-unit) or time row (unit-by-time).
  let timeIndex = -1;
  if (t.format === 'csv' && given) {
    for (let i = 0; i < given.length; i++) {
      if (isTimeColumnName(given[i])) {
        if (timeIndex >= 0) throw new InputError(`two time ${unitByTime ? 'rows' : 'columns'} ('${given[timeIndex]}' and '${given[i]}'); expected at most one`, t.nameLoc(kind, i));
        timeIndex = i;
      }
    }
  }
  let time: { values: Float64Array; loc(k: number): ErrorLocation; name: string } | undefined = t.time;
  if (timeIndex >= 0) {
    const tv = new Float64Array(nSamples);
    for (let k = 0; k < nSamples; k++) tv[k] = unitByTime ? values[timeIndex * nCols + k] : values[k * nCols + timeIndex];
    const ti = timeIndex;
    time = { values: tv, loc: (k) => (unitByTime ? t.loc(ti, k) : t.loc(k, ti)), name: names[ti] };
  }
  if (time && time.values.length !== nSamples) {
    throw new InputError(`has ${time.values.length} times but the data has ${nSamples} samples; expected one time per sample`, { file, field: 'time' });
  }
  if (nSamples < 2) {
    throw new InputError(`only 1 sample; expected at least 2 samples (${unitByTime ? 'columns' : 'rows'} of data)`, t.emptyLoc);
  }

  let dt = opts.dt;
  const timeDt = time ? timeStep(time) : undefined;
  const fileDt = t.dt;
  if (fileDt && timeDt !== undefined && !agrees(fileDt.value, timeDt)) {
    throw new InputError(`dt ${fileDt.value} disagrees with the time steps (${timeDt}); expected them to agree within ${DT_RTOL} relative`, fileDt.loc);
  }
  const fromFile = timeDt ?? fileDt?.value;
  if (dt !== undefined && fromFile !== undefined && !agrees(dt, fromFile)) {
    const what = timeDt !== undefined ? `the time ${unitByTime ? 'row' : 'column'} '${time!.name}' has steps of ${timeDt}` : `the file says dt = ${fromFile}`;
    throw new InputError(`dt ${dt} was given but ${what}; expected them to agree within ${DT_RTOL} relative`, { file, field: 'dt' });
  }
  dt ??= fromFile;

  // Units: drop the time column, select, drop constant ones.
  let candidates: number[] = [];
  for (let i = 0; i < nAxis; i++) if (i !== timeIndex) candidates.push(i);
  if (opts.units) {
    const index = new Map<string, number>();
    for (const i of candidates) index.set(names[i], i);
    candidates = opts.units.map((u) => {
      const i = index.get(u);
      if (i === undefined) {
        const avail = candidates.map((c) => names[c]);
        throw new InputError(`unknown unit '${u}'; the file has units ${listNames(avail)}`, { file, field: 'units' });
      }
      return i;
    });
  }
  const nc = candidates.length;
  const lo = new Float64Array(nc).fill(Infinity);
  const hi = new Float64Array(nc).fill(-Infinity);
  if (unitByTime) {
    for (let k = 0; k < nc; k++) {
      const base = candidates[k] * nCols;
      let a = Infinity;
      let b = -Infinity;
      for (let s = 0; s < nCols; s++) {
        const v = values[base + s];
        if (v < a) a = v;
        if (v > b) b = v;
      }
      lo[k] = a;
      hi[k] = b;
    }
  } else if (nc === nCols) {
    // Every column is a candidate: one contiguous pass (the common, large case).
    for (let s = 0; s < nRows; s++) {
      const base = s * nCols;
      for (let k = 0; k < nc; k++) {
        const v = values[base + k];
        if (v < lo[k]) lo[k] = v;
        if (v > hi[k]) hi[k] = v;
      }
    }
  } else {
    for (let s = 0; s < nRows; s++) {
      const base = s * nCols;
      for (let k = 0; k < nc; k++) {
        const v = values[base + candidates[k]];
        if (v < lo[k]) lo[k] = v;
        if (v > hi[k]) hi[k] = v;
      }
    }
  }
  const kept: number[] = [];
  const droppedNames: string[] = [];
  for (let k = 0; k < nc; k++) {
    if (hi[k] > lo[k]) kept.push(candidates[k]);
    else droppedNames.push(names[candidates[k]]);
  }
  const clock = kept.find((i) => isClock(values, unitByTime ? i * nCols : i, unitByTime ? 1 : nCols, nSamples));
  if (clock !== undefined) throw clockError(t, clock, names[clock], unitByTime, nSamples, given !== undefined, time?.name);
  if (kept.length < 2) {
    const d = droppedNames.length ? ` (constant units dropped: ${listNames(droppedNames)})` : '';
    throw new InputError(`needs at least 2 units whose values vary, got ${kept.length}${d}`, { file });
  }
  if (opts.minSamples !== undefined && nSamples < opts.minSamples) {
    throw new InputError(`needs at least ${opts.minSamples} samples for the requested fit, got ${nSamples}`, { file });
  }

  const nUnits = kept.length;
  let data: Float64Array;
  const identity = !unitByTime && nUnits === nCols;
  if (identity) {
    data = values; // kept is 0..nCols-1 in order
  } else if (!unitByTime) {
    data = new Float64Array(nSamples * nUnits);
    for (let s = 0; s < nSamples; s++) {
      const src = s * nCols;
      const dst = s * nUnits;
      for (let k = 0; k < nUnits; k++) data[dst + k] = values[src + kept[k]];
    }
  } else {
    data = new Float64Array(nSamples * nUnits);
    for (let k = 0; k < nUnits; k++) {
      const src = kept[k] * nCols;
      for (let s = 0; s < nSamples; s++) data[s * nUnits + k] = values[src + s];
    }
  }
  const rec: Recording = {
    data,
    nSamples,
    nUnits,
    unitNames: kept.map((i) => names[i]),
    droppedConstantUnits: droppedNames,
  };
  if (dt !== undefined) rec.dt = dt;
  if (time) rec.time = time.values;
  return rec;
}

/**
 * Fewest samples for which a unit that rises by one step throughout is taken for a clock: a few made-up
 * values (1, 2, 3) can be linear, recorded activity over this many samples is not.
 */
const CLOCK_MIN_SAMPLES = 10;

/**
 * True when the series at values[start + k·stride] (k < n) increases by the same step throughout, within
 * the tolerance of a time column (timeStep): a clock (time, frame or sample number), not activity.
 */
function isClock(values: Float64Array, start: number, stride: number, n: number): boolean {
  if (n < CLOCK_MIN_SAMPLES) return false;
  const v0 = values[start];
  const step = values[start + stride] - v0;
  if (!(step > 0)) return false;
  const last = values[start + (n - 1) * stride];
  // the steps of times written as decimals carry the rounding of the times themselves
  const tol = DT_RTOL * step + 8 * Number.EPSILON * Math.max(Math.abs(v0), Math.abs(last));
  let prev = v0;
  for (let k = 1; k < n; k++) {
    const v = values[start + k * stride];
    if (Math.abs(v - prev - step) > tol) return false;
    prev = v;
  }
  return true;
}

/** A clock among the units: refused, saying how to mark it as the time in this format or leave it out. */
function clockError(t: Table, i: number, name: string, unitByTime: boolean, nSamples: number, named: boolean, timeName: string | undefined): InputError {
  const axis = unitByTime ? 'row' : 'column';
  const what = named ? `${axis} '${name}'` : `${axis} ${i + 1} (unit ${name})`;
  const step = Number((unitByTime ? t.values[i * t.nCols + 1] - t.values[i * t.nCols] : t.values[t.nCols + i] - t.values[i]).toPrecision(12));
  const leaveOut = 'remove it or list the other units (units option, connfit fit --units)';
  let mark: string;
  if (timeName !== undefined) mark = `the file's time is ${t.format === 'json' ? '"time"' : `${axis} '${timeName}'`}; to leave this one out, ${leaveOut}`;
  else {
    const how =
      t.format === 'json' ? `give the times as "time": [...] instead, out of "data"`
      : t.format === 'npy' ? 'save the array without it and give dt (--dt)'
      : `${named ? 'name it' : unitByTime ? 'give the file a first column of names, naming it' : 'give the file a header line of names, naming it'} time (recognised: ${TIME_COLUMN_NAMES}; any case)`;
    mark = `to read it as the time, ${how}; to leave it out, ${leaveOut}`;
  }
  const loc = named && t.format === 'csv' ? t.nameLoc(unitByTime ? 'row' : 'col', i) : unitByTime ? t.loc(i, 0) : t.loc(0, i);
  return new InputError(`${what} rises by the same step (${step}) over all ${nSamples} samples: a clock (time or sample number), not activity. ${mark[0].toUpperCase()}${mark.slice(1)}`, loc);
}

function agrees(a: number, b: number): boolean {
  return Math.abs(a - b) <= DT_RTOL * Math.abs(b);
}

/**
 * The sampling interval of a time column: the median step, after checking that times strictly
 * increase and every step is within 1e-6·|dt| + 1e-9 of it. The median carries rounding noise of
 * the decimal times (0.15 − 0.1 ≠ 0.05); it is replaced by the shortest decimal within that noise.
 */
function timeStep(time: { values: Float64Array; loc(k: number): ErrorLocation; name: string }): number {
  const t = time.values;
  const n = t.length;
  const steps = new Float64Array(n - 1);
  for (let k = 1; k < n; k++) {
    const step = t[k] - t[k - 1];
    if (!(step > 0)) {
      throw new InputError(`time '${time.name}' must be strictly increasing, but ${t[k]} follows ${t[k - 1]}`, time.loc(k));
    }
    steps[k - 1] = step;
  }
  const sorted = steps.slice().sort();
  const m = sorted.length;
  const median = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
  const tol = DT_RTOL * Math.abs(median) + DT_ATOL;
  for (let k = 0; k < m; k++) {
    if (Math.abs(steps[k] - median) > tol) {
      throw new InputError(
        `time '${time.name}' is not uniformly sampled: step ${steps[k]} (from ${t[k]} to ${t[k + 1]}), expected ${median} (the median step) within ${DT_RTOL} relative`,
        time.loc(k + 1),
      );
    }
  }
  const noise = Math.min(8 * Number.EPSILON * Math.max(Math.abs(t[0]), Math.abs(t[n - 1]), Math.abs(median)), 1e-8 * Math.abs(median));
  for (let p = 1; p <= 17; p++) {
    const c = Number(median.toPrecision(p));
    if (Math.abs(c - median) <= noise) return c;
  }
  return median;
}
