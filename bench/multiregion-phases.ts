/**
 * §6.4 phase sweep (V26): R = 2, g = 1.5, U = I, T sampled with T̂'s leading eigenvalue within ±0.01875
 * of (Re λ, Im λ); discrete DMFT dt 0.05, 2500 steps; phase per tensor from `classifyPhase`.
 *
 *   node dist/bench/multiregion-phases.js [--grid 40] [--re-min 1] [--re-max 2.5] [--tensors 50]
 *       [--im-min 0] [--im-max 1.5] [--im-steps grid] [--seed 1]
 *
 * The full 40×40×50 sweep is 80 000 DMFT runs (≈ 0.4 s each: hours). Prints, per Im λ row, the fraction
 * of tensors with limit cycles and the fraction with chaos at each Re λ, the Re λ where the limit-cycle
 * fraction first reaches 1/2 (V26: ≈ 1.5 ± 0.15 for large Im λ; linear theory 1/ψ_SCS(g) = 1.522), and
 * the phase counts. Tensors come from normalGenerator(seed), each run's initial currents from its own
 * seed drawn by uniformGenerator(seed + 1): the same command gives the same table.
 */
import { normalGenerator, uniformGenerator } from '../src/random.js';
import { solveDelta0 } from '../src/theory/dmft.js';
import { erfClosed } from '../src/theory/gaussian.js';
import { classifyPhase, multiregionDmft, sampleTensorNear } from '../src/theory/multiregion.js';

const OPTIONS = ['grid', 're-min', 're-max', 'tensors', 'im-min', 'im-max', 'im-steps', 'seed'];
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(`usage: node dist/bench/multiregion-phases.js ${OPTIONS.map((o) => `[--${o} x]`).join(' ')}`);
  process.exit(0);
}
for (let i = 0; i < argv.length; i += 2) {
  const name = argv[i].replace(/^--/, '');
  if (!argv[i].startsWith('--') || !OPTIONS.includes(name) || !Number.isFinite(Number(argv[i + 1]))) {
    console.error(`bad option '${argv[i]} ${argv[i + 1] ?? ''}'; expected ${OPTIONS.map((o) => `--${o} <number>`).join(', ')}`);
    process.exit(2);
  }
}
function arg(name: string, def: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
}

const grid = arg('grid', 40);
const tensors = arg('tensors', 50);
const seed = arg('seed', 1);
const g = 1.5;
const normal = normalGenerator(seed);
const runSeed = uniformGenerator(seed + 1);
const lin = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
const reVals = lin(arg('re-min', 1), arg('re-max', 2.5), grid);
const imVals = lin(arg('im-min', 0), arg('im-max', 1.5), arg('im-steps', grid));
console.log(`linear threshold 1/ψ_SCS(g = ${g}) = ${(1 / erfClosed.meanGain(solveDelta0('erf', g))).toFixed(4)}`);
const t0 = performance.now();
for (const im of imVals) {
  const lcFrac: number[] = [];
  const chaosFrac: number[] = [];
  const phases: Record<string, number>[] = [];
  for (const re of reVals) {
    let lc = 0;
    let chaos = 0;
    const count: Record<string, number> = {};
    for (let k = 0; k < tensors; k++) {
      const { T } = sampleTensorNear(2, { re, im }, normal);
      const c = classifyPhase(multiregionDmft({ T, g, dt: 0.05, steps: 2500, seed: Math.floor(runSeed() * 2 ** 32) }));
      if (c.currents === 'limit-cycle') lc++;
      if (c.chaos) chaos++;
      count[c.phase] = (count[c.phase] ?? 0) + 1;
    }
    lcFrac.push(lc / tensors);
    chaosFrac.push(chaos / tensors);
    phases.push(count);
  }
  const i = lcFrac.findIndex((f) => f >= 0.5);
  const fmt = (v: number[]) => v.map((f) => f.toFixed(2)).join(' ');
  console.log(`Im λ = ${im.toFixed(3)}  transition Re λ = ${i < 0 ? 'none' : reVals[i].toFixed(3)}`);
  console.log(`   Re λ:           ${reVals.map((r) => r.toFixed(2)).join(' ')}`);
  console.log(`   limit cycles:   ${fmt(lcFrac)}`);
  console.log(`   chaos:          ${fmt(chaosFrac)}`);
  console.log(`   phases: ${phases.map((p, j) => `${reVals[j].toFixed(2)}:${JSON.stringify(p)}`).join(' ')}`);
}
console.log(`elapsed ${((performance.now() - t0) / 1000).toFixed(1)} s`);
