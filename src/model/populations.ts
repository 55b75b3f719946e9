/**
 * Which population each recorded unit belongs to, for `fit --populations`. Accepts the simulator's
 * populations file (sizes: units are matched by their network index in names like `u17`, or taken as
 * contiguous blocks when the recording has all units) or an explicit list of unit names per population.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { parseWithSchema, readJsonFile } from '../io/json.js';
import { PopulationSchema, PopulationsFileSchema } from '../simulate/network.js';

// The simulator's keys (g2, J0, a population's D) are allowed so that its file can be given as it is;
// the fit estimates those, so their values are not used. Any other key is an error (parseWithSchema).
const FitPopulationsSchema = z.strictObject({
  populations: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        size: z.number().int().positive().optional(),
        units: z.array(z.string()).optional(),
        D: PopulationSchema.shape.D,
      }),
    )
    .min(1),
  g2: PopulationsFileSchema.shape.g2.optional(),
  J0: PopulationsFileSchema.shape.J0,
  description: PopulationsFileSchema.shape.description,
});

export function readPopulationAssignment(path: string, unitNames: string[]): { names: string[]; groups: Int32Array } {
  const raw = readJsonFile(path, 'a populations file {"populations": [{"name", "units" or "size"}, …]}');
  const pops = parseWithSchema(FitPopulationsSchema, raw, { file: path }).populations;
  const names = pops.map((p) => p.name);
  names.forEach((n, a) => {
    const first = names.indexOf(n);
    if (first < a) throw new InputError(`population name '${n}' is also populations[${first}]'s; expected distinct names`, { file: path, field: `populations[${a}].name` });
  });
  const groups = new Int32Array(unitNames.length).fill(-1);
  // Units are assigned by name or by counts, one rule for the whole file: say which part breaks it.
  pops.forEach((p, a) => {
    const hasSize = p.size !== undefined;
    if (hasSize === (p.units !== undefined)) {
      const what = hasSize ? "both 'size' and 'units'" : "neither 'size' nor 'units'";
      throw new InputError(`population '${p.name}' has ${what}; give exactly one`, { file: path, field: `populations[${a}]` });
    }
  });
  const byUnits = pops.filter((p) => p.units).map((p) => p.name);
  const bySize = pops.filter((p) => p.size).map((p) => p.name);
  if (byUnits.length && bySize.length) {
    throw new InputError(`populations mix 'units' (${byUnits.join(', ')}) and 'size' (${bySize.join(', ')}); give every population 'units' (unit names) or every population 'size' (counts)`, { file: path });
  }
  if (byUnits.length) {
    const where = new Map(unitNames.map((n, i) => [n, i] as const));
    const listedAt: string[] = [];
    pops.forEach((p, a) =>
      p.units!.forEach((u, k) => {
        const i = where.get(u);
        const field = `populations[${a}].units[${k}]`;
        if (i === undefined) throw new InputError(`unknown unit '${u}' (not among the recorded units: not a column of the recording, or a constant one left out)`, { file: path, field });
        if (groups[i] >= 0) throw new InputError(`unit '${u}' is listed twice (also at ${listedAt[i]}); expected each unit in one population, once`, { file: path, field });
        groups[i] = a;
        listedAt[i] = field;
      }),
    );
  } else {
    const bounds: number[] = [];
    let acc = 0;
    for (const p of pops) bounds.push((acc += p.size!));
    const total = acc;
    const indexOf = (n: string) => (/^u(\d+)$/.exec(n) ? Number(/^u(\d+)$/.exec(n)![1]) : NaN);
    const idx = unitNames.map(indexOf);
    if (idx.every((v) => Number.isInteger(v) && v < total)) {
      idx.forEach((v, i) => (groups[i] = bounds.findIndex((b) => v < b)));
    } else if (unitNames.length === total) {
      unitNames.forEach((_, i) => (groups[i] = bounds.findIndex((b) => i < b)));
    } else {
      throw new InputError(`cannot match ${unitNames.length} recorded units to populations of total size ${total}: name units u<index> or list 'units' per population`, { file: path, field: 'populations' });
    }
  }
  const missing = [...groups].findIndex((g) => g < 0);
  if (missing >= 0) throw new InputError(`recorded unit '${unitNames[missing]}' is in no population`, { file: path, field: 'populations' });
  // A population without recorded units has no data for its g and D (the fit refuses it too; here the file is known).
  const empty = pops.findIndex((_, a) => !groups.includes(a));
  if (empty >= 0) throw new InputError(`population '${pops[empty].name}' has no recorded units; expected at least one (drop it, or record some of its units)`, { file: path, field: `populations[${empty}]` });
  return { names, groups };
}
