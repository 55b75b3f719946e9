/**
 * The JSON file formats users write (populations for fit and for simulate/dmft, modes, regions, JSON
 * recordings): an unknown key is an error naming the file, the field, the key and the keys allowed
 * there, the same in every format (src/io/json.ts parseWithSchema).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../src/errors.js';
import { readPopulationAssignment } from '../src/model/populations.js';
import { readRecording } from '../src/recording/read.js';
import { readPopulationsFile } from '../src/simulate/network.js';
import { readModesFile } from '../src/structure/modesFile.js';
import { readRegionsFile } from '../src/structure/regionsFile.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'connfit-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(content));
  return p;
}

/** The InputError message of `fn` (fails the test if it does not throw one). */
async function message(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).message;
  }
  throw new Error('expected an InputError');
}

const units = ['u0', 'u1', 'u2', 'u3'];

describe('unknown keys are errors in every user-written JSON format', () => {
  it('fit --populations: in a population and at the top level; the simulator\'s keys are accepted', async () => {
    const typo = file('fit-pops-typo.json', { populations: [{ name: 'E', size: 2, sizee: 3 }, { name: 'I', size: 2 }], foo: 1 });
    expect(await message(() => readPopulationAssignment(typo, units))).toBe(`${typo} populations[0]: unknown key 'sizee' (allowed: name, size, units, D)`);
    const top = file('fit-pops-top.json', { populations: [{ name: 'E', size: 2 }, { name: 'I', size: 2 }], foo: 1 });
    expect(await message(() => readPopulationAssignment(top, units))).toBe(`${top}: unknown key 'foo' (allowed: populations, g2, J0, description)`);
    // the simulator's file as it is (g2, J0, description, a population's D)
    const sim = file('fit-pops-sim.json', { description: 'E/I', populations: [{ name: 'E', size: 2 }, { name: 'I', size: 2, D: 0.2 }], g2: [[1, 0], [0, 1]], J0: [[0, 0], [0, 0]] });
    const { names, groups } = readPopulationAssignment(sim, units);
    expect(names).toEqual(['E', 'I']);
    expect(Array.from(groups)).toEqual([0, 0, 1, 1]);
  });

  it('simulate/dmft --populations: two unknown keys at once, and a misspelt optional key', async () => {
    const two = file('sim-pops-two.json', { populations: [{ name: 'E', size: 2 }], g2: [[1]], j0: [[0]], notes: 'x' });
    expect(await message(() => readPopulationsFile(two))).toBe(`${two}: unknown keys 'j0', 'notes' (allowed: populations, g2, J0, description)`);
    const pop = file('sim-pops-d.json', { populations: [{ name: 'E', size: 2, d: 0.1 }], g2: [[1]] });
    expect(await message(() => readPopulationsFile(pop))).toBe(`${pop} populations[0]: unknown key 'd' (allowed: name, size, D)`);
    const ok = file('sim-pops-ok.json', { description: 'one population', populations: [{ name: 'E', size: 2, D: 0.3 }], g2: [[2.25]] });
    expect(readPopulationsFile(ok)).toEqual({ description: 'one population', populations: [{ name: 'E', size: 2, D: 0.3 }], g2: [[2.25]] });
  });

  it('simulate --modes', async () => {
    const typo = file('modes-typo.json', { m: [[1, -1]], n: [[0.5, 0.5]], foo: 1 });
    expect(await message(() => readModesFile(typo, 2))).toBe(`${typo}: unknown key 'foo' (allowed: m, n, description)`);
    const ok = file('modes-ok.json', { m: [[1, -1]], n: [[0.5, 0.25]], description: 'rank one' });
    const modes = readModesFile(ok, 2);
    expect(Array.from(modes.m[0])).toEqual([1, -1]);
    expect(Array.from(modes.n[0])).toEqual([0.5, 0.25]);
    // other problems still say what the file should look like
    const missing = file('modes-missing.json', { m: [[1, -1]] });
    expect(await message(() => readModesFile(missing, 2))).toBe(`${missing} n: Invalid input: expected array, received undefined; the format is {"m": [[N numbers] per mode], "n": [[N numbers] per mode]}`);
  });

  it('--regions: top level, region and link (the format that already refused them)', async () => {
    const regions = [{ name: 'A', size: 2 }, { name: 'B', size: 2 }];
    const top = file('regions-top.json', { regions, link: [] });
    expect(await message(() => readRegionsFile(top))).toBe(`${top}: unknown key 'link' (allowed: regions, links, T, U, description)`);
    const region = file('regions-region.json', { regions: [regions[0], { name: 'B', sz: 2 }] });
    expect(await message(() => readRegionsFile(region))).toBe(`${region} regions[1]: unknown key 'sz' (allowed: name, size, g, D, units)`);
    const link = file('regions-link.json', { regions, links: [{ from: 'A', to: 'B', rnak: 2 }] });
    expect(await message(() => readRegionsFile(link))).toBe(`${link} links[0]: unknown key 'rnak' (allowed: from, to, rank)`);
  });

  it('JSON recordings: "units" for "unitNames" is refused (it used to rename the units u0, u1)', async () => {
    const data = [[1, 2], [2, 1], [3, 5], [1, 1]];
    const typo = file('rec-units.json', { dt: 0.05, units: ['a', 'b'], data });
    expect(await message(() => readRecording(typo))).toBe(`${typo}: unknown key 'units' (allowed: dt, unitNames, time, data)`);
    const ok = await readRecording(file('rec-ok.json', { dt: 0.05, unitNames: ['a', 'b'], data }));
    expect(ok.unitNames).toEqual(['a', 'b']);
    expect(ok.dt).toBe(0.05);
    expect(Array.from(ok.data)).toEqual([1, 2, 2, 1, 3, 5, 1, 1]);
  });

  it('a fit file given where a recording is expected is named as one (it was a schema error about "data")', async () => {
    const fit = file('fit-as-rec.json', { schema: 'connfit.fit', version: 1, params: {} });
    expect(await message(() => readRecording(fit))).toBe(`${fit}: this is a connfit fit file ("schema": "connfit.fit"), not a recording; predict, forecast and dimension take fit files`);
  });
});

describe('CLI: the audit\'s populations file exits 2 in fit, simulate and dmft alike', () => {
  beforeAll(ensureBuilt, 300_000);
  it('fit --populations, simulate --populations, dmft --populations', async () => {
    const rec = join(dir, 'rec.json');
    writeFileSync(rec, JSON.stringify({ dt: 0.05, data: Array.from({ length: 80 }, (_, t) => [Math.sin(t), Math.cos(1.3 * t), Math.sin(0.7 * t + 1), Math.cos(2.1 * t)]) }));
    const pops = file('cli-pops.json', { populations: [{ name: 'E', size: 2, sizee: 3 }, { name: 'I', size: 2 }], g2: [[1, 0], [0, 1]], foo: 1 });
    const expected = `connfit: error: ${pops} populations[0]: unknown key 'sizee'`;
    const fit = await runCli('fit', rec, '--populations', pops);
    expect(fit.code).toBe(2);
    expect(fit.stderr).toBe(`${expected} (allowed: name, size, units, D)\n`);
    const out = join(dir, 'never.csv');
    const sim = await runCli('simulate', '--populations', pops, '--dt', '0.05', '--steps', '10', '--out', out);
    expect(sim.code).toBe(2);
    expect(sim.stderr).toBe(`${expected} (allowed: name, size, D)\n`);
    const dmft = await runCli('dmft', '--populations', pops, '--discrete');
    expect(dmft.code).toBe(2);
    expect(dmft.stderr).toBe(`${expected} (allowed: name, size, D)\n`);
  });
});
