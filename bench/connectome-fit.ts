/**
 * Benchmark: connectome-constrained fits, J = a·W + J0/N + g·Z/√N (fit --connectome; src/fit/connectome.ts).
 * Teacher: the C. elegans neurons' chemical synapses (300 cells, counts as given) at scale a, plus a random
 * bulk g, D 0.05, tanh, 1000 τ at dt 0.05 after 25 τ. Per recorded share (all, 1/2, 1/4 of the cells,
 * evenly spaced) and network seed: â/a, whether a's 95 % interval covers a, ĝ against the realised bulk,
 * D̂/D, and the fit's time. A control fits the same recordings with the cells' names shuffled (â/a ≈ 0).
 *
 *   node dist/bench/connectome-fit.js [a, default 0.02] [bulk g, default 0.5] [seeds, default 4]
 */
import { join } from 'node:path';
import { initBackend } from '../src/backend.js';
import { readConnectome, type Connectome } from '../src/connectome/connectome.js';
import { dataDirectory } from '../src/datasets/registry.js';
import { fitWithConnectome } from '../src/fit/connectome.js';
import { couplingNetwork } from '../src/simulate/network.js';
import { evenlySpacedUnits, simulate } from '../src/simulate/simulate.js';

const a = Number(process.argv[2] ?? 0.02);
const g = Number(process.argv[3] ?? 0.5);
const seeds = Number(process.argv[4] ?? 4);
const D = 0.05;

await initBackend();
const worm = readConnectome(join(dataDirectory(), 'celegans-cook2019-herm/herm_full_edgelist.csv'), { synapses: 'chemical', cells: /^[A-Z]/ });
const spec = couplingNetwork(worm, { scale: a, bulkG: g, D });
// a fixed derangement of the names: every recorded unit matched to another cell
const shuffled: Connectome = { ...worm, names: worm.names.map((_, i) => worm.names[(i * 7 + 13) % worm.N]) };
const f = (v: number, d = 3) => v.toFixed(d);
console.log(`C. elegans chemical synapses (N ${worm.N}), a ${a}, bulk g ${g}, D ${D}, 1000 τ; ${seeds} networks per share`);
console.log('recorded  seed   â/a     covered  ĝ/g_realised  D̂/D    shuffled â/a   fit s');
for (const share of [1, 0.5, 0.25]) {
  const rows: number[][] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const observe = evenlySpacedUnits(worm.N, Math.round(share * worm.N));
    const { recording, realised } = await simulate(spec, { dt: 0.05, steps: 20000, burnIn: 500, seed, observe });
    const t0 = performance.now();
    const fit = await fitWithConnectome(recording, worm, { phi: 'tanh' });
    const seconds = (performance.now() - t0) / 1000;
    const control = await fitWithConnectome(recording, shuffled, { phi: 'tanh' });
    const s = fit.params.connectomeScale;
    const row = [s.value / a, s.ci95[0] <= a && a <= s.ci95[1] ? 1 : 0, fit.params.g.value / realised.g[0][0], fit.params.D.value / D, control.params.connectomeScale.value / a, seconds];
    rows.push(row);
    console.log(`${String(observe.length).padStart(8)}  ${String(seed).padStart(4)}   ${f(row[0])}   ${row[1] ? 'yes' : 'no '}      ${f(row[2])}         ${f(row[3], 4)}  ${f(row[4]).padStart(7)}        ${f(row[5], 1)}`);
  }
  const mean = (k: number) => rows.reduce((t, r) => t + r[k], 0) / rows.length;
  console.log(`${String(Math.round(share * worm.N)).padStart(8)}  mean   ${f(mean(0))}   ${rows.filter((r) => r[1]).length}/${rows.length}      ${f(mean(2))}         ${f(mean(3), 4)}  ${f(mean(4)).padStart(7)}        ${f(mean(5), 1)}`);
}
