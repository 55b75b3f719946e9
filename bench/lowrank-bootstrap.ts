/**
 * Benchmark: does the network bootstrap of a low-rank fit (`fit --rank R --bootstrap-networks B`,
 * lowRankNetworkBootstrap in src/fit/networkBootstrap.ts) tell how far the fitted modes are from the
 * truth? Issue 3's teacher, all units recorded (N 200, g 0.3, D 0.02, rank 2 with m ~ N(0, 1),
 * n = 0.8 m + 2ξ, 2000 τ at Δ 0.05), modes seeds 7, 8, … (simulation seed 4 lower). Per teacher: the
 * rank-2 fit, its largest principal angles against the true m- and n-spans, and the bootstrap's median
 * and 95th percentile of the same angles over B refits (bootstrap seed = the modes seed). Also ĝ's
 * Hessian and bootstrap intervals against the realised g.
 *
 * With `partial`: 100 of the 200 units recorded (evenly spaced) and fitted with the network size (the
 * default exact form), the bootstrap drawing the unrecorded units' loadings from the recorded units'.
 *
 *   node dist/bench/lowrank-bootstrap.js [teachers=8] [B=10] [full|partial]
 */
import { initBackend } from '../src/backend.js';
import { fitLowRank, type LowRankFitOptions } from '../src/fit/lowRank.js';
import { lowRankNetworkBootstrap, withNetworkBootstrap } from '../src/fit/networkBootstrap.js';
import { normalGenerator } from '../src/random.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';
import { drawModes, largestPrincipalAngle } from '../src/structure/modes.js';
import { TEACHER_LOADING_COVARIANCE } from './issue3Teacher.js';

const COV = TEACHER_LOADING_COVARIANCE;

async function main(): Promise<void> {
  const K = Number(process.argv[2] ?? 8);
  const B = Number(process.argv[3] ?? 10);
  const partial = process.argv[4] === 'partial';
  await initBackend('wasm');
  const opts: LowRankFitOptions = { phi: 'tanh', rank: 2, dt: 0.05, ...(partial ? { networkSize: 200 } : {}) };
  let mBelowP95 = 0;
  let nBelowP95 = 0;
  let gHessian = 0;
  let gBoot = 0;
  const ratios: { m: number[]; n: number[] } = { m: [], n: [] };
  const t0 = Date.now();
  for (let seed = 7; seed < 7 + K; seed++) {
    const modes = drawModes(200, COV, normalGenerator(seed));
    const sim = await simulate({ ...iidNetwork({ N: 200, g: 0.3, D: 0.02 }), modes }, { dt: 0.05, steps: 40000, burnIn: 1000, seed: seed - 4, observe: partial ? 100 : 200 });
    const fit = await fitLowRank(sim.recording, opts);
    const recorded = (cols: Float64Array[]) => cols.map((c) => Float64Array.from(sim.observedUnits, (i) => c[i]));
    const am = largestPrincipalAngle(recorded(modes.m), fit.canonical.m);
    const an = largestPrincipalAngle(recorded(modes.n), fit.canonical.n);
    const boot = await lowRankNetworkBootstrap(sim.recording, fit, opts, { networks: B, seed });
    const booted = withNetworkBootstrap(fit, boot);
    const s = boot.modes!;
    if (am <= s.mSpan.p95) mBelowP95++;
    if (an <= s.nSpan.p95) nBelowP95++;
    ratios.m.push(am / s.mSpan.median);
    ratios.n.push(an / s.nSpan.median);
    const g = sim.realised.g[0][0];
    const inside = (ci: [number, number]) => ci[0] <= g && g <= ci[1];
    if (inside(fit.params.g.ci95)) gHessian++;
    if (inside(booted.params.g.ci95)) gBoot++;
    console.log(
      `teacher ${seed}: m-span ${am.toFixed(1)}° (bootstrap median ${s.mSpan.median.toFixed(1)}°, p95 ${s.mSpan.p95.toFixed(1)}°)  ` +
        `n-span ${an.toFixed(1)}° (${s.nSpan.median.toFixed(1)}°, ${s.nSpan.p95.toFixed(1)}°)  ĝ ${fit.params.g.value.toFixed(4)} g ${g.toFixed(4)} ` +
        `Hessian [${fit.params.g.ci95.map((v) => v.toFixed(3)).join(', ')}] bootstrap [${booted.params.g.ci95.map((v) => v.toFixed(3)).join(', ')}]`,
    );
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`${K} teachers${partial ? ', 100 of 200 units recorded' : ''}, B ${B} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  console.log(`true angle ≤ bootstrap p95: m ${mBelowP95}/${K}, n ${nBelowP95}/${K}; median true/bootstrap-median: m ${med(ratios.m).toFixed(2)}, n ${med(ratios.n).toFixed(2)}`);
  console.log(`g covered: Hessian ${gHessian}/${K}, bootstrap ${gBoot}/${K}`);
}

await main();
