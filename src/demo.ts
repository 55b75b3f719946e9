/**
 * The embedded default job: simulate a network of N = 1000 units, record 100 of them for 1000 time
 * units, fit g, D and J0 by the spectral rate function, and compare with the truth.
 */
import { fitRecording, type FitResult } from './fit/fit.js';
import { iidNetwork } from './simulate/network.js';
import { simulate } from './simulate/simulate.js';

export const DEMO_NETWORK = { N: 1000, g: 1.5, D: 0.1, J0: 0, phi: 'tanh' as const };
export const DEMO_RUN = { dt: 0.05, steps: 20000, burnIn: 1000, observe: 100, seed: 1 };

export interface DemoResult {
  truth: Record<string, number>;
  realised: { g: number; J0: number };
  fit: FitResult;
  seconds: { simulate: number; fit: number };
}

export async function runDemo(onProgress?: (stage: string, done: number, total: number) => void): Promise<DemoResult> {
  const t0 = performance.now();
  const sim = await simulate(iidNetwork(DEMO_NETWORK), { ...DEMO_RUN, onProgress: (d, t) => onProgress?.('simulating', d, t) });
  const t1 = performance.now();
  const fit = await fitRecording(sim.recording, { phi: DEMO_NETWORK.phi, dt: DEMO_RUN.dt, loss: 'whittle', onProgress });
  const t2 = performance.now();
  return {
    truth: { g: DEMO_NETWORK.g, D: DEMO_NETWORK.D, J0: DEMO_NETWORK.J0 },
    realised: { g: sim.realised.g[0][0], J0: sim.realised.J0[0][0] },
    fit,
    seconds: { simulate: (t1 - t0) / 1000, fit: (t2 - t1) / 1000 },
  };
}
