/**
 * Benchmark: fits of recordings seen through a calcium indicator (`fit --indicator-decay T`) against the
 * fit of the same trajectory without it. Each network is simulated with one seed twice: the clean x, and
 * x low-passed by an indicator of decay T (src/model/indicator.ts) plus white noise of sd σ on the trace.
 * The trace is fitted with the indicator undone (`--indicator-decay`) and, for comparison, as x with white
 * noise (`--obs-noise` alone, the model without the indicator). Per (g, T, σ): ĝ and D̂ over the clean
 * fit's, σ̂/σ (mean and range over networks), the blocks the fit chose, and the fit's time.
 *
 *   node dist/bench/indicator.js [networks=3] [N=200] [settings=1.5:0.5,1,2:0.05,0.1;0.5:1:0.05]
 *
 * (settings: g:decays:sigmas, ';'-separated; φ = tanh, D = 0.1 for g ≥ 1 and 0.02 below; 20000 steps of
 * 0.05 after 1000 of burn-in; seeds 1..networks.)
 */
import { initBackend } from '../src/backend.js';
import { fitRecording } from '../src/fit/fit.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';

interface Setting {
  g: number;
  decays: number[];
  sigmas: number[];
}

function parseSettings(text: string): Setting[] {
  return text.split(';').map((part) => {
    const [g, decays, sigmas] = part.split(':');
    return { g: Number(g), decays: decays.split(',').map(Number), sigmas: sigmas.split(',').map(Number) };
  });
}

const mean = (x: number[]) => x.reduce((s, y) => s + y, 0) / x.length;
const summary = (v: number[]) => `${mean(v).toFixed(3)} [${Math.min(...v).toFixed(3)}, ${Math.max(...v).toFixed(3)}]`;

async function main(): Promise<void> {
  const networks = Number(process.argv[2] ?? 3);
  const N = Number(process.argv[3] ?? 200);
  const settings = parseSettings(process.argv[4] ?? '1.5:0.5,1,2:0.05,0.1;0.5:1:0.05');
  await initBackend('wasm');
  const phi = 'tanh';
  const dt = 0.05;
  console.log(`fit --indicator-decay: ${networks} networks of ${N} units per setting, all recorded, 20000 steps of ${dt}; ratios to the clean trajectory's fit (mean [min, max])`);
  console.log('g     decay  σ      block  ĝ/ĝ_clean              D̂/D̂_clean              σ̂/σ                    without indicator: ĝ/ĝ_clean, D̂/D̂_clean  fit s');
  for (const { g, decays, sigmas } of settings) {
    const D = g >= 1 ? 0.1 : 0.02;
    const cases = decays.flatMap((decay) => sigmas.map((sigma) => ({ decay, sigma, g: [] as number[], D: [] as number[], s: [] as number[], plainG: [] as number[], plainD: [] as number[], time: [] as number[], block: [] as number[] })));
    for (let seed = 1; seed <= networks; seed++) {
      const run = { dt, steps: 20000, burnIn: 1000, seed };
      const clean = await simulate(iidNetwork({ N, g, D, phi }), run);
      const reference = await fitRecording(clean.recording, { phi, dt });
      for (const c of cases) {
        const seen = await simulate(iidNetwork({ N, g, D, phi }), { ...run, obsNoise: c.sigma, indicatorDecay: c.decay });
        const t0 = performance.now();
        const fit = await fitRecording(seen.recording, { phi, dt, indicatorDecay: c.decay });
        c.time.push((performance.now() - t0) / 1000);
        c.block.push(fit.model.indicator!.block);
        const plain = await fitRecording(seen.recording, { phi, dt, obsNoise: true });
        c.g.push(fit.params.g.value / reference.params.g.value);
        c.D.push(fit.params.D.value / reference.params.D.value);
        c.s.push(fit.params.obsNoise.value / c.sigma);
        c.plainG.push(plain.params.g.value / reference.params.g.value);
        c.plainD.push(plain.params.D.value / reference.params.D.value);
      }
    }
    for (const c of cases) {
      console.log(
        `${String(g).padEnd(5)} ${String(c.decay).padEnd(6)} ${String(c.sigma).padEnd(6)} ${`${Math.min(...c.block)}–${Math.max(...c.block)}`.padEnd(6)} ${summary(c.g).padEnd(22)} ${summary(c.D).padEnd(22)} ${summary(c.s).padEnd(22)} ${mean(c.plainG).toFixed(3)}, ${mean(c.plainD).toFixed(3)}${' '.repeat(26)} ${mean(c.time).toFixed(2)}`,
      );
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
