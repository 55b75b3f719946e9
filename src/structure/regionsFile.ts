/**
 * The `--regions <file.json>` format shared by `connfit simulate` and `connfit fit` (THEORY §1.3d):
 *   { "regions": [ { "name": "A", "size": 200, "g": 0.4, "D": 0.02, "units": ["u0", …] }, … ],
 *     "links": [ { "from": "B", "to": "A", "rank": 1 }, … ],     the links β → α of the network (regionLinks)
 *     "T": [[[…]]], "U": [[[…]]] }                               simulate: geometry tensors (U default δ_βγ)
 * For a fit, a region's units are its "units" (recorded unit names) or, without them, the next "size"
 * units of the recording in order; with both, "size" is the whole region of which "units" were recorded
 * (partial recording: ĝ_α is scaled for the unrecorded units' share of the disorder). Every problem names
 * the file and the field; unknown keys are errors (parseWithSchema).
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { parseWithSchema, readJsonFile } from '../io/json.js';
import { selectUnits, type Recording } from '../recording/types.js';
import { checkU, identityU, type Tensor3 } from '../theory/multiregion.js';

const RegionSchema = z.strictObject({
  name: z.string().min(1),
  size: z.number().int().positive().optional(),
  g: z.number().nonnegative().optional(),
  D: z.number().nonnegative().optional(),
  units: z.array(z.string()).optional(),
});
const LinkSchema = z.strictObject({ from: z.string(), to: z.string(), rank: z.number().int().positive().optional() });
const Tensor3Schema = z.array(z.array(z.array(z.number())));

export const RegionsFileSchema = z.strictObject({
  regions: z.array(RegionSchema).min(1),
  links: z.array(LinkSchema).optional(),
  T: Tensor3Schema.optional(),
  U: Tensor3Schema.optional(),
  description: z.string().optional(),
});
export type RegionsFile = z.infer<typeof RegionsFileSchema>;

/** A link β → α by region index: it carries the current from `source` β into `target` α. */
export interface RegionLink {
  target: number;
  source: number;
  rank: number;
}

export function readRegionsFile(file: string): RegionsFile {
  const v = parseWithSchema(RegionsFileSchema, readJsonFile(file, 'a regions file, see the README section "Multiregion networks"'), { file });
  const names = new Map<string, number>();
  v.regions.forEach((reg, a) => {
    if (names.has(reg.name)) throw new InputError(`duplicate region name '${reg.name}'`, { file, field: `regions[${a}].name` });
    names.set(reg.name, a);
  });
  const seen = new Map<string, number>();
  (v.links ?? []).forEach((l, k) => {
    for (const key of ['from', 'to'] as const) {
      if (!names.has(l[key])) throw new InputError(`unknown region '${l[key]}' (regions: ${[...names.keys()].join(', ')})`, { file, field: `links[${k}].${key}` });
    }
    // two entries for one link would fit the same current twice (a singular, non-finite loss)
    const name = `${l.from}→${l.to}`;
    const first = seen.get(name);
    if (first !== undefined) throw new InputError(`duplicate link ${name} (also links[${first}]); for a link of rank K give it once with "rank": K`, { file, field: `links[${k}]` });
    seen.set(name, k);
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

/**
 * The links of the network a regions file describes, the same for simulate and fit (a fit of a
 * simulation then fits exactly the links that were built): the listed "links"; without them and with
 * a geometry T, every link β → α whose readout row T_αβ· is not all zero (THEORY §6.1:
 * (1 + ∂_t) S_αβ = ψ_β Σ_γ T_αβγ S_βγ, so the other links carry no current; built, they would only add
 * a random rank-one coupling that a fit takes for disorder, ĝ_α +3…9 % on README's example when they were);
 * without either (a fit's file), every ordered pair of different regions.
 */
export function regionLinks(v: RegionsFile): RegionLink[] {
  const index = new Map(v.regions.map((r, a) => [r.name, a]));
  if (v.links) return v.links.map((l) => ({ target: index.get(l.to)!, source: index.get(l.from)!, rank: l.rank ?? 1 }));
  const pairs = v.regions.flatMap((_, a) => v.regions.map((__, b) => ({ target: a, source: b, rank: 1 })));
  const T = v.T;
  return T ? pairs.filter((l) => T[l.target][l.source].some((x) => x !== 0)) : pairs.filter((l) => l.target !== l.source);
}

/**
 * What a fit needs: the recording of the units in some region (all of them, unless the regions list
 * "units" that leave some out), each region's unit indices in it and the links by region index. The fit
 * is reported on that recording, so the unit count, names and loadings are those of the fitted units.
 */
export function regionsForFit(v: RegionsFile, rec: Recording, file: string): { recording: Recording; regions: { name: string; units: number[]; size?: number }[]; links: RegionLink[] } {
  const unitNames = rec.unitNames;
  const byName = new Map(unitNames.map((u, i) => [u, i]));
  let next = 0;
  const regions = v.regions.map((reg, a) => {
    let units: number[];
    if (reg.units) {
      units = reg.units.map((u, k) => {
        const i = byName.get(u);
        if (i === undefined) throw new InputError(`unit '${u}' is not in the recording`, { file, field: `regions[${a}].units[${k}]` });
        return i;
      });
    } else if (reg.size !== undefined) {
      if (next + reg.size > unitNames.length) throw new InputError(`regions need ${next + reg.size} units but the recording has ${unitNames.length}`, { file, field: `regions[${a}].size` });
      units = Array.from({ length: reg.size }, (_, k) => next + k);
      next += reg.size;
    } else throw new InputError('give the region\'s "units" (recorded unit names) or its "size"', { file, field: `regions[${a}]` });
    // with both, "size" is the whole region and "units" the recorded part of it
    if (reg.units && reg.size !== undefined) {
      if (reg.size < units.length) throw new InputError(`size ${reg.size} is smaller than the ${units.length} recorded units listed`, { file, field: `regions[${a}].size` });
      return { name: reg.name, units, size: reg.size };
    }
    return { name: reg.name, units };
  });
  // Sizes alone split the recording in order, so a shortfall leaves its last units out of every region
  // unnoticed; naming the "units" is how to fit only some of them.
  if (v.regions.every((reg) => !reg.units) && next < unitNames.length) {
    throw new InputError(`regions need only ${next} units but the recording has ${unitNames.length}; every unit must be in a region (or list each region's "units" to fit some of them)`, { file, field: 'regions' });
  }
  const links = regionLinks(v);
  // Units in no region are left out (in recording order; a unit in two regions is refused by the fit).
  const fitted = [...new Set(regions.flatMap((r) => r.units))].sort((a, b) => a - b);
  if (fitted.length === unitNames.length) return { recording: rec, regions, links };
  const position = new Map(fitted.map((u, k) => [u, k]));
  return { recording: selectUnits(rec, fitted), regions: regions.map((r) => ({ ...r, units: r.units.map((u) => position.get(u)!) })), links };
}

/**
 * What a simulation needs of each region (size, g, optional D), the geometry T, U (default δ_βγ) and
 * the rank-one links to build.
 */
export function regionsForSimulation(v: RegionsFile, file: string): { T: Tensor3; U: Tensor3; names: string[]; sizes: number[]; g: number[]; D: (number | undefined)[]; links: RegionLink[] } {
  if (!v.T) throw new InputError('a regions file for simulate needs the geometry tensor "T" (R×R×R)', { file, field: 'T' });
  const sizes: number[] = [];
  const g: number[] = [];
  v.regions.forEach((r, a) => {
    if (r.size === undefined) throw new InputError('each region needs a "size" to simulate', { file, field: `regions[${a}].size` });
    if (r.g === undefined) throw new InputError('each region needs its disorder "g" to simulate', { file, field: `regions[${a}].g` });
    sizes.push(r.size);
    g.push(r.g);
  });
  const links = regionLinks(v);
  links.forEach((l, k) => {
    if (l.rank !== 1) throw new InputError(`simulate builds rank-one links (THEORY §1.3d); "rank": ${l.rank} is for fit`, { file, field: `links[${k}].rank` });
  });
  checkReadouts(v, v.T, links, file);
  const R = v.regions.length;
  const U = v.U ?? identityU(R);
  try {
    checkU(U, R);
  } catch (e) {
    throw new InputError((e as Error).message, { file, field: 'U' });
  }
  return { T: v.T, U, names: v.regions.map((r) => r.name), sizes, g, D: v.regions.map((r) => r.D), links };
}

/**
 * A readout row T_αβ· that is not zero drives the current of link β → α (THEORY §6.1); unbuilt, the
 * network would not be the one whose mean field T describes.
 */
function checkReadouts(v: RegionsFile, T: Tensor3, links: RegionLink[], file: string): void {
  const built = new Set(links.map((l) => `${l.target},${l.source}`));
  T.forEach((rows, a) =>
    rows.forEach((row, b) => {
      if (built.has(`${a},${b}`) || row.every((x) => x === 0)) return;
      throw new InputError(`T[${a}][${b}] is the readout of link ${v.regions[b].name}→${v.regions[a].name}, which "links" does not list; list the link or set T[${a}][${b}] to zeros`, { file, field: 'T' });
    }),
  );
}
