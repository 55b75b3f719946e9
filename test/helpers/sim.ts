/** Shared test fixtures: simulated networks with known parameters (the ground truth of the fit tests). */
import { initBackend } from '../../src/backend.js';
import { iidNetwork, type NetworkSpec } from '../../src/simulate/network.js';
import { simulate, type SimulationResult } from '../../src/simulate/simulate.js';

export async function simulateIid(p: { N: number; g: number; D: number; J0?: number; tau?: number; s?: number; phi?: 'tanh' | 'erf' }, run: { dt: number; steps: number; burnIn?: number; observe?: number | number[]; every?: number; seed: number; keepCouplings?: boolean; obsNoise?: number; indicatorDecay?: number }): Promise<SimulationResult> {
  await initBackend('wasm');
  return simulate(iidNetwork(p), { burnIn: 1000, ...run });
}

export async function simulateSpec(spec: NetworkSpec, run: { dt: number; steps: number; burnIn?: number; observe?: number | number[]; every?: number; seed: number; keepCouplings?: boolean; obsNoise?: number; indicatorDecay?: number }): Promise<SimulationResult> {
  await initBackend('wasm');
  return simulate(spec, { burnIn: 1000, ...run });
}

/** Relative error |a − b| / |b|. */
export const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
