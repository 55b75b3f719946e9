/**
 * Benchmark: the block length of `fit --rank auto --obs-noise`'s start (coarseBlockLength in
 * src/fit/lowRank.ts). The rank is chosen by the exact form's held-out rate function on means over blocks of
 * k samples; this prints the rank chosen at each k, with σ_obs²/(D·h) in the block means (ratio / k²), next
 * to the k the rule picks and, for comparison, the rank the same network's noise-free recording gets at full
 * resolution. Teacher: issue 3's (N = 200, g 0.3, D 0.02, rank 2, realisation "modes seed s : simulation
 * seed s − 4", Δ = 0.05), or an i.i.d. network `iid:N:g` (seed s, truth rank 0).
 *
 *   node dist/bench/obs-noise-block.js [seeds=7,8,9] [sigmas=0.02,0.05,0.1] [steps=10000] [ks=rule,1,2,3,5,10] [teacher|iid:N:g]
 */
import { initBackend } from '../src/backend.js';
import { coarseBlockLength, fitLowRank } from '../src/fit/lowRank.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { normalGenerator } from '../src/random.js';
import { blockMeans } from '../src/recording/types.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';
import { drawModes } from '../src/structure/modes.js';
import { whiteNoiseExcess } from '../src/statistics/whiteNoise.js';
import { TEACHER_LOADING_COVARIANCE } from './issue3Teacher.js';

const DT = 0.05;

async function main(): Promise<void> {
  const seeds = (process.argv[2] ?? '7,8,9').split(',').map(Number);
  const sigmas = (process.argv[3] ?? '0.02,0.05,0.1').split(',').map(Number);
  const steps = Number(process.argv[4] ?? 10000);
  // 'rule' stands for the k coarseBlockLength picks
  const ks = (process.argv[5] ?? 'rule,1,2,3,5,10').split(',').map((k) => (k === 'rule' ? 0 : Number(k)));
  const kind = process.argv[6] ?? 'teacher';
  const iid = /^iid:(\d+):([\d.]+)$/.exec(kind);
  if (!(kind === 'teacher' || iid) || !seeds.every(Number.isInteger) || !sigmas.every((v) => v > 0) || !(Number.isInteger(steps) && steps > 0) || !ks.every((k) => Number.isInteger(k) && k >= 0)) {
    throw new Error('usage: obs-noise-block.js [seeds=7,8,9] [sigmas=0.02,0.05,0.1] [steps=10000] [ks=rule,1,2,3,5,10] [teacher|iid:N:g]');
  }
  await initBackend('wasm');
  await prepareEigensolver();
  const N = iid ? Number(iid[1]) : 200;
  const g = iid ? Number(iid[2]) : 0.3;
  process.stdout.write(`| network | τ | σ | σ²/(D h) | rule k | noise-free, k 1 | ${ks.map((k) => (k ? `k ${k}` : 'rule')).join(' | ')} |\n`);
  for (const s of seeds) {
    const modes = iid ? undefined : drawModes(N, TEACHER_LOADING_COVARIANCE, normalGenerator(s));
    const network = { ...iidNetwork({ N, g, D: 0.02 }), ...(modes ? { modes } : {}) };
    const simSeed = iid ? s : s - 4;
    const clean = await simulate(network, { dt: DT, steps, burnIn: 1000, seed: simSeed });
    const cleanRank = (await fitLowRank(clean.recording, { phi: 'tanh', rank: 'auto' })).structure.rank;
    for (const sigma of sigmas) {
      const rec = (await simulate(network, { dt: DT, steps, burnIn: 1000, seed: simSeed, obsNoise: sigma })).recording;
      const est = whiteNoiseExcess(rec);
      const { block: rule, ratio } = coarseBlockLength(est, DT, 1);
      const cells: string[] = [];
      for (const k0 of ks) {
        const k = k0 || rule;
        const f = await fitLowRank(blockMeans(rec, k, DT), { phi: 'tanh', rank: 'auto', dt: DT * k });
        cells.push(`${f.structure.rank} (${(ratio / (k * k)).toFixed(2)})`);
      }
      const name = iid ? `i.i.d. ${N}, g ${g}, seed ${s}` : `${s}:${s - 4}`;
      process.stdout.write(`| ${name} | ${steps * DT} | ${sigma} | ${ratio.toFixed(2)} | ${rule} | ${cleanRank} | ${cells.join(' | ')} |\n`);
    }
  }
}

await main();
