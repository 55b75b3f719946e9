/** Covariance from the Hessian at the optimum (src/fit/uncertainty.ts) against exact inverses. */
import { describe, expect, it } from 'vitest';
import { covarianceFromHessian } from '../src/fit/uncertainty.js';

const cov = (H: number[][]) => covarianceFromHessian(H.map((r) => Float64Array.from(r)));

describe('covarianceFromHessian', () => {
  it('a positive definite Hessian: the exact inverse', () => {
    const c = cov([
      [2, 1],
      [1, 2],
    ]);
    expect(c.positiveDefinite).toBe(true);
    const exact = [
      [2 / 3, -1 / 3],
      [-1 / 3, 2 / 3],
    ];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(Math.abs(c.matrix[i][j] - exact[i][j])).toBeLessThan(1e-15);
    expect(Math.abs(c.smallestEigenvalue - 1)).toBeLessThan(1e-15);
    expect(Math.abs(c.largestEigenvalue - 3)).toBeLessThan(1e-15);
  });

  it('a saddle: the curved parameter keeps its variance, the other has none', () => {
    const c = cov([
      [4, 0],
      [0, -1],
    ]);
    expect(c.positiveDefinite).toBe(false);
    expect(Math.abs(c.matrix[0][0] - 0.25)).toBeLessThan(1e-15);
    expect(c.matrix[1][1]).toBeNaN();
  });

  it('singular with λ_min > 0 by round-off (eigenvalues 2 and 0): not positive definite, no variance along (1, −1)', () => {
    // the old code took λ_min ≈ 2e-16 > 0 for positive definite and inverted (LU: "matrix is singular")
    const c = cov([
      [1, 1],
      [1, 1],
    ]);
    expect(c.positiveDefinite).toBe(false);
    expect(c.smallestEigenvalue / c.largestEigenvalue).toBeLessThan(1e-10);
    expect(c.matrix[0][0]).toBeNaN();
    expect(c.matrix[1][1]).toBeNaN();
    // the curved direction (1, 1)/√2, eigenvalue 2: covariance (1/2)·vvᵀ off the diagonal = 1/4
    expect(Math.abs(c.matrix[0][1] - 0.25)).toBeLessThan(1e-15);
  });

  it('singular, λ_min > 0 by round-off and an inverse with negative variances (−6e15): not positive definite', () => {
    // H = uuᵀ + wwᵀ, u = (1, 0.3, 0.3), w = (0.2, 1, 0.1): rank 2, null vector u × w = (−0.27, −0.04, 0.94)
    const c = cov([
      [1.04, 0.5, 0.32],
      [0.5, 1.09, 0.19],
      [0.32, 0.19, 0.1],
    ]);
    expect(c.positiveDefinite).toBe(false);
    expect(c.smallestEigenvalue / c.largestEigenvalue).toBeLessThan(1e-10);
    for (let i = 0; i < 3; i++) expect(c.matrix[i][i]).toBeNaN(); // every parameter loads on the null vector
  });
});
