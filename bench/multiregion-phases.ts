/**
 * §6.4 phase sweep (V26): R = 2, g = 1.5, U = I, T sampled with T̂'s leading eigenvalue within ±0.01875
 * of (Re λ, Im λ); discrete DMFT dt 0.05, 2500 steps; phase per tensor from `classifyPhase`.
 *
 *   node dist/bench/multiregion-phases.js [--grid 40] [--tensors 50] [--im-min 0] [--im-max 1.5] [--im-steps grid] [--seed 1]
 *
 * The full 40×40×50 sweep is 80 000 DMFT runs (≈ 0.3 s each: hours). Prints, per Im λ row, the fraction
 * of tensors with limit cycles at each Re λ and the Re λ where that fraction first reaches 1/2
 * (V26: ≈ 1.5 ± 0.15 for large Im λ; linear theory 1/ψ_SCS(g) = 1.522).
 */
import { normalGenerator, uniformGenerator } from '../src/random.js';
import { solveDelta0 } from '../src/theory/dmft.js';
import { erfClosed } from '../src/theory/gaussian.js';
import { classifyPhase, multiregionDmft, sampleTensorNear } from '../src/theory/multiregion.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const grid = arg('grid', 40);
const tensors = arg('tensors', 50);
const imMin = arg('im-min', 0);
const imMax = arg('im-max', 1.5);
const seed = arg('seed', 1);
const g = 1.5;
const normal = normalGenerator(seed);
const uniform = uniformGenerator(seed + 1);
const lin = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
const reVals = lin(1, 2.5, grid);
const imVals = lin(imMin, imMax, arg('im-steps', grid));
console.log(`linear threshold 1/ψ_SCS(g = ${g}) = ${(1 / erfClosed.meanGain(solveDelta0('erf', g))).toFixed(4)}`);
const t0 = performance.now();
for (const im of imVals) {
  const frac: number[] = [];
  const phases: Record<string, number>[] = [];
  for (const re of reVals) {
    let lc = 0;
    const count: Record<string, number> = {};
    for (let k = 0; k < tensors; k++) {
      const { T } = sampleTensorNear(2, { re, im }, normal);
      const c = classifyPhase(multiregionDmft({ T, g, dt: 0.05, steps: 2500, uniform }));
      if (c.currents === 'limit-cycle') lc++;
      count[c.phase] = (count[c.phase] ?? 0) + 1;
    }
    frac.push(lc / tensors);
    phases.push(count);
  }
  const i = frac.findIndex((f) => f >= 0.5);
  console.log(`Im λ = ${im.toFixed(3)}  transition Re λ = ${i < 0 ? 'none' : reVals[i].toFixed(3)}  LC fraction: ${frac.map((f) => f.toFixed(2)).join(' ')}`);
  console.log(`   phases: ${phases.map((p, j) => `${reVals[j].toFixed(2)}:${JSON.stringify(p)}`).join(' ')}`);
}
console.log(`elapsed ${((performance.now() - t0) / 1000).toFixed(1)} s`);
