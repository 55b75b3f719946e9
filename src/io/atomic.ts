import { rmSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname, basename, join } from 'node:path';

/**
 * Write a file so that readers see either the old file or the complete new one, never a half-written
 * file: write to a temporary sibling, fsync, then rename over the target (atomic on POSIX). The writes
 * are asynchronous so that SIGINT/SIGTERM are handled between blocks: the temporary file is removed
 * and the target left as it was (see onSignal).
 */
export async function writeFileAtomic(path: string, chunks: Iterable<string | Uint8Array>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++sequence}.tmp`);
  track(tmp);
  try {
    const fh = await open(tmp, 'w');
    try {
      for (const chunk of chunks) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        let off = 0;
        while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    untrack(tmp);
  }
}

let sequence = 0;

/** Temporary files being written: removed when the process is interrupted or exits first. */
const inFlight = new Set<string>();

function removeInFlight(): void {
  for (const tmp of inFlight) rmSync(tmp, { force: true });
  inFlight.clear();
}

/**
 * SIGINT/SIGTERM during a write: remove the temporary files, then exit with the shell's code for death
 * by that signal (128 + its number: 130, 143), unless the program listens for the signal itself (a
 * library user's handler decides; the write then fails at the rename).
 */
function onSignal(signal: NodeJS.Signals): void {
  removeInFlight();
  if (process.listenerCount(signal) === 1) process.exit(128 + constants.signals[signal]);
}

// Installed only while a write is in flight, so that a signal at any other time keeps its default
// action (and a program's own handlers are alone then).
function track(tmp: string): void {
  if (inFlight.size === 0) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', removeInFlight);
  }
  inFlight.add(tmp);
}

function untrack(tmp: string): void {
  inFlight.delete(tmp);
  if (inFlight.size === 0) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', removeInFlight);
  }
}
