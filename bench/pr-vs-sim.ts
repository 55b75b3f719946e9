/**
 * Benchmark: participation ratio from theory (THEORY §5.2) vs Euler simulations of i.i.d. networks,
 * erf, g = 3, D = 0 (default). For each network: PR_x and PR_φ of the recording (full recording and the
 * finite-sample bias estimate of §5.5, extrapolated to T → ∞), then the ensemble means against theory.
 * Passes when the ensemble mean of PR_φ and of PR_x is within 20 % of theory and every |bias| < 5 %.
 *
 *   node dist/bench/pr-vs-sim.js [networks=3] [N=1000] [timeUnits=8000] [g=3]
 *   (dt = 0.05, one sample every 10 steps; ~1–2 min per network at N = 1000 on one core)
 *
 * Single networks scatter by about ±15 % at N = 1000 (§5.2).
 */
import { initBackend } from '../src/backend.js';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { simulate } from '../src/simulate/simulate.js';
import { iidNetwork } from '../src/simulate/network.js';
import { prFiniteSampleBias } from '../src/statistics/dimension.js';
import { participationRatioTheory } from '../src/theory/participation.js';

async function main(): Promise<void> {
  const K = Number(process.argv[2] ?? 3);
  const N = Number(process.argv[3] ?? 1000);
  const timeUnits = Number(process.argv[4] ?? 8000);
  const g = Number(process.argv[5] ?? 3);
  const dt = 0.05;
  const every = 10;
  const backend = await initBackend('wasm');
  await prepareEigensolver();
  const t0 = performance.now();
  const th = participationRatioTheory({ phi: 'erf', g });
  process.stdout.write(
    `theory (erf, g ${g}, D 0): PR_x = ${th.pr_x!.toFixed(4)}, PR_φ = ${th.pr_phi.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(2)} s); ` +
      `simulations N = ${N}, ${timeUnits} time units, dt ${dt}, sample every ${every} steps; backend ${backend}\n`,
  );
  const rows: { x: number; phi: number; xInf: number; phiInf: number; bx: number; bphi: number }[] = [];
  for (let k = 1; k <= K; k++) {
    const ts = performance.now();
    const sim = await simulate(iidNetwork({ N, g, D: 0, phi: 'erf' }), { dt, steps: Math.round(timeUnits / dt), every, burnIn: Math.round(200 / dt), seed: 7000 + k });
    const rec = sim.recording;
    const bx = prFiniteSampleBias(rec, { of: 'x' });
    const bp = prFiniteSampleBias(rec, { of: 'phi', phi: 'erf' });
    rows.push({ x: bx.prFull, phi: bp.prFull, xInf: bx.prInfinite, phiInf: bp.prInfinite, bx: bx.relativeBias, bphi: bp.relativeBias });
    process.stdout.write(
      `network ${k} (realised g ${sim.realised.g[0][0].toFixed(3)}): PR_x ${bx.prFull.toFixed(4)} (T→∞ ${bx.prInfinite.toFixed(4)}, bias ${(100 * bx.relativeBias).toFixed(1)} %), ` +
        `PR_φ ${bp.prFull.toFixed(4)} (T→∞ ${bp.prInfinite.toFixed(4)}, bias ${(100 * bp.relativeBias).toFixed(1)} %) (${((performance.now() - ts) / 1000).toFixed(0)} s)\n`,
    );
  }
  const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0) / rows.length;
  const mx = mean((r) => r.x);
  const mp = mean((r) => r.phi);
  const ex = mx / th.pr_x! - 1;
  const ep = mp / th.pr_phi - 1;
  const worstBias = Math.max(...rows.map((r) => Math.max(Math.abs(r.bx), Math.abs(r.bphi))));
  process.stdout.write(
    `mean of ${K}: PR_x ${mx.toFixed(4)} (${(100 * ex).toFixed(1)} % vs theory; T→∞ ${mean((r) => r.xInf).toFixed(4)}), ` +
      `PR_φ ${mp.toFixed(4)} (${(100 * ep).toFixed(1)} % vs theory; T→∞ ${mean((r) => r.phiInf).toFixed(4)}); largest |bias| ${(100 * worstBias).toFixed(1)} %\n`,
  );
  const pass = Math.abs(ex) < 0.2 && Math.abs(ep) < 0.2 && worstBias < 0.05;
  process.stdout.write(`${pass ? 'PASS' : 'FAIL'}: ensemble means within 20 % of theory and |bias| < 5 %\n`);
  if (!pass) process.exitCode = 1;
}

await main();
