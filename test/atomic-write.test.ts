/**
 * Atomic writes (src/io/atomic.ts): the target is the old file or the complete new one, and a write
 * interrupted by SIGINT/SIGTERM leaves no temporary file behind and exits 130/143.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/io/atomic.js';
import { cliPath, ensureBuilt } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'connfit-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const temporaries = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

/**
 * Start a simulation whose CSV takes seconds to write (50 units × 40001 samples, about 40 MB), send
 * `signal` as soon as its temporary file exists, and resolve with the exit code and what was left.
 */
async function interruptedSimulation(d: string, signal: 'SIGINT' | 'SIGTERM'): Promise<{ code: number | null; killedBy: string | null; sawTemporary: string; left: string[] }> {
  const out = join(d, 'big.csv');
  const child = spawn(process.execPath, [cliPath, 'simulate', '--N', '50', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '40000', '--seed', '1', '--out', out, '--quiet'], { stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; killedBy: string | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, killedBy: sig })));
  let seen: string | undefined;
  let done = false;
  void exited.then(() => (done = true));
  while (!seen && !done) {
    seen = temporaries(d)[0];
    if (!seen) await new Promise((r) => setTimeout(r, 5));
  }
  if (!seen) throw new Error('the simulation ended before its temporary file was seen');
  child.kill(signal);
  const { code, killedBy } = await exited;
  return { code, killedBy, sawTemporary: seen, left: readdirSync(d) };
}

describe('interrupted writes', () => {
  beforeAll(ensureBuilt, 300_000);

  it('SIGTERM while simulate writes its CSV: the temporary file is removed, no target, exit 143', async () => {
    const d = mkdtempSync(join(dir, 'term-'));
    const r = await interruptedSimulation(d, 'SIGTERM');
    expect(r.sawTemporary).toMatch(/^\.big\.csv\.\d+\.1\.tmp$/);
    expect(r).toMatchObject({ code: 143, killedBy: null, left: [] });
  }, 120_000);

  it('SIGINT (Ctrl-C) likewise, exit 130; a file already at the target stays as it was', async () => {
    const d = mkdtempSync(join(dir, 'int-'));
    writeFileSync(join(d, 'big.csv'), 'the previous recording\n');
    const r = await interruptedSimulation(d, 'SIGINT');
    expect(r).toMatchObject({ code: 130, killedBy: null, left: ['big.csv'] });
    expect(readFileSync(join(d, 'big.csv'), 'utf8')).toBe('the previous recording\n');
  }, 120_000);
});

describe('writes that complete', () => {
  it('write the whole file, leave no temporary file and no signal handlers behind', async () => {
    const d = mkdtempSync(join(dir, 'ok-'));
    const path = join(d, 'out.txt');
    const before = ['SIGINT', 'SIGTERM', 'exit'].map((e) => process.listenerCount(e));
    await writeFileAtomic(path, ['a,b\n', Buffer.from('1,2\n'), new Uint8Array([51, 44, 52, 10])]);
    expect(readFileSync(path, 'utf8')).toBe('a,b\n1,2\n3,4\n');
    expect(temporaries(d)).toEqual([]);
    expect(['SIGINT', 'SIGTERM', 'exit'].map((e) => process.listenerCount(e))).toEqual(before);
    // a failing source: the error comes through, the old file stays, no temporary file
    function* failing(): Generator<string> {
      yield 'partial\n';
      throw new Error('source failed');
    }
    await expect(writeFileAtomic(path, failing())).rejects.toThrow('source failed');
    expect(readFileSync(path, 'utf8')).toBe('a,b\n1,2\n3,4\n');
    expect(temporaries(d)).toEqual([]);
    expect(existsSync(join(d, 'out.txt'))).toBe(true);
  });
});
