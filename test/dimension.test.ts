/**
 * Dimension of activity and of coupling matrices (THEORY §5.1, §5.5, §2.8, V13).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { normalGenerator } from '../src/random.js';
import type { Recording } from '../src/recording/types.js';
import { matrixSpectrumStats, participationRatio, prFiniteSampleBias } from '../src/statistics/dimension.js';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { rel, simulateIid } from './helpers/sim.js';

const dir = mkdtempSync(join(tmpdir(), 'connfit-dimension-'));
beforeAll(async () => {
  await prepareEigensolver();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** T samples of N independent Gaussian units with variances v_i (time-major). */
function independentUnits(v: number[], T: number, seed: number): Recording {
  const N = v.length;
  const normal = normalGenerator(seed);
  const data = new Float64Array(T * N);
  for (let t = 0; t < T; t++) for (let i = 0; i < N; i++) data[t * N + i] = 3 + Math.sqrt(v[i]) * normal();
  return { data, nSamples: T, nUnits: N, unitNames: v.map((_, i) => `u${i}`) };
}

/** (Σv)² / (N Σv²) */
function prOfVariances(v: number[]): number {
  const s1 = v.reduce((a, b) => a + b, 0);
  const s2 = v.reduce((a, b) => a + b * b, 0);
  return (s1 * s1) / (v.length * s2);
}

/** Var(tanh(σ z)), z ~ N(0,1), by the trapezoid rule on a fine grid. */
function varTanh(sigma: number): number {
  let s = 0;
  const h = 0.001;
  for (let z = -10; z <= 10; z += h) s += Math.tanh(sigma * z) ** 2 * Math.exp(-z * z / 2);
  return (s * h) / Math.sqrt(2 * Math.PI);
}

/** Row-major N×N matrix with entries N(0, 1/N). */
function gaussianMatrix(N: number, normal: () => number): Float64Array {
  const A = new Float64Array(N * N);
  const s = 1 / Math.sqrt(N);
  for (let k = 0; k < A.length; k++) A[k] = s * normal();
  return A;
}

function window(rec: Recording, start: number, n: number): Recording {
  return { ...rec, nSamples: n, data: rec.data.subarray(start * rec.nUnits, (start + n) * rec.nUnits) };
}

describe('participation ratio of a recording', () => {
  it('independent units with variances v_i: PR = (Σv)²/(NΣv²), z-scored PR = 1, PR_φ from Var tanh', () => {
    const v = Array.from({ length: 20 }, (_, i) => 0.1 * (i + 1)); // 0.1 … 2
    const rec = independentUnits(v, 50_000, 11);
    const expected = prOfVariances(v); // 0.7683
    expect(expected).toBeCloseTo(0.76829, 4);
    const px = participationRatio(rec, { of: 'x' });
    expect(rel(px.pr, expected)).toBeLessThan(0.02);
    expect(rel(px.dimension, expected * 20)).toBeLessThan(0.02);
    expect(px.eigenvalues.length).toBe(20);
    expect(rel(px.eigenvalues[0], 2)).toBeLessThan(0.03); // largest variance
    const pz = participationRatio(rec, { of: 'x', zscore: true });
    expect(pz.pr).toBeGreaterThan(0.98);
    expect(pz.pr).toBeLessThanOrEqual(1 + 1e-12);
    // φ(x) of independent units: still independent; the offset 3 sits inside tanh, so use centred data.
    const centred = { ...rec, data: rec.data.map((x) => x - 3) };
    const pphi = participationRatio(centred, { of: 'phi', phi: 'tanh' });
    const expectedPhi = prOfVariances(v.map((vi) => varTanh(Math.sqrt(vi))));
    expect(rel(pphi.pr, expectedPhi)).toBeLessThan(0.02);
    expect(expectedPhi).toBeGreaterThan(expected); // tanh compresses the large variances
  });

  it('bias estimate on i.i.d. samples: short recordings underestimate PR and the extrapolation removes most of it', () => {
    const v = Array.from({ length: 20 }, (_, i) => 0.1 * (i + 1));
    const rec = independentUnits(v, 400, 12);
    const b = prFiniteSampleBias(rec, { of: 'x' });
    expect(b.levels.map((l) => l.segments)).toEqual([1, 2, 4]);
    expect(b.levels.map((l) => l.samplesPerSegment)).toEqual([400, 200, 100]);
    expect(b.prFull).toBeCloseTo(participationRatio(rec, { of: 'x' }).pr, 10);
    // Sample-size bias of Gaussian data: 1/PR̂ ≈ 1/PR + N/T, i.e. PR decreases with 1/T.
    expect(b.levels[0].pr).toBeGreaterThan(b.levels[1].pr);
    expect(b.levels[1].pr).toBeGreaterThan(b.levels[2].pr);
    expect(b.bias).toBeLessThan(0);
    expect(b.relativeBias).toBeCloseTo(b.bias / b.prInfinite, 12);
    const truth = prOfVariances(v);
    expect(Math.abs(b.prInfinite - truth)).toBeLessThan(Math.abs(b.prFull - truth));
    // 1/PR linear in 1/T is the form of the bias itself
    expect(Math.abs(b.prInfiniteInverse - truth)).toBeLessThan(Math.abs(b.prInfinite - truth));
  });
});

describe('matrix spectrum statistics (THEORY §2.8, V13)', () => {
  const N = 1000;
  it('random-mode J = Σ_a l_a r_aᵀ, α = 1, D_a = 1: PR_S = 1/3, ‖J‖_F²/N = 1, α·PR_D = 1', () => {
    const normal = normalGenerator(7);
    const L = gaussianMatrix(N, normal); // columns l_a
    const R = gaussianMatrix(N, normal); // columns r_a
    // J_ij = Σ_a L_ia R_ja  (J = L Rᵀ)
    const J = new Float64Array(N * N);
    for (let i = 0; i < N; i++) {
      const li = L.subarray(i * N, (i + 1) * N);
      for (let j = 0; j < N; j++) {
        const rj = R.subarray(j * N, (j + 1) * N);
        let s = 0;
        for (let a = 0; a < N; a++) s += li[a] * rj[a];
        J[i * N + j] = s;
      }
    }
    const s = matrixSpectrumStats(J, N);
    expect(s.method).toBe('eigen');
    expect(rel(s.pr_s, 1 / 3)).toBeLessThan(0.02);
    expect(rel(s.g_eff ** 2, 1)).toBeLessThan(0.02);
    expect(rel(s.effective_rank!, 1)).toBeLessThan(0.06);
    expect(rel(s.s_max!, Math.sqrt(27 / 4))).toBeLessThan(0.03); // S+ = 2.598 (finite N: slightly less)
  });

  it('i.i.d. Gaussian J (variance 1/N): PR_S = 1/2, ĝ = 1, Ĵ0 ≈ 0; mean couplings give Ĵ0', () => {
    const normal = normalGenerator(8);
    const J = gaussianMatrix(N, normal);
    const s = matrixSpectrumStats(J, N);
    expect(rel(s.pr_s, 0.5)).toBeLessThan(0.02);
    expect(rel(s.g, 1)).toBeLessThan(0.01);
    expect(rel(s.g_eff, 1)).toBeLessThan(0.01);
    expect(Math.abs(s.J0)).toBeLessThan(0.2); // sd of N·mean = 1
    expect(rel(s.s_max!, 2)).toBeLessThan(0.03); // quarter-circle edge
    // Small matrix with a mean: J0 and g exact by construction.
    const n = 40;
    const K = gaussianMatrix(n, normalGenerator(9));
    const t = matrixSpectrumStats(K.map((x) => x + 0.8 / n), n);
    const u = matrixSpectrumStats(K, n);
    expect(t.J0 - u.J0).toBeCloseTo(0.8, 10);
    expect(t.g).toBeCloseTo(u.g, 10);
  });
});

describe('finite-sample bias of a simulated network (THEORY §5.5)', () => {
  it('i.i.d. network N = 200, g = 1.5, D = 0.1: short recordings bias PR; extrapolation moves it toward the long-recording value', async () => {
    const sim = await simulateIid({ N: 200, g: 1.5, D: 0.1 }, { dt: 0.05, steps: 40_000, seed: 3 });
    const rec = sim.recording;
    const long = participationRatio(rec, { of: 'x' }).pr; // 2000 time units
    expect(long).toBeGreaterThan(0.02);
    expect(long).toBeLessThan(0.06);
    // 40 short recordings of 1000 samples (50 time units) each: average raw and extrapolated PR.
    const n = 1000;
    let raw = 0;
    let ext = 0;
    let k = 0;
    for (let start = 0; start + n <= rec.nSamples; start += n, k++) {
      const b = prFiniteSampleBias(window(rec, start, n), { of: 'x' });
      raw += b.prFull;
      ext += b.prInfinite;
    }
    raw /= k;
    ext /= k;
    expect(k).toBe(40);
    // With T_eff ≪ N the rank limit of the sample covariance dominates: short recordings give a smaller PR.
    expect(raw).toBeLessThan(long);
    expect(Math.abs(ext - long)).toBeLessThan(Math.abs(raw - long));
    expect(Math.abs(ext - long)).toBeLessThan(0.5 * Math.abs(raw - long));
  });
});

describe('connfit dimension', () => {
  beforeAll(ensureBuilt, 300_000);

  it('rec.csv --json prints pr_x, pr_phi, dimension_x, dimension_phi (finite) and the bias', async () => {
    const v = [0.5, 1, 1.5, 2, 2.5, 3];
    const rec = independentUnits(v, 2000, 21);
    const lines = ['a,b,c,d,e,f'];
    for (let t = 0; t < rec.nSamples; t++) lines.push(Array.from(rec.data.subarray(t * 6, t * 6 + 6), (x) => x.toFixed(6)).join(','));
    const p = join(dir, 'rec.csv');
    writeFileSync(p, lines.join('\n') + '\n');
    const r = await runCli('dimension', p, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const key of ['pr_x', 'pr_phi', 'dimension_x', 'dimension_phi']) expect(Number.isFinite(out[key])).toBe(true);
    expect(rel(out.pr_x, prOfVariances(v))).toBeLessThan(0.03);
    expect(out.dimension_x).toBeCloseTo(out.pr_x * 6, 10);
    expect(out.dimension_phi).toBeCloseTo(out.pr_phi * 6, 10);
    expect(Number.isFinite(out.bias_x.pr_infinite)).toBe(true);
    expect(out.bias_x.levels).toHaveLength(3);
    const text = await runCli('dimension', p);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('dimension');
    expect(text.stdout).toContain('T → ∞');
  });

  it('a JSON coupling matrix gives g, J0, g_eff, pr_s, effective_rank', async () => {
    const n = 60;
    const K = gaussianMatrix(n, normalGenerator(5));
    const rows = Array.from({ length: n }, (_, i) => Array.from(K.subarray(i * n, (i + 1) * n)));
    const p = join(dir, 'net.json');
    writeFileSync(p, JSON.stringify({ spec: { N: n }, seed: 5, J: rows }));
    const r = await runCli('dimension', p, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const s = matrixSpectrumStats(K, n);
    for (const key of ['g', 'J0', 'g_eff', 'pr_s'] as const) expect(out[key]).toBeCloseTo(s[key], 10);
    expect('effective_rank' in out).toBe(true);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ J: [[1, 2], [3]] }));
    const rb = await runCli('dimension', bad);
    expect(rb.code).toBe(2);
    expect(rb.stderr).toContain('J[1]');
  });

  it('a missing file exits 2', async () => {
    const r = await runCli('dimension', join(dir, 'nope.csv'), '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such file');
    expect(r.stdout).toBe('');
  });
});
