/**
 * Low-rank structure files for `connfit simulate` (THEORY §1.3b):
 *   --modes <file.json>       {"m": [[N loadings], …R], "n": [[N loadings], …R]}
 *   --rank R --overlap <arg>  the 2R×2R covariance of each unit's loadings (m_1..m_R, n_1..n_R), as a JSON
 *                             file or inline JSON; its m–n block is the expected overlap n_rᵀm_s/N.
 * Every problem names the file and the field; unknown keys are errors (parseWithSchema).
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { parseJson, parseWithSchema, readJsonFile } from '../io/json.js';
import type { LowRankModes } from '../simulate/network.js';
import { choleskyLower } from './modes.js';

const ModesFileSchema = z.strictObject({
  m: z.array(z.array(z.number())).min(1),
  n: z.array(z.array(z.number())).min(1),
  description: z.string().optional(),
});

function readJson(source: string, what: string): { value: unknown; file?: string } {
  const isFile = !source.trim().startsWith('[') && !source.trim().startsWith('{');
  if (isFile) return { value: readJsonFile(source, what), file: source };
  return { value: parseJson(source, what, { field: '--overlap' }) };
}

/** Loadings m, n (R arrays of N numbers each) from a modes file, checked against the network size. */
export function readModesFile(file: string, N: number): LowRankModes {
  const { value } = readJson(file, 'a modes file {"m": [[...]], "n": [[...]]}');
  const { m, n } = parseWithSchema(ModesFileSchema, value, { file }, '{"m": [[N numbers] per mode], "n": [[N numbers] per mode]}');
  if (m.length !== n.length) throw new InputError(`"m" has ${m.length} modes but "n" has ${n.length}; they must match`, { file, field: 'n' });
  for (const [key, arr] of [['m', m], ['n', n]] as const) {
    arr.forEach((v, k) => {
      if (v.length !== N) throw new InputError(`mode ${k + 1} has ${v.length} loadings; expected N = ${N} (one per unit)`, { file, field: `${key}[${k}]` });
    });
  }
  return { m: m.map((v) => Float64Array.from(v)), n: n.map((v) => Float64Array.from(v)) };
}

/** The 2R×2R loading covariance of `--overlap`, validated (shape, symmetry, positive definite). */
export function readLoadingCovariance(source: string, R: number): number[][] {
  const { value, file } = readJson(source, `a ${2 * R}×${2 * R} covariance matrix of the loadings (m_1..m_R, n_1..n_R)`);
  const where = file ? { file } : { field: '--overlap' };
  const K = 2 * R;
  const rows = value as unknown;
  if (!Array.isArray(rows) || rows.length !== K) {
    throw new InputError(`expected a ${K}×${K} matrix (rank ${R}: covariance of m_1..m_${R}, n_1..n_${R}), got ${Array.isArray(rows) ? `${rows.length} rows` : typeof rows}`, where);
  }
  const C = rows.map((row: unknown, a) => {
    if (!Array.isArray(row) || row.length !== K) throw new InputError(`row ${a} must have ${K} numbers`, { ...where, field: `${file ? '' : '--overlap '}[${a}]`.trim() });
    return row.map((v: unknown, b) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`expected a finite number at [${a}][${b}], got ${JSON.stringify(v)}`, where);
      return v;
    });
  });
  for (let a = 0; a < K; a++)
    for (let b = 0; b < a; b++)
      if (Math.abs(C[a][b] - C[b][a]) > 1e-9 * Math.max(1, Math.abs(C[a][b]))) throw new InputError(`the covariance must be symmetric: [${a}][${b}] = ${C[a][b]} but [${b}][${a}] = ${C[b][a]}`, where);
  if (!choleskyLower(C)) throw new InputError('the loading covariance is not positive definite (e.g. an overlap larger than allowed by the variances: |Cov(m,n)| < sqrt(Var m · Var n))', where);
  return C;
}
