/**
 * Benchmark: the model-free white-noise check (src/statistics/whiteNoise.ts; `inspect`, and a fit's note
 * above 1 % of the median unit's variance at dt/τ ≤ 0.2) on noise-free networks: how much lag-0 excess the
 * dynamics leave by themselves (false alarms). 100 units, 20000 samples at step h (Euler at 0.05, every
 * h/0.05-th step kept), seed 2.
 *
 *   node dist/bench/white-noise-check.js
 */
import { initBackend } from '../src/backend.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';
import { whiteNoiseExcess } from '../src/statistics/whiteNoise.js';

async function main(): Promise<void> {
  await initBackend('wasm');
  console.log('g    D     h     median share   largest share (of 100 units)');
  for (const [g, D, every] of [[0.5, 0.02, 1], [1.5, 0.1, 1], [3, 0.1, 1], [1.5, 1, 1], [1.5, 0.1, 2], [0.5, 0.02, 4], [1.5, 0.1, 4], [3, 0.1, 4]]) {
    const sim = await simulate(iidNetwork({ N: 100, g, D }), { dt: 0.05, steps: 20000 * every, every, burnIn: 1000, seed: 2 });
    const share = Float64Array.from(whiteNoiseExcess(sim.recording).share).sort();
    const pct = (v: number) => `${(100 * v).toFixed(3)} %`;
    console.log(`${String(g).padEnd(4)} ${String(D).padEnd(5)} ${(0.05 * every).toFixed(2)}  ${pct(share[50]).padEnd(14)} ${pct(share[99])}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
