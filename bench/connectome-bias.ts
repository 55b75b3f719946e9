/**
 * Benchmark (a study for a future option): can simulation remove the partial-recording bias of a
 * connectome fit's scale â? A recording of some of the cells lets the recorded activity stand in for the
 * unrecorded cells' correlated input, so â comes out high (bench/connectome-fit.ts). Here the bias is
 * calibrated by simulation (indirect inference): simulate the whole connectome at a trial scale a_k with the
 * fitted bulk ĝ, D̂, Ĵ0, record the same cells, refit, and solve mean â(a) = â for a by secant steps from
 * a_0 = â: a_{k+1} = a_k + (â − mean â(a_k))/slope. a_1 (slope 1) is the plain bootstrap bias correction
 * (â − bias at â); plain fixed-point steps oscillate at a quarter recorded, where the slope is about 2.
 *
 * Teacher as in bench/connectome-fit.ts: C. elegans neurons' chemical synapses (300 cells), a 0.02, bulk g
 * 0.5, D 0.05, tanh, 1000 τ at dt 0.05; the recorded cells evenly spaced.
 *
 *   node dist/bench/connectome-bias.js [share, default 0.5] [networks per step, default 5] [steps, default 3] [seeds, default 2]
 */
import { join } from 'node:path';
import { initBackend } from '../src/backend.js';
import { readConnectome } from '../src/connectome/connectome.js';
import { dataDirectory } from '../src/datasets/registry.js';
import { fitWithConnectome } from '../src/fit/connectome.js';
import { couplingNetwork } from '../src/simulate/network.js';
import { evenlySpacedUnits, simulate } from '../src/simulate/simulate.js';

const share = Number(process.argv[2] ?? 0.5);
const B = Number(process.argv[3] ?? 5);
const K = Number(process.argv[4] ?? 3);
const seeds = Number(process.argv[5] ?? 2);
const a = 0.02;
const g = 0.5;
const D = 0.05;

await initBackend();
const worm = readConnectome(join(dataDirectory(), 'celegans-cook2019-herm/herm_full_edgelist.csv'), { synapses: 'chemical', cells: /^[A-Z]/ });
const observe = evenlySpacedUnits(worm.N, Math.round(share * worm.N));
const run = { dt: 0.05, steps: 20000, burnIn: 500, observe };
const f = (v: number) => v.toFixed(3);
console.log(`C. elegans chemical synapses (N ${worm.N}), ${observe.length} cells recorded, a ${a}, bulk g ${g}, D ${D}, 1000 τ; ${B} networks per step`);
for (let seed = 1; seed <= seeds; seed++) {
  const { recording } = await simulate(couplingNetwork(worm, { scale: a, bulkG: g, D }), { ...run, seed });
  const t0 = performance.now();
  const fit = await fitWithConnectome(recording, worm, { phi: 'tanh' });
  const p = fit.params;
  const aHat = p.connectomeScale.value;
  const line = [`seed ${seed}: â/a ${f(aHat / a)}`];
  // secant steps on a ↦ mean â(a): the first with slope 1 (the plain bootstrap correction), then the slope
  // through the last two points, kept within [0.5, 5] (it is 1.2–2.5 here; noise could flip it)
  let trial = aHat;
  let prev: { at: number; mean: number } | undefined;
  for (let k = 0; k < K; k++) {
    let sum = 0;
    for (let b = 0; b < B; b++) {
      const spec = couplingNetwork(worm, { scale: trial, bulkG: p.g.value, D: p.D.value, J0: p.J0.value });
      const sim = await simulate(spec, { ...run, seed: 1000 * seed + 100 * k + b });
      sum += (await fitWithConnectome(sim.recording, worm, { phi: 'tanh' })).params.connectomeScale.value;
    }
    const mean = sum / B;
    const slope = prev ? Math.min(5, Math.max(0.5, (mean - prev.mean) / (trial - prev.at))) : 1;
    prev = { at: trial, mean };
    trial += (aHat - mean) / slope;
    line.push(`mean â(a_${k})/a ${f(mean / a)}, slope ${slope.toFixed(2)} → a_${k + 1}/a ${f(trial / a)}`);
  }
  console.log(`${line.join('; ')}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
