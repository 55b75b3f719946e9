/**
 * The `--regions <file.json>` format shared by `connfit simulate` and `connfit fit` (THEORY §1.3d):
 *   { "regions": [ { "name": "A", "size": 200, "g": 0.4, "D": 0.02, "units": ["u0", …] }, … ],
 *     "links": [ { "from": "B", "to": "A", "rank": 1 }, … ],     fit: the currents to fit (default: all
 *                                                                ordered pairs of different regions)
 *     "T": [[[…]]], "U": [[[…]]] }                               simulate: geometry tensors (U default δ_βγ)
 * For a fit, a region's units are its "units" (recorded unit names) or, without them, the next "size"
 * units of the recording in order; with both, "size" is the whole region of which "units" were recorded
 * (partial recording: ĝ_α is scaled for the unrecorded units' share of the disorder). Every problem names the file and the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../errors.js';

const RegionSchema = z.object({
  name: z.string().min(1),
  size: z.number().int().positive().optional(),
  g: z.number().nonnegative().optional(),
  D: z.number().nonnegative().optional(),
  units: z.array(z.string()).optional(),
});
const LinkSchema = z.object({ from: z.string(), to: z.string(), rank: z.number().int().positive().optional() });
const Tensor3Schema = z.array(z.array(z.array(z.number())));

export const RegionsFileSchema = z.object({
  regions: z.array(RegionSchema).min(1),
  links: z.array(LinkSchema).optional(),
  T: Tensor3Schema.optional(),
  U: Tensor3Schema.optional(),
  description: z.string().optional(),
});
export type RegionsFile = z.infer<typeof RegionsFileSchema>;

export function readRegionsFile(file: string): RegionsFile {
  if (!existsSync(file)) throw new InputError('regions file not found', { file });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message}); expected a regions file, see connfit fit --help`, { file });
  }
  const r = RegionsFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(issue.message, { file, field: issue.path.map(String).join('.') || undefined });
  }
  const v = r.data;
  const names = new Map<string, number>();
  v.regions.forEach((reg, a) => {
    if (names.has(reg.name)) throw new InputError(`duplicate region name '${reg.name}'`, { file, field: `regions.${a}.name` });
    names.set(reg.name, a);
  });
  (v.links ?? []).forEach((l, k) => {
    for (const key of ['from', 'to'] as const) {
      if (!names.has(l[key])) throw new InputError(`unknown region '${l[key]}' (regions: ${[...names.keys()].join(', ')})`, { file, field: `links.${k}.${key}` });
    }
  });
  const R = v.regions.length;
  for (const key of ['T', 'U'] as const) {
    const t = v[key];
    if (!t) continue;
    const ok = t.length === R && t.every((m) => m.length === R && m.every((row) => row.length === R));
    if (!ok) throw new InputError(`${key} must be ${R}×${R}×${R} (one index per region)`, { file, field: key });
  }
  return v;
}

/** Region index of each link, and each region's recorded-unit indices, for a fit. */
export function regionsForFit(v: RegionsFile, unitNames: string[], file: string): { regions: { name: string; units: number[]; size?: number }[]; links: { target: number; source: number; rank: number }[] } {
  const byName = new Map(unitNames.map((u, i) => [u, i]));
  let next = 0;
  const regions = v.regions.map((reg, a) => {
    let units: number[];
    if (reg.units) {
      units = reg.units.map((u, k) => {
        const i = byName.get(u);
        if (i === undefined) throw new InputError(`unit '${u}' is not in the recording`, { file, field: `regions.${a}.units.${k}` });
        return i;
      });
    } else if (reg.size !== undefined) {
      if (next + reg.size > unitNames.length) throw new InputError(`regions need ${next + reg.size} units but the recording has ${unitNames.length}`, { file, field: `regions.${a}.size` });
      units = Array.from({ length: reg.size }, (_, k) => next + k);
      next += reg.size;
    } else throw new InputError('give the region\'s "units" (recorded unit names) or its "size"', { file, field: `regions.${a}` });
    // with both, "size" is the whole region and "units" the recorded part of it
    if (reg.units && reg.size !== undefined) {
      if (reg.size < units.length) throw new InputError(`size ${reg.size} is smaller than the ${units.length} recorded units listed`, { file, field: `regions.${a}.size` });
      return { name: reg.name, units, size: reg.size };
    }
    return { name: reg.name, units };
  });
  const index = new Map(v.regions.map((r, a) => [r.name, a]));
  const links = v.links
    ? v.links.map((l) => ({ target: index.get(l.to)!, source: index.get(l.from)!, rank: l.rank ?? 1 }))
    : regions.flatMap((_, a) => regions.map((__, b) => ({ target: a, source: b, rank: 1 }))).filter((l) => l.target !== l.source);
  return { regions, links };
}

/** What a simulation needs of each region (size, g, optional D) and the geometry T (U: default δ_βγ). */
export function regionsForSimulation(v: RegionsFile, file: string): { T: number[][][]; U?: number[][][]; names: string[]; sizes: number[]; g: number[]; D: (number | undefined)[] } {
  if (!v.T) throw new InputError('a regions file for simulate needs the geometry tensor "T" (R×R×R)', { file, field: 'T' });
  const sizes: number[] = [];
  const g: number[] = [];
  v.regions.forEach((r, a) => {
    if (r.size === undefined) throw new InputError('each region needs a "size" to simulate', { file, field: `regions.${a}.size` });
    if (r.g === undefined) throw new InputError('each region needs its disorder "g" to simulate', { file, field: `regions.${a}.g` });
    sizes.push(r.size);
    g.push(r.g);
  });
  return { T: v.T, U: v.U, names: v.regions.map((r) => r.name), sizes, g, D: v.regions.map((r) => r.D) };
}
