/**
 * Whole-CLI wall-time benchmarks: each case runs `repeats` times in a fresh node process; prints the
 * median (and the runs), the verdict against an optional target in seconds and a summary of the last
 * run's stdout; sets a non-zero exit code when a target is missed.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js'); // from dist/bench

export interface CliCase {
  args: string[];
  target?: number;
}

export function timeCliCases(cases: readonly CliCase[], repeats: number, summarise: (c: CliCase, stdout: string) => string): void {
  let ok = true;
  for (const c of cases) {
    const runs: number[] = [];
    let out = '';
    for (let k = 0; k < repeats; k++) {
      const t0 = performance.now();
      out = execFileSync(process.execPath, [CLI, ...c.args], { encoding: 'utf8', maxBuffer: 1 << 28 });
      runs.push((performance.now() - t0) / 1000);
    }
    runs.sort((a, b) => a - b);
    const median = runs[Math.floor(runs.length / 2)];
    const pass = c.target === undefined || median <= c.target;
    ok &&= pass;
    const summary = summarise(c, out);
    process.stdout.write(
      `connfit ${c.args.join(' ')}: median ${median.toFixed(2)} s of ${repeats} (${runs.map((r) => r.toFixed(2)).join(', ')})` +
        (c.target !== undefined ? ` (target ≤ ${c.target} s: ${pass ? 'PASS' : 'FAIL'})` : '') +
        (summary ? `; ${summary}` : '') +
        '\n',
    );
  }
  if (!ok) process.exitCode = 1;
}
