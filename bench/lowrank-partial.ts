/**
 * Benchmark (issue 3): low-rank fits of partially recorded networks over many realisations of the
 * issue's teacher (N = 200, g 0.3, D 0.02, rank 2, m ~ N(0,1), n = 0.8 m + 2ξ, 2000 time units at
 * Δ = 0.05), 100 of 200 units recorded (every other unit), fitted as `fit --rank 2 --network-size 200`
 * does (spectral form, partial-recording correction). A realisation is "modes seed s : simulation
 * seed s − 4"; test/lowrank.test.ts uses 7:3 and 12:8. Per realisation: the largest principal angles of
 * the fitted m- and n-spans against the teacher's (recorded units), ĝ against the realised g, D̂;
 * then how many meet the targets (m ≤ 20°, n ≤ 30°, ĝ and D̂ within 10 %). One realisation
 * takes 20–40 s (simulation and fit). A yardstick for work on the partial-recording biases
 * (src/structure/partial.ts).
 *
 *   node dist/bench/lowrank-partial.js [first modes seed=7] [realisations=12]
 */
import { initBackend } from '../src/backend.js';
import { fitLowRank } from '../src/fit/lowRank.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { normalGenerator } from '../src/random.js';
import { selectUnits } from '../src/recording/types.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';
import { drawModes, largestPrincipalAngle } from '../src/structure/modes.js';

const N = 200;
const G = 0.3;
const D = 0.02;
const COV = [
  [1, 0, 0.8, 0],
  [0, 1, 0, 0.8],
  [0.8, 0, 4.64, 0],
  [0, 0.8, 0, 4.64],
];

async function main(): Promise<void> {
  const first = Number(process.argv[2] ?? 7);
  const count = Number(process.argv[3] ?? 12);
  await initBackend('wasm');
  await prepareEigensolver();
  const units = Array.from({ length: N / 2 }, (_, k) => 2 * k);
  const recorded = (cols: Float64Array[]) => cols.map((c) => Float64Array.from(units, (i) => c[i]));
  const rows: { nSpan: number; mSpan: number; gErr: number; dErr: number }[] = [];
  for (let s = first; s < first + count; s++) {
    const t0 = performance.now();
    const modes = drawModes(N, COV, normalGenerator(s));
    const sim = await simulate({ ...iidNetwork({ N, g: G, D }), modes }, { dt: 0.05, steps: 40000, burnIn: 1000, seed: s - 4 });
    const fit = await fitLowRank(selectUnits(sim.recording, units), { phi: 'tanh', rank: 2, networkSize: N });
    const row = {
      nSpan: largestPrincipalAngle(recorded(modes.n), fit.canonical.n),
      mSpan: largestPrincipalAngle(recorded(modes.m), fit.canonical.m),
      gErr: fit.params.g.value / sim.realised.g[0][0] - 1,
      dErr: fit.params.D.value / D - 1,
    };
    rows.push(row);
    const pct = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)} %`;
    process.stdout.write(
      `${s}:${s - 4}  n-span ${row.nSpan.toFixed(1)}°  m-span ${row.mSpan.toFixed(1)}°  ĝ ${pct(row.gErr)} (se ${pct(fit.params.g.se / fit.params.g.value)})  D̂ ${pct(row.dErr)}  ` +
        `(${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
    );
  }
  const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  const meet = (f: (r: (typeof rows)[number]) => boolean) => `${rows.filter(f).length}/${rows.length}`;
  process.stdout.write(
    `mean n-span ${mean((r) => r.nSpan).toFixed(1)}°, m-span ${mean((r) => r.mSpan).toFixed(1)}°, |ĝ error| ${(100 * mean((r) => Math.abs(r.gErr))).toFixed(1)} %\n` +
      `meet: n ≤ 30° ${meet((r) => r.nSpan <= 30)}, m ≤ 20° ${meet((r) => r.mSpan <= 20)}, ĝ within 10 % ${meet((r) => Math.abs(r.gErr) <= 0.1)}, ` +
      `D̂ within 10 % ${meet((r) => Math.abs(r.dErr) <= 0.1)}, all four ${meet((r) => r.nSpan <= 30 && r.mSpan <= 20 && Math.abs(r.gErr) <= 0.1 && Math.abs(r.dErr) <= 0.1)}\n`,
  );
}

await main();
