/** The symmetric eigensolver (LAPACK dsyev in wasm, ml-matrix fallback) against each other and A·v = λv. */
import { beforeAll, describe, expect, it } from 'vitest';
import { eigenSolverFor, prepareEigensolver, symmetricEigen } from '../src/linalg/eigh.js';
import { normalGenerator } from '../src/random.js';

function gram(n: number, seed: number): Float64Array {
  const z = normalGenerator(seed);
  const B = Float64Array.from({ length: 2 * n * n }, () => z());
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < 2 * n; k++) s += B[k * n + i] * B[k * n + j];
      A[i * n + j] = s;
      A[j * n + i] = s;
    }
  return A;
}

function residual(A: Float64Array, n: number, e: { values: Float64Array; vectors: Float64Array }): number {
  let worst = 0;
  const scale = Math.max(...e.values.map(Math.abs));
  for (const k of [0, n >> 1, n - 1]) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j] * e.vectors[j * n + k];
      worst = Math.max(worst, Math.abs(s - e.values[k] * e.vectors[i * n + k]) / scale);
    }
  }
  return worst;
}

describe('symmetricEigen', () => {
  beforeAll(prepareEigensolver);
  it('LAPACK is used up to n = 1000 and agrees with ml-matrix: eigenvalues to 1e-12, residuals below 1e-12', () => {
    expect(eigenSolverFor(1000)).toBe('lapack');
    expect(eigenSolverFor(3000)).toBe('ml-matrix');
    for (const n of [7, 300]) {
      const A = gram(n, n);
      const lap = symmetricEigen(A, n, 'lapack');
      const js = symmetricEigen(A, n, 'ml-matrix');
      const top = lap.values[n - 1];
      for (let k = 0; k < n; k++) expect(Math.abs(lap.values[k] - js.values[k]) / top).toBeLessThan(1e-12);
      for (let k = 1; k < n; k++) expect(lap.values[k]).toBeGreaterThanOrEqual(lap.values[k - 1]);
      expect(residual(A, n, lap)).toBeLessThan(1e-12);
      expect(residual(A, n, js)).toBeLessThan(1e-12);
    }
  });
  it('n = 1000 through LAPACK: A·v = λv to 1e-12 and orthonormal eigenvectors', () => {
    const n = 1000;
    const A = gram(n, 3);
    const e = symmetricEigen(A, n);
    expect(residual(A, n, e)).toBeLessThan(1e-12);
    for (const [p, q] of [[0, 0], [0, 999], [500, 501]]) {
      let s = 0;
      for (let i = 0; i < n; i++) s += e.vectors[i * n + p] * e.vectors[i * n + q];
      expect(Math.abs(s - (p === q ? 1 : 0))).toBeLessThan(1e-12);
    }
  });
});

describe('triangular inverse (src/linalg/small.ts)', () => {
  it('L·L⁻¹ = I for the Cholesky factor of a 120×120 Gram matrix, and L⁻¹ is lower triangular', async () => {
    const { choleskyFactor, lowerTriangularInverse } = await import('../src/linalg/small.js');
    const n = 120;
    const L = choleskyFactor(gram(n, 4), n)!;
    const X = lowerTriangularInverse(L, n);
    let worst = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += L[i * n + k] * X[k * n + j];
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
        if (j > i) expect(X[i * n + j]).toBe(0);
      }
    expect(worst).toBeLessThan(1e-12);
  });
});
