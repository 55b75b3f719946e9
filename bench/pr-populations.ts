/**
 * Benchmark: the population PR theory (src/theory/participationPopulations.ts) against Euler simulations
 * of the same network (same step), several networks per setting. PR of each recording over all units,
 * extrapolated to T → ∞ with 1/PR linear in 1/T (§5.5, as `connfit dimension` reports it).
 *
 *   node dist/bench/pr-populations.js [setting=strong-small] [networks=3] [N=600] [timeUnits=4000] [seed0=8100] [dt=0.05]
 *
 * Settings (tanh; rows of g² are the target population; sizes as fractions of N):
 *   strong-small  g² = (0.1, 2; 0.05, 0.2), D = (0.02, 1), sizes 5/6, 1/6: the small population, driven
 *                 hard (⟨φ'⟩ 0.59), drives the large one; the receiving unit's gain in the ladder matters
 *                 (with the sending unit's gain instead PR_φ would be 0.333, not 0.190)
 *   mixed         g² = (0.5, 1.5; 1, 0.2), D = (0.5, 0.02), sizes 2/3, 1/3 (ν 0.80)
 *   chaotic       g² = (1.5, 1; 2, 0.5), D = (0.1, 0.3), sizes 0.6, 0.4 (the forecast test's teacher)
 */
import { initBackend } from '../src/backend.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { simulate } from '../src/simulate/simulate.js';
import type { NetworkSpec } from '../src/simulate/network.js';
import { prFiniteSampleBias } from '../src/statistics/dimension.js';
import { populationParticipationRatio } from '../src/theory/participationPopulations.js';

const SETTINGS: Record<string, { g2: number[][]; D: number[]; fractions: number[] }> = {
  'strong-small': { g2: [[0.1, 2], [0.05, 0.2]], D: [0.02, 1], fractions: [5 / 6, 1 / 6] },
  mixed: { g2: [[0.5, 1.5], [1, 0.2]], D: [0.5, 0.02], fractions: [2 / 3, 1 / 3] },
  chaotic: { g2: [[1.5, 1], [2, 0.5]], D: [0.1, 0.3], fractions: [0.6, 0.4] },
};

async function main(): Promise<void> {
  const arg = (k: number, fallback: string) => process.argv[2 + k] ?? fallback;
  const name = arg(0, 'strong-small');
  const setting = SETTINGS[name];
  const K = Number(arg(1, '3'));
  const N = Number(arg(2, '600'));
  const timeUnits = Number(arg(3, '4000'));
  const seed0 = Number(arg(4, '8100'));
  const dt = Number(arg(5, '0.05'));
  if (!setting || ![K, N, timeUnits, seed0, dt].every(Number.isFinite)) {
    throw new RangeError(`usage: pr-populations.js [${Object.keys(SETTINGS).join('|')}] [networks] [N] [timeUnits] [seed0] [dt]`);
  }
  await initBackend('wasm');
  await prepareEigensolver();
  const sizes = setting.fractions.map((f, a) => (a === 0 ? N - setting.fractions.slice(1).reduce((s, g) => s + Math.round(g * N), 0) : Math.round(f * N)));
  const t0 = performance.now();
  const th = populationParticipationRatio({ phi: 'tanh', g2: setting.g2, D: setting.D, sizes, dt });
  process.stdout.write(
    `${name}: g² ${JSON.stringify(setting.g2)}, D ${JSON.stringify(setting.D)}, sizes ${sizes.join('/')}, dt ${dt}\n` +
      `theory: PR_x ${th.pr_x.toFixed(4)}, PR_φ ${th.pr_phi.toFixed(4)}, ν ${th.nu.toFixed(3)}, gains ${th.populations.map((p) => p.meanGain.toFixed(3)).join('/')} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
  );
  const spec: NetworkSpec = {
    phi: 'tanh',
    sizes,
    names: sizes.map((_, a) => `p${a}`),
    g2: setting.g2,
    J0: setting.g2.map((r) => r.map(() => 0)),
    D: setting.D,
    tau: 1,
    s: 0,
  };
  const rows: { x: number; phi: number }[] = [];
  for (let k = 1; k <= K; k++) {
    const ts = performance.now();
    const sim = await simulate(spec, { dt, steps: Math.round(timeUnits / dt), every: Math.round(1 / dt), burnIn: Math.round(200 / dt), seed: seed0 + k });
    const bx = prFiniteSampleBias(sim.recording, { of: 'x' });
    const bp = prFiniteSampleBias(sim.recording, { of: 'phi', phi: 'tanh' });
    rows.push({ x: bx.prInfinite, phi: bp.prInfinite });
    process.stdout.write(
      `network ${k} (seed ${seed0 + k}): PR_x ${bx.prFull.toFixed(4)} (1/PR∞ ${bx.prInfinite.toFixed(4)}), PR_φ ${bp.prFull.toFixed(4)} (1/PR∞ ${bp.prInfinite.toFixed(4)}) ` +
        `sim/theory ${(bx.prInfinite / th.pr_x).toFixed(3)} / ${(bp.prInfinite / th.pr_phi).toFixed(3)} (${((performance.now() - ts) / 1000).toFixed(0)} s)\n`,
    );
  }
  const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  process.stdout.write(`mean of ${K} (1/PR∞): PR_x ${mean((r) => r.x).toFixed(4)} (${(100 * (mean((r) => r.x) / th.pr_x - 1)).toFixed(1)} %), PR_φ ${mean((r) => r.phi).toFixed(4)} (${(100 * (mean((r) => r.phi) / th.pr_phi - 1)).toFixed(1)} %) against theory\n`);
}

await main();
