/**
 * Benchmark: stationary DMFT at large g (tanh, D = 0), whole CLI runs. Δ0 ≈ 0.73 g², so the Gaussian
 * integrals see variances up to ~1e4 at g = 100; with the window + exact-tail rules of
 * src/theory/gaussian.ts (saturatedRule) their cost no longer grows with g.
 * Target: `connfit dmft --g 100` ≤ 5 s (was ~63 s), and g 30 no slower than before (~6.8 s).
 * Prints the median wall time of `repeats` runs per command (each a fresh node process).
 *
 *   node dist/bench/dmft-large-g.js [repeats=3]
 */
import { timeCliCases, type CliCase } from './cliTimings.js';

const repeats = Number(process.argv[2] ?? 3);

const cases: CliCase[] = [
  { args: ['dmft', '--g', '2', '--json'] },
  { args: ['dmft', '--g', '30', '--json'], target: 6.8 },
  { args: ['dmft', '--g', '50', '--json'] },
  { args: ['dmft', '--g', '100', '--json'], target: 5 },
  { args: ['dmft', '--g', '200', '--json'] },
  { args: ['fixedpoints', '--N', '100', '--g', '100'] },
];
timeCliCases(cases, repeats, (c, out) => (c.args[0] === 'dmft' ? `Δ0 ${Number(JSON.parse(out).delta0).toPrecision(8)}` : ''));
