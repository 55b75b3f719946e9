/**
 * Which population each recorded unit belongs to, for `fit --populations`. Accepts the simulator's
 * populations file (sizes: units are matched by their network index in names like `u17`, or taken as
 * contiguous blocks when the recording has all units) or an explicit list of unit names per population.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../errors.js';

const FitPopulationsSchema = z.object({
  populations: z
    .array(
      z.object({
        name: z.string().min(1),
        size: z.number().int().positive().optional(),
        units: z.array(z.string()).optional(),
      }),
    )
    .min(1),
}).passthrough();

export function readPopulationAssignment(path: string, unitNames: string[]): { names: string[]; groups: Int32Array } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`cannot read populations file: ${(e as Error).message}`, { file: path });
  }
  const parsed = FitPopulationsSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new InputError(i.message, { file: path, field: i.path.join('.') });
  }
  const pops = parsed.data.populations;
  const names = pops.map((p) => p.name);
  const groups = new Int32Array(unitNames.length).fill(-1);
  if (pops.every((p) => p.units)) {
    const where = new Map(unitNames.map((n, i) => [n, i] as const));
    pops.forEach((p, a) =>
      p.units!.forEach((u, k) => {
        const i = where.get(u);
        if (i === undefined) throw new InputError(`unknown unit '${u}' (not a column of the recording)`, { file: path, field: `populations[${a}].units[${k}]` });
        groups[i] = a;
      }),
    );
  } else if (pops.every((p) => p.size)) {
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
  } else {
    throw new InputError("every population needs either 'size' or 'units'", { file: path, field: 'populations' });
  }
  const missing = [...groups].findIndex((g) => g < 0);
  if (missing >= 0) throw new InputError(`recorded unit '${unitNames[missing]}' is in no population`, { file: path, field: 'populations' });
  return { names, groups };
}
