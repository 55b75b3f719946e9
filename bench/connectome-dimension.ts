/**
 * Benchmark: do the shared connectomes behave like the random-mode networks (THEORY §1.3c, §5.3) of
 * their own effective rank? Per connectome (mean removed, scaled to g_eff = ‖J‖_F/√N = g) and g: simulate
 * it (tanh, D 0.01, 2000 τ at dt 0.05 after 100 τ), and a random-mode network of the same N and α·PR_D
 * = PR_S/(1 − 2 PR_S) (exp spectrum, same g, D, seed). Reported: PR_φ of each, the random-mode theory's
 * PR_φ (N → ∞) and the i.i.d. theory's; the units' mean temporal variance of x (D = 0.01 alone gives
 * 0.01; chaos gives Δ0 ≈ 1) and the share of the total variance held by the units' time averages.
 *
 * `sizes`: the random-mode network of the C. elegans rank (α·PR_D 0.103, g_eff 2) at N 300, 1000, 2000,
 * 300 units recorded, 1000 τ: where a network of that rank starts to fluctuate.
 *
 *   node dist/bench/connectome-dimension.js [g list, default 1.5,2,3]
 *   node dist/bench/connectome-dimension.js sizes
 */
import { join } from 'node:path';
import { initBackend } from '../src/backend.js';
import { centred, readConnectome, type Connectome } from '../src/connectome/connectome.js';
import { dataDirectory } from '../src/datasets/registry.js';
import { participationRatio, matrixSpectrumStats } from '../src/statistics/dimension.js';
import { unitMeanStatistics } from '../src/statistics/unitMeans.js';
import { couplingNetwork, iidNetwork, type NetworkSpec } from '../src/simulate/network.js';
import { randomModeSpectrum } from '../src/simulate/randomMode.js';
import { simulate } from '../src/simulate/simulate.js';
import { participationRatioTheory } from '../src/theory/participation.js';
import type { Recording } from '../src/recording/types.js';

const D = 0.01;

/** PR_φ, mean temporal variance of x, and the share of the variance in the units' time averages. */
async function activity(spec: NetworkSpec, steps = 40000, observe?: number): Promise<{ pr: number; temporal: number; staticShare: number }> {
  const { recording: rec } = await simulate(spec, { dt: 0.05, steps, burnIn: 2000, seed: 1, observe });
  return { pr: participationRatio(rec, { of: 'phi', phi: 'tanh' }).pr, ...variances(rec) };
}

function variances(rec: Recording): { temporal: number; staticShare: number } {
  const { nSamples: T, nUnits: n, data } = rec;
  const mean = new Float64Array(n);
  for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) mean[i] += data[t * n + i] / T;
  let temporal = 0;
  for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) temporal += (data[t * n + i] - mean[i]) ** 2;
  temporal /= T * n;
  const s = unitMeanStatistics(rec).staticVariance;
  return { temporal, staticShare: s / (s + temporal) };
}

async function sizes(): Promise<void> {
  await initBackend('wasm');
  console.log('| N | PR_φ (300 units) | var x | static share |');
  console.log('|---|---|---|---|');
  for (const N of [300, 1000, 2000]) {
    const a = await activity({ ...iidNetwork({ N, g: 0, D }), randomModes: randomModeSpectrum(N, 0.103, 2, 'exp') }, 20000, 300);
    console.log(`| ${N} | ${a.pr.toPrecision(3)} | ${a.temporal.toPrecision(3)} | ${a.staticShare.toPrecision(3)} |`);
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'sizes') return sizes();
  const gs = (process.argv[2] ?? '1.5,2,3').split(',').map(Number);
  await initBackend('wasm');
  const dir = dataDirectory();
  const sets: [string, Connectome][] = [
    ['C. elegans neurons, chemical', centred(readConnectome(join(dir, 'celegans-cook2019-herm', 'herm_full_edgelist.csv'), { cells: /^[A-Z]/ }))],
    ['C. elegans neurons, all synapses', centred(readConnectome(join(dir, 'celegans-cook2019-herm', 'herm_full_edgelist.csv'), { cells: /^[A-Z]/, synapses: 'all' }))],
    ['fly optic lobe, 65 cell types', centred(readConnectome(join(dir, 'drosophila-opticlobe-flyvis', 'fib25-fib19_v2.2.json')))],
  ];
  console.log('| connectome | N | α·PR_D | g_eff | PR_φ connectome | PR_φ random-mode sim | PR_φ theory (random-mode) | PR_φ theory (i.i.d.) | var x: connectome / random-mode | static share: connectome / random-mode |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [label, c] of sets) {
    const r = matrixSpectrumStats(c.J, c.N).effective_rank!;
    for (const g of gs) {
      const net = await activity(couplingNetwork(c, { gEff: g, D }));
      const rm = await activity({ ...iidNetwork({ N: c.N, g: 0, D }), randomModes: randomModeSpectrum(c.N, r, g, 'exp') });
      const th = participationRatioTheory({ phi: 'tanh', g, D, effectiveRank: r });
      const f = (v: number) => v.toPrecision(3);
      console.log(`| ${label} | ${c.N} | ${f(r)} | ${g} | ${f(net.pr)} | ${f(rm.pr)} | ${f(th.pr_phi)} | ${f(th.pr_phi_iid)} | ${f(net.temporal)} / ${f(rm.temporal)} | ${f(net.staticShare)} / ${f(rm.staticShare)} |`);
    }
  }
}

await main();
