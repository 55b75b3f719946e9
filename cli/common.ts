/**
 * Shared plumbing of the thin CLI: backend start-up, option parsing helpers, error reporting and
 * progress bars. Commands only parse, call the library and print.
 */
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import type { BackendChoice } from '../src/backend.js';
import { ConnfitError, InputError } from '../src/errors.js';
import { resolveModelFile } from '../src/io/models.js';

/** Exit codes: 0 ok, 1 internal failure, 2 bad input or options. */
export const EXIT_INPUT = 2;
export const EXIT_FAILURE = 1;

export function parseNumber(name: string, opts: { positive?: boolean; nonNegative?: boolean; integer?: boolean; min?: number } = {}) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a number, got '${raw}'`);
    if (opts.integer && !Number.isInteger(v)) throw new InvalidArgumentError(`${name} must be a whole number, got '${raw}'`);
    if (opts.positive && !(v > 0)) throw new InvalidArgumentError(`${name} must be > 0, got '${raw}'`);
    if (opts.nonNegative && !(v >= 0)) throw new InvalidArgumentError(`${name} must be >= 0, got '${raw}'`);
    if (opts.min !== undefined && !(v >= opts.min)) throw new InvalidArgumentError(`${name} must be >= ${opts.min}, got '${raw}'`);
    return v;
  };
}

export function parseChoice<T extends string>(name: string, choices: readonly T[]) {
  return (raw: string): T => {
    if (!(choices as readonly string[]).includes(raw)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, got '${raw}'`);
    }
    return raw as T;
  };
}

/**
 * Refuse an output path that cannot be written, before any work: a fit or simulation that runs for
 * minutes should not end in ENOENT or EISDIR at the write, nor replace the file it was computed from.
 */
export function checkOutputPath(path: string, option: string, inputs: readonly (string | undefined)[] = []): void {
  // Real paths, so that a symbolic link (to the output, or the output itself) cannot hide an input.
  const real = (file: string) => (existsSync(file) ? realpathSync(file) : resolve(file));
  const out = real(path);
  // an input may name a shipped model; the output is always the path as given
  const input = inputs.find((f) => f !== undefined && real(resolveModelFile(f)) === out);
  if (input !== undefined) throw new InputError(`would overwrite the input '${input}'; give another file name`, { field: option });
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(`directory '${dirname(path)}' does not exist; create it first`, { field: option });
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new InputError(`'${path}' is a directory; give a file name inside it`, { field: option });
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new InputError(`directory '${dirname(path)}' is not writable`, { field: option });
  }
}

/**
 * Refuse options given on the command line that would be ignored in this mode (defaults do not
 * count): `reason` says what they apply to, e.g. 'applies to --discrete only'.
 */
export function refuseGivenOptions(cmd: Command, options: readonly (readonly [flag: string, key: string])[], reason: string): void {
  for (const [flag, key] of options) {
    if (cmd.getOptionValueSource(key) === 'cli') throw new InputError(reason, { field: flag });
  }
}

/** Start the tensor backend chosen by the global --backend option. */
export async function startBackend(cmd: Command): Promise<string> {
  const choice = (cmd.optsWithGlobals().backend ?? 'auto') as BackendChoice;
  // Loaded on demand: tfjs takes ~0.7 s to import, and commands without tensors never need it.
  const { initBackend } = await import('../src/backend.js');
  return initBackend(choice);
}

/** Run a command body; turn errors into a clear message and a non-zero exit. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      // A running bar's timer would keep the process alive (and the cursor hidden) after the message.
      for (const stop of runningBars) stop();
      const tooLarge = err instanceof RangeError && /Invalid typed array length|Array buffer allocation failed|Invalid array length/.test(err.message);
      if (tooLarge) {
        process.stderr.write(`connfit: error: the job is too large for memory (${err.message}); reduce the sizes asked for (e.g. --steps, --N, --sim-time)\n`);
        process.exitCode = EXIT_INPUT;
      } else if (err instanceof RangeError && /call stack/.test(err.message)) {
        process.stderr.write(`connfit: internal error: ${err.message}\n`);
        if (process.env.CONNFIT_DEBUG) process.stderr.write(`${err.stack}\n`);
        process.exitCode = EXIT_FAILURE;
      } else if (err instanceof InputError || err instanceof RangeError) {
        process.stderr.write(`connfit: error: ${err.message}\n`);
        process.exitCode = EXIT_INPUT;
      } else if (err instanceof ConnfitError) {
        process.stderr.write(`connfit: error: ${err.message}\n`);
        process.exitCode = EXIT_FAILURE;
      } else {
        const e = err as Error;
        process.stderr.write(`connfit: internal error: ${e?.message ?? String(err)}\n`);
        if (process.env.CONNFIT_DEBUG) process.stderr.write(`${e?.stack}\n`);
        process.exitCode = EXIT_FAILURE;
      }
    }
  };
}

/**
 * A progress bar on stderr for long jobs; silent when stderr is not a terminal or with --quiet, so
 * scripted and --json runs stay clean.
 */
const runningBars = new Set<() => void>();

export function progressBar(label: string, quiet = false) {
  if (quiet || !process.stderr.isTTY) {
    return { update: (_done: number, _total: number) => {}, stop: () => {} };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {eta_formatted} left`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const stop = () => {
    if (started) bar.stop();
    started = false;
    runningBars.delete(stop);
  };
  return {
    update(done: number, total: number) {
      if (!started) {
        bar.start(total, 0);
        started = true;
        runningBars.add(stop);
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop,
  };
}

/** Print machine-readable JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
