/**
 * Benchmark: does the network bootstrap of a multiregion fit (`fit --regions F --bootstrap-networks B`,
 * multiregionNetworkBootstrap in src/fit/networkBootstrap.ts) tell how far the fitted links are from the
 * truth? Teacher: the README's two-regions model (models/two-regions.json: A 100 units g 0.4, B 100 units
 * g 0.6, rank-one links B→A and A→B with T_ABA = T_BAB = 1.5), loadings drawn as `simulate --regions`
 * draws them with seed s, D 0.05, 1000 τ at Δ 0.05 (the README's example is s = 1). Per teacher: the fit,
 * each link's largest principal angles against the true input (m) and readout (n) loadings, the
 * bootstrap's median and 95th percentile of the same over B refits (bootstrap seed = s), and whether the
 * Hessian and bootstrap intervals of g_α cover the realised g_α.
 *
 *   node dist/bench/multiregion-bootstrap.js [teachers=8] [B=10]
 */
import { initBackend } from '../src/backend.js';
import { fitMultiregion, multiregionFitResult, type MultiregionFitOptions } from '../src/fit/multiregion.js';
import { multiregionNetworkBootstrap, withNetworkBootstrap } from '../src/fit/networkBootstrap.js';
import { normalGenerator } from '../src/random.js';
import { simulate } from '../src/simulate/simulate.js';
import { largestPrincipalAngle } from '../src/structure/modes.js';
import { identityU, multiregionNetwork, sampleLoadings } from '../src/theory/multiregion.js';

const SIZE = 100;
const T = [[[0, 0], [1.5, 0]], [[0, 1.5], [0, 0]]];
const LINKS = [{ target: 0, source: 1 }, { target: 1, source: 0 }];

async function main(): Promise<void> {
  const K = Number(process.argv[2] ?? 8);
  const B = Number(process.argv[3] ?? 10);
  if (!(Number.isInteger(K) && K > 0 && Number.isInteger(B) && B >= 5)) throw new Error('usage: multiregion-bootstrap.js [teachers=8] [B=10 (≥ 5)]');
  await initBackend('wasm');
  const names = ['A', 'B'];
  const opts: MultiregionFitOptions = {
    phi: 'tanh', dt: 0.05, links: LINKS,
    regions: names.map((name, a) => ({ name, units: Array.from({ length: SIZE }, (_, i) => a * SIZE + i) })),
  };
  const ratios: number[] = [];
  let belowP95 = 0;
  const cover = { hessian: 0, bootstrap: 0 };
  const t0 = Date.now();
  for (let seed = 1; seed <= K; seed++) {
    // as `simulate --regions` draws them
    const L = sampleLoadings(T, identityU(2), [SIZE, SIZE], normalGenerator((seed ^ 0x27d4eb2f) >>> 0));
    const spec = multiregionNetwork(L, { g: [0.4, 0.6], D: 0.05, phi: 'tanh', names, links: LINKS });
    const sim = await simulate(spec, { dt: 0.05, steps: 20000, burnIn: 1000, seed });
    const fit = multiregionFitResult(await fitMultiregion(sim.recording, opts), sim.recording, opts);
    const boot = await multiregionNetworkBootstrap(sim.recording, fit, opts, { networks: B, seed });
    const booted = withNetworkBootstrap(fit, boot);
    const parts: string[] = [];
    fit.structure.links!.forEach((l, k) => {
      const a = names.indexOf(l.target);
      const b = names.indexOf(l.source);
      const col = (rows: number[][]) => [Float64Array.from(rows, (r) => r[0])];
      const s = boot.links![k];
      for (const [which, truth, got, angles] of [['m', L.m[a][b], l.m, s.mSpan], ['n', L.n[a][b], l.n, s.nSpan]] as const) {
        const angle = largestPrincipalAngle([truth], col(got));
        ratios.push(angle / angles.median);
        if (angle <= angles.p95) belowP95++;
        parts.push(`${l.source}→${l.target} ${which} ${angle.toFixed(1)}° (boot ${angles.median.toFixed(1)}°/${angles.p95.toFixed(1)}°)`);
      }
    });
    const gs = names.map((name, a) => {
      const g = sim.realised.g[a][a];
      const inside = (ci: [number | null, number | null]) => ci[0]! <= g && g <= ci[1]!;
      if (inside(fit.params[`g[${name}]`].ci95)) cover.hessian++;
      if (inside(booted.params[`g[${name}]`].ci95)) cover.bootstrap++;
      const e = booted.params[`g[${name}]`];
      return `ĝ_${name} ${fit.params[`g[${name}]`].value.toFixed(3)} (realised ${g.toFixed(3)}; Hessian se ${fit.params[`g[${name}]`].se.toFixed(4)}, bootstrap se ${e.se.toFixed(4)})`;
    });
    console.log(`teacher ${seed}: ${parts.join(', ')}; ${gs.join(', ')}`);
  }
  ratios.sort((x, y) => x - y);
  const n = ratios.length;
  console.log(
    `true / bootstrap-median angle over ${n} spans: ${ratios[0].toFixed(2)}–${ratios[n - 1].toFixed(2)} (median ${ratios[Math.floor(n / 2)].toFixed(2)}); ` +
      `true angle ≤ bootstrap 95th percentile on ${belowP95}/${n}; ĝ_α covered: Hessian ${cover.hessian}/${2 * K}, bootstrap ${cover.bootstrap}/${2 * K} ` +
      `(${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  );
}

await main();
