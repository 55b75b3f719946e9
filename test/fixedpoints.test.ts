/**
 * THEORY §8: Jacobian bulk of J·diag(d) (V27) and fixed points of ẋ = −x + Jφ(x).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerFixedpoints } from '../cli/commands/fixedpoints.js';
import { normalGenerator } from '../src/random.js';
import { iidNetwork } from '../src/simulate/network.js';
import { drawCouplings } from '../src/simulate/simulate.js';
import { solveDelta0 } from '../src/theory/dmft.js';
import { findFixedPoints } from '../src/theory/fixedpoints.js';
import { jacobianBulk } from '../src/theory/jacobianBulk.js';

function twoValued(N: number): Float64Array {
  return Float64Array.from({ length: N }, (_, i) => (i < N / 2 ? 0.3 : 1.5));
}

describe('Jacobian bulk of J·diag(d) (V27)', () => {
  const radii = [0.2, 0.4, 0.6, 0.8, 1.0];
  const predicted = [0.1875, 0.4354, 0.596, 0.748, 0.921];

  it('closed form F(r) and R for d ∈ {0.3, 1.5}, N = 2000, g = 1', () => {
    const bulk = jacobianBulk(twoValued(2000), 1);
    // §8's figures to their quoted digits (the code gives R = 1.08167, F within 4e-5 of them).
    expect(Math.abs(bulk.radius - 1.082)).toBeLessThan(1e-3);
    radii.forEach((r, k) => expect(Math.abs(bulk.fractionWithin(r) - predicted[k])).toBeLessThan(1e-3));
    // Two gain values c1, c2 on halves: <c/(pc + r²)> = 1 is the quadratic
    // 2c1c2·p² + 2(r²(c1 + c2) − c1c2)·p + 2r⁴ − r²(c1 + c2) = 0, whose positive root gives F exactly.
    const [c1, c2] = [0.09, 2.25];
    expect(Math.abs(bulk.radius - Math.sqrt((c1 + c2) / 2))).toBeLessThan(1e-14);
    for (const r of radii) {
      const r2 = r * r;
      const [a, b, c] = [2 * c1 * c2, 2 * (r2 * (c1 + c2) - c1 * c2), 2 * r2 * r2 - r2 * (c1 + c2)];
      const p = (-b + Math.sqrt(b * b - 4 * a * c)) / (2 * a);
      expect(Math.abs(bulk.pOf(r) - p)).toBeLessThan(1e-12);
      expect(Math.abs(bulk.fractionWithin(r) - 0.5 * (r2 / (p * c1 + r2) + r2 / (p * c2 + r2)))).toBeLessThan(1e-12);
    }
    expect(bulk.fractionWithin(1.2)).toBe(1);
    // zero gains are eigenvalues at 0
    expect(jacobianBulk([0, 0, 1, 1], 1).fractionWithin(0)).toBe(0.5);
  });

  it('matches the eigenvalues of a sampled matrix (N = 400; N = 2000 of V27 in bench/jacobian-bulk.ts)', () => {
    // V27 samples N = 2000 at 0.01; ml-matrix's dense non-symmetric eigensolver (pure JS) takes 3–6 s at
    // N = 400 and ~N³ longer at 2000, so that check is bench/jacobian-bulk.ts (BENCHMARKS.md). At N = 400 the
    // tolerance is three standard deviations of a disk count, Var(count) ≈ r√N/√π (Ginibre number variance):
    // 0.011 … 0.025 for r = 0.2 … 1.0. Over 10 matrices (seeds 27–36) the error SD was 0.0044, 0.0084, 0.0073,
    // 0.0084, 0.0090 and the largest |error| 0.019 (at r = 1.0, where the edge adds a bias of +0.009).
    const N = 400;
    const d = twoValued(N);
    const normal = normalGenerator(27);
    const rows: number[][] = [];
    for (let i = 0; i < N; i++) rows.push(Array.from({ length: N }, (_, j) => (normal() / Math.sqrt(N)) * d[j]));
    const e = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: false });
    const mod = e.realEigenvalues.map((re, k) => Math.hypot(re, e.imaginaryEigenvalues[k]));
    const bulk = jacobianBulk(d, 1);
    for (const r of radii) {
      const empirical = mod.filter((m) => m < r).length / N;
      const tol = (3 * Math.sqrt((r * Math.sqrt(N)) / Math.sqrt(Math.PI))) / N;
      expect(Math.abs(empirical - bulk.fractionWithin(r))).toBeLessThan(tol); // seed 27: −0.0025, +0.0021, −0.011, −0.0005, +0.0139
    }
    // The largest |λ| overshoots R at finite N: +0.045 ± 0.026 over seeds 27–36 (this one +0.052);
    // the Ginibre edge (Rider) predicts +0.04 with a Gumbel scale of 0.036 at N = 400, so ±0.1 is 2–3 SD.
    expect(Math.abs(Math.max(...mod) - bulk.radius)).toBeLessThan(0.1);
  });
});

/** Independent damped Newton for tiny N (Gaussian elimination with pivoting). */
function newtonSmall(J: Float64Array, N: number, x0: number[]): number[] | null {
  let x = x0.slice();
  const F = (y: number[]) => y.map((yi, i) => -yi + y.reduce((s, yj, j) => s + J[i * N + j] * Math.tanh(yj), 0));
  const norm2 = (v: number[]) => v.reduce((s, a) => s + a * a, 0);
  let f = F(x);
  for (let it = 0; it < 100; it++) {
    if (Math.max(...f.map(Math.abs)) < 1e-12) return x;
    const A = Array.from({ length: N }, (_, i) => [
      ...Array.from({ length: N }, (_, j) => J[i * N + j] * (1 - Math.tanh(x[j]) ** 2) - (i === j ? 1 : 0)),
      -f[i],
    ]);
    for (let k = 0; k < N; k++) {
      let p = k;
      for (let i = k + 1; i < N; i++) if (Math.abs(A[i][k]) > Math.abs(A[p][k])) p = i;
      [A[k], A[p]] = [A[p], A[k]];
      if (Math.abs(A[k][k]) < 1e-14) return null;
      for (let i = k + 1; i < N; i++) {
        const m = A[i][k] / A[k][k];
        for (let j = k; j <= N; j++) A[i][j] -= m * A[k][j];
      }
    }
    const dx = new Array<number>(N).fill(0);
    for (let i = N - 1; i >= 0; i--) {
      let s = A[i][N];
      for (let j = i + 1; j < N; j++) s -= A[i][j] * dx[j];
      dx[i] = s / A[i][i];
    }
    let t = 1;
    const q = norm2(f);
    for (;;) {
      const xt = x.map((v, i) => v + t * dx[i]);
      const ft = F(xt);
      if (norm2(ft) < (1 - 1e-4 * t) * q) {
        x = xt;
        f = ft;
        break;
      }
      t /= 2;
      if (t < 1e-10) return null;
    }
  }
  return Math.max(...f.map(Math.abs)) < 1e-10 ? x : null;
}

describe('fixed points of small networks: random starts find every fixed point of a grid search', () => {
  for (const [N, seed, perDim] of [
    [2, 3, 161],
    [3, 3, 41],
    [4, 3, 17],
    [5, 3, 9],
    [6, 6, 6],
  ] as const) {
    it(`N = ${N}, g = 3, tanh, seed ${seed}`, () => {
      const { J } = drawCouplings(iidNetwork({ N, g: 3, D: 0 }), normalGenerator(seed));
      // every fixed point satisfies |x_i| ≤ Σ_j |J_ij| (|tanh| ≤ 1): grid over that box
      const B = Array.from({ length: N }, (_, i) => {
        let s = 0;
        for (let j = 0; j < N; j++) s += Math.abs(J[i * N + j]);
        return s;
      });
      const grid: number[][] = [];
      const total = perDim ** N;
      for (let k = 0; k < total; k++) {
        let r = k;
        const p: number[] = [];
        for (let i = 0; i < N; i++) {
          p.push(-B[i] + (2 * B[i] * (r % perDim)) / (perDim - 1));
          r = Math.floor(r / perDim);
        }
        grid.push(p);
      }
      const reference: number[][] = [];
      for (const p of grid) {
        const x = newtonSmall(J, N, p);
        if (x && !reference.some((y) => Math.hypot(...y.map((v, i) => v - x[i])) < 1e-6 * Math.sqrt(N))) reference.push(x);
      }
      expect(reference.length).toBeGreaterThanOrEqual(3);
      const res = findFixedPoints({ J, N, phi: 'tanh', seed: 11, starts: 200 });
      expect(res.fixedPoints.length).toBe(reference.length);
      for (const y of reference) {
        const d = Math.min(...res.fixedPoints.map((f) => Math.hypot(...y.map((v, i) => v - f.x[i]))));
        expect(d).toBeLessThan(1e-6);
      }
      for (const f of res.fixedPoints) {
        expect(f.residual).toBeLessThan(1e-10);
        expect(f.eigenReal.length).toBe(N);
        expect(f.unstable).toBe(Array.from(f.eigenReal).filter((v) => v > 0).length);
      }
    });
  }
});

describe('fixed points of a chaotic network sit below the dynamical shell (N = 100, g = 3)', () => {
  it('every fixed point found has x*ᵀx*/N < Δ0 = 5.4463', () => {
    const delta0 = solveDelta0('tanh', 3);
    expect(delta0).toBeCloseTo(5.4463, 3);
    const N = 100;
    const { J } = drawCouplings(iidNetwork({ N, g: 3, D: 0 }), normalGenerator(1));
    const calls: [number, number][] = [];
    const res = findFixedPoints({ J, N, phi: 'tanh', seed: 2, starts: 200, onProgress: (d, t) => calls.push([d, t]) });
    // progress: one tick per start (200 and the origin) and per Jacobian spectrum, ending at the total
    expect(calls.length).toBe(201 + res.fixedPoints.length);
    expect(calls[calls.length - 1]).toEqual([calls.length, calls.length]);
    const nonzero = res.fixedPoints.filter((f) => f.shell > 0);
    expect(nonzero.length).toBeGreaterThanOrEqual(1);
    for (const f of res.fixedPoints) {
      expect(f.residual).toBeLessThan(1e-10);
      expect(f.shell).toBeLessThan(delta0);
      // the bulk of −I + J diag(φ') is a disc of radius R = g sqrt(<φ'²>) centred at −1
      const R = jacobianBulk(f.gains, 3).radius;
      expect(R).toBeGreaterThan(0);
      expect(Math.max(...f.eigenReal)).toBeLessThan(-1 + 1.5 * R);
    }
  });
});

describe('connfit fixedpoints', () => {
  it('prints JSON with the count, shells against Δ0 and unstable directions', async () => {
    const program = new Command();
    program.exitOverride();
    registerFixedpoints(program);
    let out = '';
    const w = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
    process.exitCode = undefined;
    try {
      await program.parseAsync(['node', 'connfit', 'fixedpoints', '--N', '30', '--g', '3', '--seed', '1', '--starts', '40', '--json']);
    } finally {
      process.stdout.write = w;
    }
    expect(process.exitCode ?? 0).toBe(0);
    const j = JSON.parse(out) as { count: number; delta0: number; shell: { min: number; max: number }; fixedPoints: { unstable: number; bulkRadius: number }[] };
    expect(j.delta0).toBeCloseTo(5.4463, 3);
    expect(j.count).toBe(j.fixedPoints.length);
    expect(j.count).toBeGreaterThanOrEqual(1);
    expect(j.shell.min).toBeLessThanOrEqual(j.shell.max);
    for (const f of j.fixedPoints) {
      expect(Number.isInteger(f.unstable)).toBe(true);
      expect(f.bulkRadius).toBeGreaterThan(0);
    }
  });
});
