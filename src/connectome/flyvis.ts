/**
 * flyvis connectomes (Lappalainen et al. 2024, `fib25-fib19_v2.2.json`): cell types tiled over the
 * ommatidial columns, edges src → tar with, per column offset, the mean synapse count onto one
 * postsynaptic cell, and a sign alpha (+1 excitatory, −1 inhibitory). Read at the cell-type level:
 * J[tar][src] = alpha · Σ_offsets n, the signed synapses one tar cell receives from all src cells. The
 * model parameters in the file (time constants, biases, lambda_mult) are not data and are ignored.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { parseWithSchema } from '../io/json.js';
import { countConnections, type Connectome } from './connectome.js';

const FlyvisSchema = z.object({
  nodes: z.array(z.object({ name: z.string().min(1) })).min(1),
  edges: z.array(
    z.object({
      src: z.string(),
      tar: z.string(),
      alpha: z.number().refine((a) => a === 1 || a === -1, 'expected the sign +1 or −1'),
      offsets: z.array(z.tuple([z.tuple([z.number(), z.number()]), z.number().nonnegative()])).min(1),
    }),
  ),
});

export function isFlyvisConnectome(doc: unknown): boolean {
  return doc !== null && typeof doc === 'object' && !Array.isArray(doc) && 'nodes' in doc && 'edges' in doc;
}

export function readFlyvisConnectome(doc: unknown, file: string, where: { path: string; sha256: string }): Connectome {
  const f = parseWithSchema(FlyvisSchema, doc, { file }, 'flyvis: {"nodes": [{"name"}], "edges": [{"src", "tar", "alpha": ±1, "offsets": [[[u, v], n], …]}]}');
  const names = f.nodes.map((n) => n.name);
  const index = new Map(names.map((n, i) => [n, i]));
  names.forEach((n, i) => {
    if (index.get(n) !== i) throw new InputError(`cell type '${n}' is listed twice`, { file, field: `nodes[${i}].name` });
  });
  const N = names.length;
  const J = new Float64Array(N * N);
  f.edges.forEach((e, k) => {
    const i = index.get(e.tar);
    const j = index.get(e.src);
    if (i === undefined) throw new InputError(`unknown cell type '${e.tar}' (not in "nodes")`, { file, field: `edges[${k}].tar` });
    if (j === undefined) throw new InputError(`unknown cell type '${e.src}' (not in "nodes")`, { file, field: `edges[${k}].src` });
    J[i * N + j] += e.alpha * e.offsets.reduce((s, [, n]) => s + n, 0);
  });
  return { names, N, J, source: { format: 'flyvis', ...where, ...countConnections(J, N), cellsInFile: N, notes: ['cell-type level: one unit per type, the synapses one cell receives summed over column offsets'] } };
}
