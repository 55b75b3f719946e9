/**
 * Where real datasets live, and what they should be. They are never copied into the project: code
 * finds them in the data directory, `$CONNFIT_DATA` or else `../shared/datasets` next to the checkout,
 * and checks a registered file against the SHA-256 in datasets/registry.json when it is read.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { packageRoot } from '../util/packageRoot.js';


export function dataDirectory(): string {
  const env = process.env.CONNFIT_DATA;
  if (env && env.trim() !== '') return resolve(env);
  return resolve(packageRoot(), '..', 'shared', 'datasets');
}

const DatasetSchema = z.object({
  name: z.string(),
  /** path inside the data directory (a file, or a directory of files without one hash) */
  file: z.string(),
  format: z.string(),
  source: z.string(),
  citation: z.string(),
  licence: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  /** a directory dataset: the SHA-256 of each file in it, by name */
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
});
export type Dataset = z.infer<typeof DatasetSchema>;

/** The datasets of datasets/registry.json. */
export function registeredDatasets(): Dataset[] {
  const raw: unknown = JSON.parse(readFileSync(join(packageRoot(), 'datasets', 'registry.json'), 'utf8'));
  return z.object({ datasets: z.array(DatasetSchema) }).parse(raw).datasets;
}

/** Symlinks resolved, so a data directory reached through a link still matches. */
function realPath(path: string): string | undefined {
  return existsSync(path) ? realpathSync(path) : undefined;
}

/**
 * Refuse a registered dataset file whose SHA-256 is not the registry's: results from a changed file
 * would be reported as results on the published data.
 */
export function checkRegisteredHash(path: string, sha256: string): void {
  const real = realPath(path);
  if (real === undefined) return;
  const dir = dataDirectory();
  for (const d of registeredDatasets()) {
    for (const [file, expected] of registeredFiles(d)) {
      if (realPath(join(dir, file)) !== real || expected === sha256) continue;
      throw new InputError(
        `this is dataset '${d.name}' of the data directory, but its SHA-256 ${sha256.slice(0, 12)}… is not the registry's ${expected.slice(0, 12)}…: the file was changed. ` +
          `Restore it (source: ${d.source}), or copy it outside the data directory to use a modified version`,
        { file: path },
      );
    }
  }
}

/** A dataset's hashed files, as [path in the data directory, SHA-256]: its one file, or each file of a directory. */
function registeredFiles(d: Dataset): [string, string][] {
  if (d.files) return Object.entries(d.files).map(([name, sha]) => [join(d.file, name), sha]);
  return d.sha256 === null ? [] : [[d.file, d.sha256]];
}

export interface DatasetStatus {
  name: string;
  file: string;
  /** ok: present with the registered hash(es); changed: another hash; present: no hash registered; missing (also a directory's file) */
  status: 'ok' | 'changed' | 'present' | 'missing';
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Each registered dataset in the data directory: there, and with the registered hash? */
export async function datasetStatus(): Promise<DatasetStatus[]> {
  const dir = dataDirectory();
  return Promise.all(
    registeredDatasets().map(async (d): Promise<DatasetStatus> => {
      const files = registeredFiles(d);
      if (!existsSync(join(dir, d.file)) || files.some(([f]) => !existsSync(join(dir, f)))) return { name: d.name, file: d.file, status: 'missing' };
      if (files.length === 0 || files.some(([f]) => !statSync(join(dir, f)).isFile())) return { name: d.name, file: d.file, status: 'present' };
      const same = await Promise.all(files.map(async ([f, sha]) => (await fileSha256(join(dir, f))) === sha));
      return { name: d.name, file: d.file, status: same.every(Boolean) ? 'ok' : 'changed' };
    }),
  );
}
