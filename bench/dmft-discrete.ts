/**
 * Benchmark: the discrete-time DMFT recursion (`connfit dmft --discrete`: tanh, D 0, dt 0.05, 4000
 * steps, O(steps²) pairs; the theory kernel of `predict` and `forecast`), whole CLI runs at g 1.5–20.
 * The near-diagonal C_φ entries of chaotic states (variance ≫ 3, Hermite coefficients not decayed)
 * dominated: the Mehler series now covers |ρ| ≤ 0.9616 and expect2Lattice the rest.
 * Targets: g 5 ≤ 10 s (was 61 s), g 3 ≤ 5 s (was 12 s), g 1.5 no slower than before (3.2 s).
 * Prints the median wall time of `repeats` runs per command (each a fresh node process).
 *
 *   node dist/bench/dmft-discrete.js [repeats=3]
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const CLI = join(HERE, '..', 'cli', 'main.js');
const repeats = Number(process.argv[2] ?? 3);

const cases: { args: string[]; target?: number }[] = [
  { args: ['dmft', '--g', '1.5', '--discrete', '--json'], target: 3.2 },
  { args: ['dmft', '--g', '3', '--discrete', '--json'], target: 5 },
  { args: ['dmft', '--g', '5', '--discrete', '--json'], target: 10 },
  { args: ['dmft', '--g', '5', '--D', '0.1', '--discrete', '--json'] },
  { args: ['dmft', '--g', '20', '--discrete', '--json'] },
];
let ok = true;
for (const c of cases) {
  const runs: number[] = [];
  let summary = '';
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now();
    const out = execFileSync(process.execPath, [CLI, ...c.args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    runs.push((performance.now() - t0) / 1000);
    const r = JSON.parse(out);
    summary = `Δ0 ${Number(r.delta0).toPrecision(10)}, τ_1/e ${Number(r.tau_1e).toPrecision(8)}`;
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)];
  const pass = c.target === undefined || median <= c.target;
  ok &&= pass;
  process.stdout.write(
    `connfit ${c.args.join(' ')}: median ${median.toFixed(2)} s of ${repeats} (${runs.map((r) => r.toFixed(2)).join(', ')})` +
      (c.target !== undefined ? ` (target ≤ ${c.target} s: ${pass ? 'PASS' : 'FAIL'})` : '') +
      `; ${summary}\n`,
  );
}
if (!ok) process.exitCode = 1;
