/**
 * Benchmark: stationary DMFT at large g (tanh, D = 0), whole CLI runs. Δ0 ≈ 0.73 g², so the Gaussian
 * integrals see variances up to ~1e4 at g = 100; with the window + exact-tail rules of
 * src/theory/gaussian.ts (saturatedRule) their cost no longer grows with g.
 * Target: `connfit dmft --g 100` ≤ 5 s (was ~63 s), and g 30 no slower than before (~6.8 s).
 * Prints the median wall time of `repeats` runs per command (each a fresh node process).
 *
 *   node dist/bench/dmft-large-g.js [repeats=3]
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const CLI = join(HERE, '..', 'cli', 'main.js');
const repeats = Number(process.argv[2] ?? 3);

const cases: { args: string[]; target?: number }[] = [
  { args: ['dmft', '--g', '2', '--json'] },
  { args: ['dmft', '--g', '30', '--json'], target: 6.8 },
  { args: ['dmft', '--g', '50', '--json'] },
  { args: ['dmft', '--g', '100', '--json'], target: 5 },
  { args: ['dmft', '--g', '200', '--json'] },
  { args: ['fixedpoints', '--N', '100', '--g', '100'] },
];
let ok = true;
for (const c of cases) {
  const runs: number[] = [];
  let delta0 = NaN;
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now();
    const out = execFileSync(process.execPath, [CLI, ...c.args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    runs.push((performance.now() - t0) / 1000);
    if (c.args[0] === 'dmft') delta0 = JSON.parse(out).delta0;
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)];
  const pass = c.target === undefined || median <= c.target;
  ok &&= pass;
  process.stdout.write(
    `connfit ${c.args.join(' ')}: median ${median.toFixed(2)} s of ${repeats} (${runs.map((r) => r.toFixed(2)).join(', ')})` +
      (c.target !== undefined ? ` (target ≤ ${c.target} s: ${pass ? 'PASS' : 'FAIL'})` : '') +
      (Number.isFinite(delta0) ? `; Δ0 ${delta0.toPrecision(8)}` : '') +
      '\n',
  );
}
if (!ok) process.exitCode = 1;
