/**
 * Benchmark (issue 3): low-rank fits of partially recorded networks over many realisations of the
 * issue's teacher (N = 200, g 0.3, D 0.02, rank 2, m ~ N(0,1), n = 0.8 m + 2ξ, 2000 time units at
 * Δ = 0.05), 100 of 200 units recorded (every other unit), fitted as `fit --rank 2 --network-size 200
 * --loss whittle` does (spectral form, partial-recording correction). A realisation is "modes seed s : simulation
 * seed s − 4"; test/lowrank.test.ts uses 7:3 and 12:8. Per realisation: the largest principal angles of
 * the fitted m- and n-spans against the teacher's (recorded units), ĝ against the realised g, D̂;
 * then how many meet the targets (m ≤ 20°, n ≤ 30°, ĝ and D̂ within 10 %). Also the m-span
 * floors: per-unit least squares of the recorded inputs on the true latent currents κ = (1/N) Φ n of all
 * N units, and on the best latent a readout of the recorded units can give (κ regressed on their φ).
 * One realisation takes 4–10 s (simulation and fit). A yardstick for work on the partial-recording biases
 * (src/structure/partial.ts).
 *
 * The recording length (time units, default the 2000) can be raised to separate the fit's bias
 * from its estimation noise: the same networks and noise seeds, observed longer.
 *
 * Form `exact` fits as `fit --rank 2 --network-size 200 --loss exact` does: the exact (time-domain) loss
 * of the recorded units, its ĝ scaled by √(N/n) and its readout corrected as the spectral path does.
 *
 * The bulk strength g (default the 0.3) can be raised to see where the exact form's bias sets in.
 *
 *   node dist/bench/lowrank-partial.js [first modes seed=7] [realisations=12] [time units=2000] [form=whittle|exact] [g=0.3]
 */
import { initBackend } from '../src/backend.js';
import { fitLowRank } from '../src/fit/lowRank.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { normalGenerator } from '../src/random.js';
import { selectUnits } from '../src/recording/types.js';
import { iidNetwork } from '../src/simulate/network.js';
import { simulate } from '../src/simulate/simulate.js';
import { solveSpd } from '../src/linalg/small.js';
import type { Recording } from '../src/recording/types.js';
import { drawModes, largestPrincipalAngle } from '../src/structure/modes.js';
import { TEACHER_LOADING_COVARIANCE } from './issue3Teacher.js';

const N = 200;
const D = 0.02;
const COV = TEACHER_LOADING_COVARIANCE;

/** Least-squares coefficients of each target on the columns X (all centred, length T). */
function leastSquares(X: Float64Array[], targets: Float64Array[]): Float64Array[] {
  const p = X.length;
  const A = new Float64Array(p * p);
  for (let a = 0; a < p; a++)
    for (let b = a; b < p; b++) {
      let s = 0;
      for (let t = 0; t < X[a].length; t++) s += X[a][t] * X[b][t];
      A[a * p + b] = A[b * p + a] = s;
    }
  return targets.map((y) => {
    const rhs = Float64Array.from(X, (x) => x.reduce((s, v, t) => s + v * y[t], 0));
    return solveSpd(A, rhs, p);
  });
}

const centred = (v: Float64Array) => {
  const m = v.reduce((a, x) => a + x, 0) / v.length;
  return v.map((x) => x - m);
};

/**
 * m-span floors of a partial recording: regress each recorded unit's input y_i(t) = (x_i(t+Δ) − (1 − Δ)x_i(t))/Δ
 * on (a) the true latent currents of the whole network, (b) their best linear readout from the recorded φ.
 */
function mSpanFloors(rec: Recording, modes: { m: Float64Array[]; n: Float64Array[] }, units: number[], dt: number): { trueLatent: number; readoutLatent: number } {
  const T = rec.nSamples - 1;
  const Nall = rec.nUnits;
  const x = (t: number, i: number) => rec.data[t * Nall + i];
  const kappa = modes.n.map((nr) => centred(Float64Array.from({ length: T }, (_, t) => nr.reduce((s, w, j) => s + w * Math.tanh(x(t, j)), 0) / Nall)));
  const phiS = units.map((i) => centred(Float64Array.from({ length: T }, (_, t) => Math.tanh(x(t, i)))));
  const inputs = units.map((i) => centred(Float64Array.from({ length: T }, (_, t) => (x(t + 1, i) - (1 - dt) * x(t, i)) / dt)));
  const readout = leastSquares(phiS, kappa).map((w) => Float64Array.from({ length: T }, (_, t) => w.reduce((s, c, k) => s + c * phiS[k][t], 0)));
  const loadings = (latent: Float64Array[]) => {
    const coef = leastSquares(latent, inputs);
    return latent.map((_, r) => Float64Array.from(coef, (c) => c[r]));
  };
  const truth = modes.m.map((c) => Float64Array.from(units, (i) => c[i]));
  return { trueLatent: largestPrincipalAngle(truth, loadings(kappa)), readoutLatent: largestPrincipalAngle(truth, loadings(readout)) };
}

async function main(): Promise<void> {
  const first = Number(process.argv[2] ?? 7);
  const count = Number(process.argv[3] ?? 12);
  const timeUnits = Number(process.argv[4] ?? 2000);
  const form = process.argv[5] ?? 'whittle';
  const G = Number(process.argv[6] ?? 0.3);
  if (![first, count, timeUnits].every((v) => Number.isInteger(v) && v > 0) || (form !== 'whittle' && form !== 'exact') || !(G > 0)) {
    throw new Error('usage: lowrank-partial.js [first modes seed=7] [realisations=12] [time units=2000] [form=whittle|exact] [g=0.3]');
  }
  const dt = 0.05;
  await initBackend('wasm');
  await prepareEigensolver();
  const units = Array.from({ length: N / 2 }, (_, k) => 2 * k);
  const recorded = (cols: Float64Array[]) => cols.map((c) => Float64Array.from(units, (i) => c[i]));
  const rows: { nSpan: number; mSpan: number; gErr: number; dErr: number; floorTrue: number; floorReadout: number }[] = [];
  for (let s = first; s < first + count; s++) {
    const t0 = performance.now();
    const modes = drawModes(N, COV, normalGenerator(s));
    const sim = await simulate({ ...iidNetwork({ N, g: G, D }), modes }, { dt, steps: Math.round(timeUnits / dt), burnIn: 1000, seed: s - 4 });
    const sub = selectUnits(sim.recording, units);
    const fit = await fitLowRank(sub, { phi: 'tanh', rank: 2, networkSize: N, loss: form });
    const floors = mSpanFloors(sim.recording, modes, units, dt);
    const row = {
      floorTrue: floors.trueLatent,
      floorReadout: floors.readoutLatent,
      nSpan: largestPrincipalAngle(recorded(modes.n), fit.canonical.n),
      mSpan: largestPrincipalAngle(recorded(modes.m), fit.canonical.m),
      gErr: fit.params.g.value / sim.realised.g[0][0] - 1,
      dErr: fit.params.D.value / D - 1,
    };
    rows.push(row);
    const pct = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)} %`;
    process.stdout.write(
      `${s}:${s - 4}  n-span ${row.nSpan.toFixed(1)}°  m-span ${row.mSpan.toFixed(1)}°  ĝ ${pct(row.gErr)} (se ${pct(fit.params.g.se / fit.params.g.value)})  D̂ ${pct(row.dErr)}  m-floors ${row.floorTrue.toFixed(1)}° / ${row.floorReadout.toFixed(1)}°  ` +
        `(${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
    );
  }
  const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  const meet = (f: (r: (typeof rows)[number]) => boolean) => `${rows.filter(f).length}/${rows.length}`;
  process.stdout.write(
    `mean n-span ${mean((r) => r.nSpan).toFixed(1)}°, m-span ${mean((r) => r.mSpan).toFixed(1)}°, |ĝ error| ${(100 * mean((r) => Math.abs(r.gErr))).toFixed(1)} %\n` +
      `meet: n ≤ 30° ${meet((r) => r.nSpan <= 30)}, m ≤ 20° ${meet((r) => r.mSpan <= 20)}, ĝ within 10 % ${meet((r) => Math.abs(r.gErr) <= 0.1)}, ` +
      `D̂ within 10 % ${meet((r) => Math.abs(r.dErr) <= 0.1)}, all four ${meet((r) => r.nSpan <= 30 && r.mSpan <= 20 && Math.abs(r.gErr) <= 0.1 && Math.abs(r.dErr) <= 0.1)}\n` +
      `m-span floors: on the true latent currents mean ${mean((r) => r.floorTrue).toFixed(1)}° (≤ 20° ${meet((r) => r.floorTrue <= 20)}), ` +
      `on the recorded units' best readout of them ${mean((r) => r.floorReadout).toFixed(1)}° (≤ 20° ${meet((r) => r.floorReadout <= 20)})\n`,
  );
}

await main();
