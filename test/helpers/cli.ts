/**
 * Running the built CLI from tests. Child processes are awaited, never run with spawnSync: a test
 * that blocks its worker for a minute starves vitest's worker RPC (fixed 60 s timeout) and the run
 * exits 1 with every test green.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(root, 'dist', 'cli', 'main.js');
const exec = promisify(execFile);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `connfit ...args`; resolves with the exit code and output (non-zero exits do not throw). */
export async function runCli(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build dist/ when it is missing or older than the sources (npm test builds first; this is for single files). */
export async function ensureBuilt(): Promise<void> {
  const stale = !existsSync(cliPath) || Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'cli'))) > statSync(cliPath).mtimeMs;
  if (stale) {
    try {
      await exec('npx', ['tsc', '-p', root], { cwd: root });
    } catch {
      /* tsc still emits on type errors elsewhere; the existence check below decides */
    }
    await exec(process.execPath, [join(root, 'scripts', 'postbuild.mjs')]);
  }
  if (!existsSync(cliPath)) throw new Error(`CLI not built at ${cliPath}`);
}

/**
 * A scratch directory for a test file's CLI runs: created (and dist/ built if stale) before its tests,
 * removed after them. `write` puts a file in it and returns its path.
 */
export function cliScratch(prefix: string): { readonly dir: string; write(name: string, text: string): string } {
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    await ensureBuilt();
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    get dir() {
      return dir;
    },
    write(name: string, text: string): string {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    },
  };
}
