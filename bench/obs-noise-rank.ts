/**
 * Benchmark: low-rank fits with observation noise (`fit --rank R --obs-noise`) on issue 3's teacher
 * (N = 200, g 0.3, D 0.02, rank 2, m ~ N(0,1), n = 0.8 m + 2ξ, 2000 τ at Δ = 0.05; realisation "modes seed
 * s : simulation seed s − 4", as bench/lowrank-partial.ts), with white noise of sd σ added to the recorded x.
 * Per realisation and σ: the largest principal angles of the fitted m- and n-spans against the teacher's,
 * ĝ against the realised g, D̂ and σ̂_obs against the truth, the chosen rank, the fit's time; with `plain`
 * also the same recording fitted without the term (the exact form, as `fit --rank` does by default).
 *
 *   node dist/bench/obs-noise-rank.js [seeds=7,8,9] [sigmas=0,0.05,0.1,0.2,0.3] [full|partial] [rank=2|auto] [plain]
 *
 * `partial` records every other unit (100 of 200) and fits with --network-size 200.
 */
import { initBackend } from '../src/backend.js';
import { fitLowRank, type LowRankFitResult } from '../src/fit/lowRank.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { normalGenerator } from '../src/random.js';
import { selectUnits } from '../src/recording/types.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';
import { drawModes, largestPrincipalAngle } from '../src/structure/modes.js';
import { TEACHER_LOADING_COVARIANCE } from './issue3Teacher.js';

const N = 200;
const G = 0.3;
const D = 0.02;
const COV = TEACHER_LOADING_COVARIANCE;

async function main(): Promise<void> {
  const seeds = (process.argv[2] ?? '7,8,9').split(',').map(Number);
  const sigmas = (process.argv[3] ?? '0,0.05,0.1,0.2,0.3').split(',').map(Number);
  const partial = process.argv[4] === 'partial';
  const rank = process.argv[5] === 'auto' ? 'auto' : Number(process.argv[5] ?? 2);
  const plain = process.argv[6] === 'plain';
  if (!seeds.every((s) => Number.isInteger(s) && s > 4) || !sigmas.every((v) => v >= 0) || !['full', 'partial', undefined].includes(process.argv[4]) || (rank !== 'auto' && !Number.isInteger(rank))) {
    throw new Error('usage: obs-noise-rank.js [seeds=7,8,9] [sigmas=0,0.05,0.1,0.2,0.3] [full|partial] [rank=2|auto] [plain]');
  }
  await initBackend('wasm');
  await prepareEigensolver();
  const units = Array.from({ length: partial ? N / 2 : N }, (_, k) => (partial ? 2 * k : k));
  const recorded = (cols: Float64Array[]) => cols.map((c) => Float64Array.from(units, (i) => c[i]));
  process.stdout.write(`| realisation | σ | σ/sd(x) | rank | m-span | n-span | ĝ/g | D̂/D | σ̂/σ | s |${plain ? ' plain m | plain n | plain ĝ/g |' : ''}\n`);
  for (const s of seeds) {
    const modes = drawModes(N, COV, normalGenerator(s));
    for (const sigma of sigmas) {
      const sim = await simulate({ ...iidNetwork({ N, g: G, D }), modes }, { dt: 0.05, steps: 40000, burnIn: 1000, seed: s - 4, obsNoise: sigma });
      const rec = selectUnits(sim.recording, units);
      let variance = 0;
      for (let i = 0; i < rec.nUnits; i++) {
        let a = 0;
        let b = 0;
        for (let t = 0; t < rec.nSamples; t++) {
          a += rec.data[t * rec.nUnits + i];
          b += rec.data[t * rec.nUnits + i] ** 2;
        }
        variance += b / rec.nSamples - (a / rec.nSamples) ** 2;
      }
      const sd = Math.sqrt(variance / rec.nUnits);
      const size = partial ? { networkSize: N } : {};
      const t0 = performance.now();
      const fit = await fitLowRank(rec, { phi: 'tanh', rank, obsNoise: true, ...size });
      const seconds = (performance.now() - t0) / 1000;
      const g = sim.realised.g[0][0];
      const spans = (f: LowRankFitResult) =>
        f.structure.rank === 2 ? [largestPrincipalAngle(recorded(modes.m), f.canonical.m), largestPrincipalAngle(recorded(modes.n), f.canonical.n)].map((v) => `${v.toFixed(1)}°`) : ['–', '–'];
      let extra = '';
      if (plain) {
        const p = await fitLowRank(rec, { phi: 'tanh', rank: 2, ...size });
        extra = ` ${spans(p).join(' | ')} | ${(p.params.g.value / g).toFixed(3)} |`;
      }
      process.stdout.write(
        `| ${s}:${s - 4} | ${sigma} | ${(sigma / sd).toFixed(2)} | ${fit.structure.rank} | ${spans(fit).join(' | ')} | ${(fit.params.g.value / g).toFixed(3)} | ${(fit.params.D.value / D).toFixed(3)} | ` +
          `${sigma > 0 ? (fit.params.obsNoise.value / sigma).toFixed(4) : fit.params.obsNoise.value.toPrecision(2)} | ${seconds.toFixed(0)} |${extra}\n`,
      );
    }
  }
}

await main();
