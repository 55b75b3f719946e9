/**
 * The models/ directory of the package: network specifications (regions, populations, modes) and
 * example fitted models, which every command that reads a JSON file also takes by name
 * (`--regions two-regions` for models/two-regions.json). A file of that name in the working directory
 * comes first; only a bare name (no directory part) is looked up.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/packageRoot.js';

export function modelsDirectory(): string {
  return join(packageRoot(), 'models');
}

/** Names of the shipped models (file names without .json), sorted. */
export function modelNames(): string[] {
  const dir = modelsDirectory();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** The path to read for a file argument: the file itself if it exists, else a shipped model of that name. */
export function resolveModelFile(arg: string): string {
  if (existsSync(arg) || /[\\/]/.test(arg)) return arg;
  const name = arg.endsWith('.json') ? arg.slice(0, -'.json'.length) : arg;
  const path = join(modelsDirectory(), `${name}.json`);
  return existsSync(path) && statSync(path).isFile() ? path : arg;
}
