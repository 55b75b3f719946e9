/**
 * Benchmark: bulk spectrum of J·diag(d) (THEORY §8, V27) against the eigenvalues of sampled matrices.
 * J i.i.d. Gaussian with variance 1/N (g = 1), d = 0.3 on the first half of the columns and 1.5 on the
 * second. For each matrix: the fraction F(r) of eigenvalues with |λ| < r at r = 0.2, 0.4, …, 1.0 against
 * the closed form of src/theory/jacobianBulk.ts, and the largest |λ| against the support radius R.
 * Passes when every F(r) of every matrix is within 0.01 (V27's tolerance) of the closed form.
 *
 *   npx tsc -p . && node dist/bench/jacobian-bulk.js [N=2000] [matrices=1] [firstSeed=27]
 *
 * The eigenvalues come from ml-matrix (dense non-symmetric QR, pure JS, O(N³)): about 8 s at N = 400 and
 * tens of minutes at N = 2000, which is why test/fixedpoints.test.ts samples N = 400 and this script
 * the N = 2000 of V27. Seed s draws the same matrix as the test's normalGenerator(s).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { normalGenerator } from '../src/random.js';
import { jacobianBulk } from '../src/theory/jacobianBulk.js';

const usage = 'usage: node dist/bench/jacobian-bulk.js [N=2000] [matrices=1] [firstSeed=27]';

function main(): void {
  const args = process.argv.slice(2);
  if (args.length > 3 || args.some((a) => !/^[1-9][0-9]*$/.test(a))) {
    process.stderr.write(`${usage}\n`);
    process.exitCode = 2;
    return;
  }
  const [N, K, firstSeed] = [Number(args[0] ?? 2000), Number(args[1] ?? 1), Number(args[2] ?? 27)];
  const d = Float64Array.from({ length: N }, (_, i) => (i < N / 2 ? 0.3 : 1.5));
  const bulk = jacobianBulk(d, 1);
  const radii = [0.2, 0.4, 0.6, 0.8, 1.0];
  const predicted = radii.map((r) => bulk.fractionWithin(r));
  process.stdout.write(
    `J·diag(d), d ∈ {0.3, 1.5}, N = ${N}: R = ${bulk.radius.toFixed(4)}; F(${radii.join(', ')}) = ${predicted.map((f) => f.toFixed(4)).join(', ')}\n`,
  );
  let worst = 0;
  const errors: number[][] = [];
  const excess: number[] = [];
  for (let k = 0; k < K; k++) {
    const seed = firstSeed + k;
    const t0 = performance.now();
    const normal = normalGenerator(seed);
    const rows: number[][] = [];
    for (let i = 0; i < N; i++) rows.push(Array.from({ length: N }, (_, j) => (normal() / Math.sqrt(N)) * d[j]));
    const e = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: false });
    const mod = e.realEigenvalues.map((re, q) => Math.hypot(re, e.imaginaryEigenvalues[q]));
    const empirical = radii.map((r) => mod.filter((m) => m < r).length / N);
    const err = empirical.map((f, q) => f - predicted[q]);
    errors.push(err);
    worst = Math.max(worst, ...err.map(Math.abs));
    const maxMod = Math.max(...mod);
    excess.push(maxMod - bulk.radius);
    process.stdout.write(
      `seed ${seed}: F = ${empirical.map((f) => f.toFixed(4)).join(', ')} (largest |error| ${Math.max(...err.map(Math.abs)).toFixed(4)}); ` +
        `max|λ| ${maxMod.toFixed(4)} (R ${excess[k] >= 0 ? '+' : ''}${excess[k].toFixed(4)}) (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
  }
  if (K > 1) {
    const sd = (xs: number[]) => {
      const m = xs.reduce((a, x) => a + x, 0) / xs.length;
      return { m, s: Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) };
    };
    const perR = radii.map((r, q) => {
      const { m, s } = sd(errors.map((e) => e[q]));
      return `r ${r}: ${m >= 0 ? '+' : ''}${m.toFixed(4)} ± ${s.toFixed(4)}`;
    });
    const ex = sd(excess);
    process.stdout.write(`F error over ${K} matrices, mean ± SD: ${perR.join('; ')}; max|λ| − R: ${ex.m.toFixed(4)} ± ${ex.s.toFixed(4)}\n`);
  }
  const pass = worst < 0.01;
  process.stdout.write(`${pass ? 'PASS' : 'FAIL'}: largest |F error| ${worst.toFixed(4)} (tolerance 0.01)\n`);
  if (!pass) process.exitCode = 1;
}

main();
