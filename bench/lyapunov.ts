/**
 * Benchmark: the mean-field maximal Lyapunov exponent (src/theory/lyapunov.ts) against the exponent of
 * simulated Euler networks under their own noise (src/simulate/lyapunov.ts), along a path g² → s·g², next
 * to the local criterion (leading eigenvalue of g²_ab⟨φ'²⟩_b) that called every state above 1 chaotic.
 *
 *   node dist/bench/lyapunov.js [setting=one] [scales=1,1.5,2.2,3.2] [N=1000] [seeds=1] [steps=4096] [D=0.1] [J0=0]
 *
 * Settings (tanh, Euler step 0.05 τ, burn-in 2048 steps):
 *   one  one population, g² = s, noise D, mean coupling J0 (past J0c the magnetised state: the DMFT starts at μ 1)
 *   two  g² = s·(1.5, 1; 2, 0.5), D = (0.1, 0.3), sizes 0.6 N and 0.4 N (the forecast test's teacher at s = 1)
 */
import { initBackend } from '../src/backend.js';
import { maximalLyapunovExponent } from '../src/simulate/lyapunov.js';
import type { NetworkSpec } from '../src/simulate/network.js';
import { dmftDiscrete } from '../src/theory/dmftDiscrete.js';
import { meanFieldLyapunov } from '../src/theory/lyapunov.js';

async function main(): Promise<void> {
  const arg = (k: number, fallback: string) => process.argv[2 + k] ?? fallback;
  const setting = arg(0, 'one');
  if (setting !== 'one' && setting !== 'two') throw new Error(`unknown setting '${setting}' (one, two)`);
  const scales = arg(1, '1,1.5,2.2,3.2').split(',').map(Number);
  const N = Number(arg(2, '1000'));
  const seeds = arg(3, '1').split(',').map(Number);
  const steps = Number(arg(4, '4096'));
  const Done = Number(arg(5, '0.1'));
  const J0one = Number(arg(6, '0'));
  const dt = 0.05;
  await initBackend('wasm');
  const one = setting === 'one';
  const base = one ? [[1]] : [[1.5, 1], [2, 0.5]];
  const D = one ? [Done] : [0.1, 0.3];
  const sizes = one ? [N] : [Math.round(0.6 * N), N - Math.round(0.6 * N)];
  const names = one ? ['A'] : ['E', 'I'];
  console.log(`setting ${setting}${one ? ` (D ${Done}, J0 ${J0one})` : ''}, N ${N}, ${steps} steps of ${dt} τ after 2048, seeds ${seeds.join(',')}`);
  console.log(`scale   local expansion   λ mean field (Euler)   λ simulated (± se per network)${one && J0one !== 0 ? '   μ (mean field)' : ''}`);
  for (const s of scales) {
    const g2 = base.map((r) => r.map((v) => v * s));
    const J0 = g2.map((r) => r.map(() => (one ? J0one : 0)));
    const dm = dmftDiscrete({ phi: 'tanh', dt, steps: 6000, maxLag: 3000, populations: { g2, D, J0, names, mu0: D.map(() => (one && J0one > 0 ? 1 : 0)) } });
    const th = meanFieldLyapunov({ phi: 'tanh', g2, pops: dm.populations.map((p) => ({ delta: p.delta, mean: p.mean[p.mean.length - 1] })), h: dt, time: 'euler' });
    const spec: NetworkSpec = { phi: 'tanh', sizes, names, g2, J0, D, tau: 1, s: 0 };
    const sims: string[] = [];
    for (const seed of seeds) {
      const l = await maximalLyapunovExponent(spec, { dt, steps, burnIn: 2048, seed });
      sims.push(`${l.exponent.toFixed(4)} ± ${l.se.toFixed(4)}`);
    }
    const mu = one && J0one !== 0 ? `   ${dm.populations[0].mean[dm.populations[0].mean.length - 1].toFixed(3)}` : '';
    console.log(`${s.toString().padEnd(7)} ${th.localExpansion.toFixed(4).padEnd(17)} ${th.exponent.toFixed(4).padEnd(22)} ${sims.join(', ')}${mu}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
