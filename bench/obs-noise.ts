/**
 * Benchmark: the spectral fit with observation noise (`fit --obs-noise`) against the fit of the same
 * trajectory without the noise. Each network is simulated twice with one seed, once clean and once with
 * white noise of sd σ added to the recorded x (the same network, the same x), and fitted: clean without
 * the term, noisy with and without it. Per (φ, g, σ): ĝ and D̂ of the noisy fits over the clean fit's, σ̂/σ
 * (mean and range over networks), σ over sd(x) (RMS of the clean x) and over sd_u(x) (about each unit's mean, as
 * the fit's note on heavy noise reads it), how many fits said the noise was too heavy, and the fits' times with and without the term. A yardstick for the noise model's approximations
 * (src/model/observationNoise.ts: the leading Hermite term, Gaussian x per unit).
 *
 *   node dist/bench/obs-noise.js [networks=3] [N=200] [settings=tanh:1.5:0.1,0.3,0.5,0.8;erf:2:0.2,0.5;tanh:3:0.5,1;tanh:0.5:0.05,0.1]
 *
 * (D = 0.1 for g ≥ 1, 0.02 below; 20000 steps of 0.05 after 1000 of burn-in; seeds 1..networks.)
 */
import { initBackend } from '../src/backend.js';
import { fitRecording } from '../src/fit/fit.js';
import type { PhiName } from '../src/nonlinearity.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';
import { meanWithinUnitVariance } from '../src/statistics/unitMeans.js';

interface Setting {
  phi: PhiName;
  g: number;
  sigmas: number[];
}

function parseSettings(text: string): Setting[] {
  return text.split(';').map((part) => {
    const [phi, g, sigmas] = part.split(':');
    return { phi: phi as PhiName, g: Number(g), sigmas: sigmas.split(',').map(Number) };
  });
}

const summary = (v: number[]) => `${(v.reduce((s, x) => s + x, 0) / v.length).toFixed(4)} [${Math.min(...v).toFixed(4)}, ${Math.max(...v).toFixed(4)}]`;

async function main(): Promise<void> {
  const networks = Number(process.argv[2] ?? 3);
  const N = Number(process.argv[3] ?? 200);
  const settings = parseSettings(process.argv[4] ?? 'tanh:1.5:0.1,0.3,0.5,0.8;erf:2:0.2,0.5;tanh:3:0.5,1;tanh:0.5:0.05,0.1');
  await initBackend('wasm');
  console.log(`fit --obs-noise: ${networks} networks of ${N} units per setting, all recorded, 20000 steps of 0.05; ratios to the clean trajectory's fit (mean [min, max])`);
  console.log('φ     g     σ      σ/sd(x)  σ/sd_u(x) noted  ĝ/ĝ_clean                 D̂/D̂_clean                σ̂/σ                       plain ĝ/ĝ_clean  fit s (plain)');
  for (const { phi, g, sigmas } of settings) {
    const D = g >= 1 ? 0.1 : 0.02;
    const rows = sigmas.map(() => ({ g: [] as number[], D: [] as number[], s: [] as number[], plain: [] as number[], rel: [] as number[], relUnit: [] as number[], noted: 0, time: [] as number[], plainTime: [] as number[] }));
    for (let seed = 1; seed <= networks; seed++) {
      const run = { dt: 0.05, steps: 20000, burnIn: 1000, seed };
      const clean = await simulate(iidNetwork({ N, g, D, phi }), run);
      const reference = await fitRecording(clean.recording, { phi, dt: 0.05 });
      let v = 0;
      for (const x of clean.recording.data) v += x * x;
      const sdx = Math.sqrt(v / clean.recording.data.length);
      const sdu = Math.sqrt(meanWithinUnitVariance(clean.recording)); // about each unit's mean, as the fit's note on heavy noise
      for (const [k, sigma] of sigmas.entries()) {
        const noisy = await simulate(iidNetwork({ N, g, D, phi }), { ...run, obsNoise: sigma });
        const t0 = performance.now();
        const fit = await fitRecording(noisy.recording, { phi, dt: 0.05, obsNoise: true });
        rows[k].time.push((performance.now() - t0) / 1000);
        const t1 = performance.now();
        const plain = await fitRecording(noisy.recording, { phi, dt: 0.05 });
        rows[k].plainTime.push((performance.now() - t1) / 1000);
        rows[k].g.push(fit.params.g.value / reference.params.g.value);
        rows[k].D.push(fit.params.D.value / reference.params.D.value);
        rows[k].s.push(fit.params.obsNoise.value / sigma);
        rows[k].plain.push(plain.params.g.value / reference.params.g.value);
        rows[k].rel.push(sigma / sdx);
        rows[k].relUnit.push(sigma / sdu);
        if (fit.notes.some((t) => t.includes('too heavy for the noise model') || t.includes('up to which the noise model held'))) rows[k].noted++;
      }
    }
    sigmas.forEach((sigma, k) => {
      const r = rows[k];
      const mean = (x: number[]) => x.reduce((s, y) => s + y, 0) / x.length;
      console.log(
        `${phi.padEnd(5)} ${String(g).padEnd(5)} ${String(sigma).padEnd(6)} ${mean(r.rel).toFixed(2).padEnd(8)} ${mean(r.relUnit).toFixed(2).padEnd(9)} ${`${r.noted}/${networks}`.padEnd(6)} ${summary(r.g).padEnd(25)} ${summary(r.D).padEnd(25)} ${summary(r.s).padEnd(25)} ${mean(r.plain).toFixed(3).padEnd(16)} ${mean(r.time).toFixed(2)} (${mean(r.plainTime).toFixed(2)})`,
      );
    });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
