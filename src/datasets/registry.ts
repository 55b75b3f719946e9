/**
 * Where real datasets live. They are never copied into the project: code finds them in the data
 * directory, `$CONNFIT_DATA` or else `../shared/datasets` next to the checkout.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

function packageRoot(): string {
  // src/datasets → root, or dist/src/datasets → root
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function dataDirectory(): string {
  const env = process.env.CONNFIT_DATA;
  if (env && env.trim() !== '') return resolve(env);
  return resolve(packageRoot(), '..', 'shared', 'datasets');
}
