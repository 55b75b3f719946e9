/**
 * Benchmark: the network bootstrap of a connectome fit (`fit --connectome W --bootstrap-networks B`,
 * src/fit/connectomeBootstrap.ts), which for a partial recording calibrates a, g and J0 by simulation.
 * Recording some of the cells lets the recorded activity stand in for the unrecorded cells' correlated
 * input, so â, ĝ and Ĵ0 come out high (bench/connectome-fit.ts). Per recorded share and network seed:
 * the fit's own â/a, the calibrated a/a and whether its interval covers a, the same for g (against the
 * realised bulk) and J0 (true value 0: W's mean is part of a·W), the rounds of simulations, and the time.
 *
 * Teacher as in bench/connectome-fit.ts: C. elegans neurons' chemical synapses (300 cells), a 0.02, bulk g
 * 0.5, D 0.05, tanh, 1000 τ at dt 0.05; the recorded cells evenly spaced.
 *
 *   node dist/bench/connectome-bias.js [share, default 0.5] [networks B, default 5] [seeds, default 4] [first seed, default 1] [length τ, default 1000]
 */
import { join } from 'node:path';
import { initBackend } from '../src/backend.js';
import { readConnectome } from '../src/connectome/connectome.js';
import { dataDirectory } from '../src/datasets/registry.js';
import { fitWithConnectome } from '../src/fit/connectome.js';
import { connectomeNetworkBootstrap, withConnectomeBootstrap } from '../src/fit/connectomeBootstrap.js';
import { couplingNetwork } from '../src/simulate/network.js';
import { evenlySpacedUnits, simulate } from '../src/simulate/simulate.js';

const share = Number(process.argv[2] ?? 0.5);
const B = Number(process.argv[3] ?? 5);
const seeds = Number(process.argv[4] ?? 4);
const first = Number(process.argv[5] ?? 1);
const length = Number(process.argv[6] ?? 1000);
const a = 0.02;
const g = 0.5;
const D = 0.05;

await initBackend();
const worm = readConnectome(join(dataDirectory(), 'celegans-cook2019-herm/herm_full_edgelist.csv'), { synapses: 'chemical', cells: /^[A-Z]/ });
const observe = evenlySpacedUnits(worm.N, Math.round(share * worm.N));
const f = (v: number, d = 3) => v.toFixed(d);
const covers = (ci: [number, number], v: number) => (ci[0] <= v && v <= ci[1] ? 'yes' : 'no ');
console.log(`C. elegans chemical synapses (N ${worm.N}), ${observe.length} cells recorded, a ${a}, bulk g ${g}, D ${D}, ${length} τ; bootstrap of ${B} networks`);
console.log('seed  â/a    → a*/a   covered   ĝ/g    → g*/g   covered   Ĵ0     → J0*    covered   rounds  converged  s');
for (let seed = first; seed < first + seeds; seed++) {
  const { recording, realised } = await simulate(couplingNetwork(worm, { scale: a, bulkG: g, D }), { dt: 0.05, steps: Math.round(length / 0.05), burnIn: 500, observe, seed });
  const t0 = performance.now();
  const fit = await fitWithConnectome(recording, worm, { phi: 'tanh' });
  const boot = await connectomeNetworkBootstrap(recording, worm, fit, { phi: 'tanh' }, { networks: B, seed });
  const out = withConnectomeBootstrap(fit, boot);
  const s = (performance.now() - t0) / 1000;
  const gr = realised.g[0][0];
  const j0 = realised.J0[0][0];
  const [pa, pg, pj] = [out.params.connectomeScale, out.params.g, out.params.J0];
  const cal = boot.calibration!;
  console.log(
    [
      String(seed).padStart(4),
      f(fit.params.connectomeScale.value / a), f(pa.value / a), covers(pa.ci95, a).padEnd(7),
      f(fit.params.g.value / gr), f(pg.value / gr), covers(pg.ci95, gr).padEnd(7),
      f(fit.params.J0.value).padStart(6), f(pj.value).padStart(6), covers(pj.ci95, j0).padEnd(7),
      String(cal.evaluations).padStart(4), (cal.converged ? 'yes' : 'no').padEnd(9), s.toFixed(0),
    ].join('  '),
  );
}
