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
import { timeCliCases, type CliCase } from './cliTimings.js';

const repeats = Number(process.argv[2] ?? 3);

const cases: CliCase[] = [
  { args: ['dmft', '--g', '1.5', '--discrete', '--json'], target: 3.2 },
  { args: ['dmft', '--g', '3', '--discrete', '--json'], target: 5 },
  { args: ['dmft', '--g', '5', '--discrete', '--json'], target: 10 },
  { args: ['dmft', '--g', '5', '--D', '0.1', '--discrete', '--json'] },
  { args: ['dmft', '--g', '20', '--discrete', '--json'] },
];
timeCliCases(cases, repeats, (_c, out) => {
  const r = JSON.parse(out);
  return `Δ0 ${Number(r.delta0).toPrecision(10)}, τ_1/e ${Number(r.tau_1e).toPrecision(8)}`;
});
