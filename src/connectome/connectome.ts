/**
 * Connectomes as coupling matrices (THEORY §1.3, §2.8): a weighted wiring diagram read from an edge list
 * (C. elegans, WormWiring-style `Source,Target,Weight,Type`), a flyvis cell-type connectome, or a connfit
 * coupling file, turned into J with J[i·N + j] the coupling onto cell i (target, postsynaptic) from cell j
 * (source, presynaptic), the convention of Σ_j J_ij φ(x_j). Connectome weights are relative (synapse counts
 * or EM sections), so only scale-free figures (PR_S, effective rank) describe the data as they are; a
 * simulation chooses the scale (`simulate --coupling F --g g_eff`).
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, resolve } from 'node:path';
import { checkRegisteredHash } from '../datasets/registry.js';
import { InputError } from '../errors.js';
import { parseJson } from '../io/json.js';
import { readEdgeList, type SynapseSelection } from './edgeList.js';
import { isFlyvisConnectome, readFlyvisConnectome } from './flyvis.js';
import { couplingFromDocument } from './couplingFile.js';

export interface Connectome {
  /** Cell (or cell-type) names, the order of J's rows and columns. */
  names: string[];
  N: number;
  /** Row-major N×N: J[i·N + j] = coupling onto i from j. */
  J: Float64Array;
  source: ConnectomeSource;
}

export interface ConnectomeSource {
  format: 'edge-list' | 'flyvis' | 'coupling-file';
  /** Absolute path and SHA-256 of the file read. */
  path: string;
  sha256: string;
  /** Edge lists: which synapse types were kept. */
  synapses?: SynapseSelection;
  /** The --cells pattern, when cells were selected by name. */
  cells?: string;
  /** Distinct directed connections in J (non-zero entries), self-couplings among them. */
  connections: number;
  selfCouplings: number;
  /** Cells in the file before the selection by name. */
  cellsInFile: number;
  /** Whether the mean coupling was subtracted (centre). */
  centred?: { mean: number };
  /** What was left out and why, for the report. */
  notes: string[];
}

export interface ReadConnectomeOptions {
  /** Edge lists with a type column: chemical (directed), electrical (gap junctions, symmetrised) or all. */
  synapses?: SynapseSelection;
  /** Keep only the cells whose names match (e.g. /^[A-Z]/ for the C. elegans neurons). */
  cells?: RegExp;
}

/**
 * Read a connectome: `.csv`/`.tsv`/`.txt` as an edge list, `.json` as a flyvis connectome (`nodes`, `edges`)
 * or a coupling file (`J`, optional `names`).
 */
export function readConnectome(file: string, opts: ReadConnectomeOptions = {}): Connectome {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'file not found; expected a connectome (edge list .csv, flyvis .json or a coupling file .json)' : `cannot read the file (${code ?? String(err)})`, { file });
  }
  const sha256 = createHash('sha256').update(buf).digest('hex');
  checkRegisteredHash(file, sha256);
  const where = { path: resolve(file), sha256 };
  const ext = extname(file).toLowerCase();
  let c: Connectome;
  if (ext === '.json') {
    const doc = parseJson(buf.toString('utf8'), 'a connectome: a flyvis file ("nodes", "edges") or a coupling file ("J")', { file });
    if (opts.synapses !== undefined && opts.synapses !== 'all') throw new InputError(`'${opts.synapses}' applies to edge lists with a type column; ${file} is JSON`, { field: '--synapses' });
    if (isFlyvisConnectome(doc)) c = readFlyvisConnectome(doc, file, where);
    else if (doc !== null && typeof doc === 'object' && 'J' in doc) {
      const m = couplingFromDocument(doc, file);
      const names = m.names ?? Array.from({ length: m.N }, (_, i) => `u${i}`);
      c = { names, N: m.N, J: m.J, source: { format: 'coupling-file', ...where, ...countConnections(m.J, m.N), cellsInFile: m.N, notes: [] } };
    } else throw new InputError('expected a flyvis connectome (keys "nodes" and "edges") or a coupling file (key "J")', { file });
  } else if (ext === '.csv' || ext === '.tsv' || ext === '.txt') {
    c = readEdgeList(buf.toString('utf8'), file, where, opts.synapses ?? 'chemical');
  } else {
    throw new InputError(`cannot tell the format from the extension '${ext || '(none)'}': expected an edge list (.csv, .tsv, .txt) or JSON (.json)`, { file });
  }
  const selected = opts.cells ? selectCells(c, opts.cells) : c;
  const isolated = isolatedCells(selected);
  if (isolated) selected.source.notes.push(`${isolated} cells have no connection${selected.source.synapses && selected.source.synapses !== 'all' ? ` of the ${selected.source.synapses} kind` : ''} (zero rows and columns of J)`);
  return selected;
}

/** Cells with neither an input nor an output. */
function isolatedCells(c: Connectome): number {
  let isolated = 0;
  for (let i = 0; i < c.N; i++) {
    let any = false;
    for (let j = 0; j < c.N && !any; j++) any = c.J[i * c.N + j] !== 0 || c.J[j * c.N + i] !== 0;
    if (!any) isolated++;
  }
  return isolated;
}

/** Non-zero entries of J and how many are on the diagonal. */
export function countConnections(J: Float64Array, N: number): { connections: number; selfCouplings: number } {
  let connections = 0;
  let selfCouplings = 0;
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++)
      if (J[i * N + j] !== 0) {
        connections++;
        if (i === j) selfCouplings++;
      }
  return { connections, selfCouplings };
}

/** The sub-connectome of the cells whose names match (connections to the others are dropped). */
export function selectCells(c: Connectome, pattern: RegExp): Connectome {
  const keep = c.names.flatMap((name, i) => (pattern.test(name) ? [i] : []));
  if (keep.length === 0) throw new InputError(`no cell name matches ${pattern} (names look like ${c.names.slice(0, 5).join(', ')})`, { field: '--cells' });
  const N = keep.length;
  const J = new Float64Array(N * N);
  for (let a = 0; a < N; a++) for (let b = 0; b < N; b++) J[a * N + b] = c.J[keep[a] * c.N + keep[b]];
  const names = keep.map((i) => c.names[i]);
  const counts = countConnections(J, N);
  const dropped = c.source.connections - counts.connections;
  const notes = [...c.source.notes, `${N} of ${c.N} cells match ${pattern}; ${dropped} connections to or from the others were left out`];
  return { names, N, J, source: { ...c.source, ...counts, cells: pattern.source, notes } };
}

/**
 * J minus its mean entry (Ĵ0/N). An unsigned connectome's mean is one excitatory mode of size Ĵ0 that a
 * rate network at any g_eff of interest would sit saturated on; centring leaves the structure around it
 * (the random-mode description of THEORY §1.3c has zero mean).
 */
export function centred(c: Connectome): Connectome {
  const N2 = c.N * c.N;
  let sum = 0;
  for (let k = 0; k < N2; k++) sum += c.J[k];
  const mean = sum / N2;
  const J = c.J.map((v) => v - mean);
  return { ...c, J, source: { ...c.source, centred: { mean } } };
}
