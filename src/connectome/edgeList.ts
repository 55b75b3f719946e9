/**
 * Edge lists: one connection per row, a header naming the columns source, target and weight (any case;
 * also pre/post, from/to) and optionally type (chemical or electrical), e.g. the WormWiring / Cook et al.
 * 2019 `Source,Target,Weight,Type`. Names are trimmed (that file pads them with spaces).
 * Chemical synapses are directed: J[target][source] += weight. Gap junctions couple both ways: the rows
 * of an unordered pair are summed per direction and the mean over the directions listed is put on both
 * sides (a junction listed once or twice counts once); a cell's junction with itself is left out.
 * Rows repeating a connection add up.
 */
import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import { countConnections, type Connectome } from './connectome.js';

export const SYNAPSE_SELECTIONS = ['chemical', 'electrical', 'all'] as const;
export type SynapseSelection = (typeof SYNAPSE_SELECTIONS)[number];

const COLUMN_NAMES = {
  source: ['source', 'pre', 'presynaptic', 'from'],
  target: ['target', 'post', 'postsynaptic', 'to'],
  weight: ['weight', 'count', 'synapses', 'w'],
  type: ['type', 'synapse type', 'kind'],
} as const;

const TYPE_NAMES: Record<string, 'chemical' | 'electrical'> = {
  chemical: 'chemical',
  chem: 'chemical',
  electrical: 'electrical',
  electric: 'electrical',
  gap: 'electrical',
  'gap junction': 'electrical',
  gapjunction: 'electrical',
};

export function readEdgeList(text: string, file: string, where: { path: string; sha256: string }, synapses: SynapseSelection): Connectome {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const firstLine = body.slice(0, body.indexOf('\n') === -1 ? undefined : body.indexOf('\n'));
  const delimiter = firstLine.includes('\t') ? '\t' : ',';
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(body, { delimiter, skip_empty_lines: true, trim: true, info: true, relax_column_count: false }) as unknown as typeof records;
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw new InputError(`cannot parse the edge list: ${e.message}`, { file, ...(e.lines !== undefined ? { line: e.lines } : {}) });
  }
  if (records.length === 0) throw new InputError('the edge list is empty; expected a header (Source,Target,Weight[,Type]) and one row per connection', { file });
  const header = records[0].record.map((h) => h.toLowerCase());
  const column = (kind: keyof typeof COLUMN_NAMES) => header.findIndex((h) => (COLUMN_NAMES[kind] as readonly string[]).includes(h));
  const col = { source: column('source'), target: column('target'), weight: column('weight'), type: column('type') };
  const missing = (['source', 'target', 'weight'] as const).filter((k) => col[k] < 0);
  if (missing.length) {
    throw new InputError(`the header has no ${missing.join(', ')} column (got ${records[0].record.join(', ')}); expected Source,Target,Weight and optionally Type`, { file, line: records[0].info.lines });
  }
  if (col.type < 0 && synapses !== 'chemical') {
    throw new InputError(`'${synapses}' needs a type column (chemical or electrical per row); this edge list has none, so its rows are taken as directed connections`, { file, field: '--synapses' });
  }

  const index = new Map<string, number>();
  const cell = (name: string) => {
    let i = index.get(name);
    if (i === undefined) index.set(name, (i = index.size));
    return i;
  };
  const chemical: [number, number, number][] = [];
  const electrical = new Map<string, number>(); // "i,j" (directed, as listed) → summed weight
  let gapSelf = 0;
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r];
    const line = info.lines;
    const s = record[col.source];
    const t = record[col.target];
    if (!s) throw new InputError('empty source name', { file, line, column: col.source + 1 });
    if (!t) throw new InputError('empty target name', { file, line, column: col.target + 1 });
    const wText = record[col.weight];
    const w = wText === '' ? Number.NaN : Number(wText);
    if (!Number.isFinite(w)) throw new InputError(`expected a finite number for the weight, got '${wText}'`, { file, line, column: col.weight + 1 });
    let kind: 'chemical' | 'electrical' = 'chemical';
    if (col.type >= 0) {
      const k = TYPE_NAMES[record[col.type].toLowerCase()];
      if (!k) throw new InputError(`unknown synapse type '${record[col.type]}'; expected chemical or electrical (gap junction)`, { file, line, column: col.type + 1 });
      kind = k;
    }
    const j = cell(s);
    const i = cell(t);
    if (kind === 'chemical') {
      if (synapses !== 'electrical') chemical.push([i, j, w]);
    } else if (synapses !== 'chemical') {
      if (i === j) gapSelf++;
      else electrical.set(`${i},${j}`, (electrical.get(`${i},${j}`) ?? 0) + w);
    }
  }
  const names = [...index.keys()];
  const N = names.length;
  if (N === 0) throw new InputError('the edge list has a header but no connections', { file });
  const J = new Float64Array(N * N);
  for (const [i, j, w] of chemical) J[i * N + j] += w;
  const pairs = new Set<string>();
  for (const key of electrical.keys()) {
    const [i, j] = key.split(',').map(Number);
    const pair = i < j ? `${i},${j}` : `${j},${i}`;
    if (pairs.has(pair)) continue;
    pairs.add(pair);
    const ab = electrical.get(`${i},${j}`);
    const ba = electrical.get(`${j},${i}`);
    const w = ab !== undefined && ba !== undefined ? (ab + ba) / 2 : (ab ?? ba)!;
    J[i * N + j] += w;
    J[j * N + i] += w;
  }
  const notes: string[] = [];
  if (gapSelf) notes.push(`${gapSelf} gap-junction rows from a cell to itself were left out`);
  const counts = countConnections(J, N);
  return { names, N, J, source: { format: 'edge-list', ...where, synapses, ...counts, cellsInFile: N, notes } };
}
