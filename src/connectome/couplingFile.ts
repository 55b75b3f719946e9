/**
 * The coupling file: a JSON object with a square `J` (rows = targets) and optionally `names` (one per
 * row), other keys free. `simulate --save-network` and `connectome --out` write it; `dimension`,
 * `simulate --coupling` and `connectome` read it.
 */
import { extname } from 'node:path';
import { statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { readJsonFile } from '../io/json.js';

export interface CouplingMatrix {
  J: Float64Array;
  N: number;
  names?: string[];
}

/** J (and names) of a parsed coupling file; every problem names the field. */
export function couplingFromDocument(doc: object, file: string): CouplingMatrix {
  const rows = (doc as { J: unknown }).J;
  if (!Array.isArray(rows) || rows.length === 0) throw new InputError('expected a non-empty array of rows (a square coupling matrix)', { file, field: 'J' });
  const N = rows.length;
  const J = new Float64Array(N * N);
  rows.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== N) {
      throw new InputError(`expected a row of ${N} numbers (J must be square, ${N} rows), got ${Array.isArray(row) ? `${row.length} entries` : typeof row}`, { file, field: `J[${i}]` });
    }
    row.forEach((v: unknown, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`expected a finite number, got ${JSON.stringify(v)}`, { file, field: `J[${i}][${j}]` });
      J[i * N + j] = v;
    });
  });
  const names = (doc as { names?: unknown }).names;
  if (names === undefined) return { J, N };
  if (!Array.isArray(names) || names.length !== N || !names.every((v) => typeof v === 'string')) {
    throw new InputError(`expected ${N} strings, one name per row of J`, { file, field: 'names' });
  }
  return { J, N, names: names as string[] };
}

/** Read a coupling file (or a shipped model of that name); a file without `J` is an error. */
export function readCouplingFile(file: string): CouplingMatrix {
  const doc = readJsonFile(file, 'a coupling file (a JSON object with a square "J")');
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || !('J' in doc)) {
    throw new InputError('expected a JSON object with a square coupling matrix "J" (rows = targets), e.g. from connfit connectome --out or simulate --save-network', { file });
  }
  return couplingFromDocument(doc, file);
}

/**
 * The coupling matrix of a `.json` file that has one, or undefined for any other file (a recording): the
 * caller's reader then reports what is wrong with it.
 */
export function couplingFileIfAny(file: string): CouplingMatrix | undefined {
  if (extname(file).toLowerCase() !== '.json') return undefined;
  try {
    if (!statSync(file).isFile()) return undefined;
  } catch {
    return undefined;
  }
  let doc: unknown;
  try {
    doc = readJsonFile(file, 'a recording or a coupling matrix');
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || !('J' in doc)) return undefined;
  return couplingFromDocument(doc, file);
}

/**
 * A coupling file as text chunks: one top-level field per line (compact JSON), then J row by row, so
 * that N² numbers stream out (writeFileAtomic) without one huge string.
 */
export function* couplingFileChunks(meta: Record<string, unknown>, J: Float64Array | undefined, N: number): Generator<string> {
  const fields = Object.entries(meta).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  yield '{\n' + fields.join(',\n');
  if (J) {
    yield `${fields.length ? ',' : ''}\n  "J": [\n`;
    for (let i = 0; i < N; i++) {
      const row = Array.from(J.subarray(i * N, (i + 1) * N), (v) => JSON.stringify(v)).join(',');
      yield `    [${row}]${i < N - 1 ? ',' : ''}\n`;
    }
    yield '  ]';
  }
  yield '\n}\n';
}
