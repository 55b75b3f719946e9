/**
 * Benchmark: participation ratio from theory (THEORY §5.2), i.i.d. couplings, tanh, g = 1.2, D = 0
 * (target ≤ 10 s), plus the near-critical g = 1.03 and the large-g erf g = 100 cases for reference.
 * Prints the median wall time of `repeats` runs per case (the first run includes JIT warm-up).
 *
 *   node dist/bench/pr-theory.js [repeats=5]
 */
import { participationRatioTheory, type PrTheoryOptions } from '../src/theory/participation.js';

const repeats = Number(process.argv[2] ?? 5);
const cases: (PrTheoryOptions & { target?: number })[] = [
  { phi: 'tanh', g: 1.2, D: 0, target: 10 },
  { phi: 'tanh', g: 1.03, D: 0 },
  { phi: 'erf', g: 100, D: 0 },
];
let ok = true;
for (const c of cases) {
  const runs: number[] = [];
  let last = participationRatioTheory(c);
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now();
    last = participationRatioTheory(c);
    runs.push((performance.now() - t0) / 1000);
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)];
  const pass = c.target === undefined || median <= c.target;
  ok &&= pass;
  process.stdout.write(
    `PR theory ${c.phi} g ${c.g} D ${c.D}: median ${median.toFixed(3)} s of ${repeats}` +
      (c.target !== undefined ? ` (target ≤ ${c.target} s: ${pass ? 'PASS' : 'FAIL'})` : '') +
      `; PR_x ${last.pr_x!.toPrecision(4)}, PR_φ ${last.pr_phi.toPrecision(4)}; ${last.grid.evaluations} integrand points, ${last.grid.lags} lags\n`,
  );
}
if (!ok) process.exitCode = 1;
