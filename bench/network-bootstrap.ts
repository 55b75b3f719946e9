/**
 * Benchmark: does the network bootstrap (`fit --bootstrap-networks B`, src/fit/networkBootstrap.ts)
 * calibrate the spectral fit's interval of g at strong coupling? Per network (fully recorded i.i.d. tanh
 * network, D 0.1, 20000 steps of 0.05, seeds 11, 12, …): the spectral fit, its Hessian interval, then the
 * bootstrap with B networks (bootstrap seed = the network's seed, so every network gets its own draws).
 * Reported: ĝ − g_realised over networks (mean, sd: the scatter the interval should cover), the median
 * Hessian SE and bootstrap sd and bias, and how often each interval contains g_realised.
 *
 *   node dist/bench/network-bootstrap.js [networks=24] [B=20] [N=100] [g=1.5]
 */
import { initBackend } from '../src/backend.js';
import { fitRecording, type FitOptions } from '../src/fit/fit.js';
import { networkBootstrap, withNetworkBootstrap } from '../src/fit/networkBootstrap.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function main(): Promise<void> {
  const K = Number(process.argv[2] ?? 24);
  const B = Number(process.argv[3] ?? 20);
  const N = Number(process.argv[4] ?? 100);
  const g = Number(process.argv[5] ?? 1.5);
  await initBackend('wasm');
  const opts: FitOptions = { phi: 'tanh', dt: 0.05, loss: 'whittle' };
  const errors: number[] = [];
  const ses: number[] = [];
  const sds: number[] = [];
  const biases: number[] = [];
  let coveredHessian = 0;
  let coveredBoot = 0;
  const t0 = Date.now();
  for (let seed = 11; seed < 11 + K; seed++) {
    const sim = await simulate(iidNetwork({ N, g, D: 0.1 }), { dt: 0.05, steps: 20000, burnIn: 2000, seed });
    const truth = sim.realised.g[0][0];
    const fit = await fitRecording(sim.recording, opts);
    const boot = await networkBootstrap(sim.recording, fit, opts, { networks: B, seed });
    const booted = withNetworkBootstrap(fit, boot);
    const inside = (ci: [number, number]) => ci[0] <= truth && truth <= ci[1];
    errors.push(fit.params.g.value - truth);
    ses.push(fit.params.g.se);
    sds.push(boot.estimates.g.sd);
    biases.push(boot.estimates.g.bias);
    if (inside(fit.params.g.ci95)) coveredHessian++;
    if (inside(booted.params.g.ci95)) coveredBoot++;
    console.log(`network ${seed}: g_realised ${truth.toFixed(4)}  ĝ ${fit.params.g.value.toFixed(4)}  SE ${fit.params.g.se.toFixed(4)}  bootstrap bias ${boot.estimates.g.bias.toFixed(4)} sd ${boot.estimates.g.sd.toFixed(4)}  interval [${booted.params.g.ci95.map((v) => v.toFixed(3)).join(', ')}]`);
  }
  const mean = errors.reduce((s, v) => s + v, 0) / K;
  const sd = Math.sqrt(errors.reduce((s, v) => s + (v - mean) ** 2, 0) / (K - 1));
  console.log(`N ${N}, g ${g}, ${K} networks, B ${B} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  console.log(`ĝ − g_realised: mean ${mean.toFixed(4)}, sd ${sd.toFixed(4)}; median Hessian SE ${median(ses).toFixed(4)}; bootstrap: median sd ${median(sds).toFixed(4)}, median bias ${median(biases).toFixed(4)}`);
  console.log(`covered: Hessian interval ${coveredHessian}/${K}, bootstrap interval ${coveredBoot}/${K}`);
}

await main();
