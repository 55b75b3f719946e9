/**
 * The fast paths of the discrete-time DMFT (src/theory/dmftDiscrete.ts) against the nested fast-rule
 * quadrature they replace: the sheared-lattice bivariate rule (expect2Lattice), the paired-node
 * Hermite coefficients, and the Mehler series up to |ρ| ≤ 0.9616 for coefficients that have not
 * decayed (chaotic tanh networks, variance ≫ 3).
 */
import { describe, expect, it } from 'vitest';
import { erfClosed, expect1, expect2, expect2Lattice, fastRule, gaussianPhi, hermiteCoefficients } from '../src/theory/gaussian.js';
import { dmftDiscrete } from '../src/theory/dmftDiscrete.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('expect2Lattice', () => {
  const f = Math.tanh;
  it('agrees with the nested fast rule (tanh, variances 0.5–300, |ρ| 0.9–0.99999, with means) to 1e-12', () => {
    let worst = 0;
    for (const v of [0.5, 2, 18, 300])
      for (const rho of [0.9, 0.97, 0.99, 0.999, 0.99999, -0.98])
        for (const [m1, m2] of [
          [0, 0],
          [0.3, -0.2],
        ]) {
          const v2 = 1.07 * v;
          const d12 = rho * Math.sqrt(v * v2);
          worst = Math.max(worst, rel(expect2Lattice(f, f, v, v2, d12, m1, m2), expect2(f, f, v, v2, d12, m1, m2, fastRule)));
        }
    expect(worst).toBeLessThan(1e-12);
  });

  it('reproduces the erf closed form (2/π) arcsin to 1e-13', () => {
    const erfF = gaussianPhi('erf').f;
    for (const v of [1, 10, 100])
      for (const rho of [0.95, 0.999]) {
        const d12 = rho * v * 0.9;
        expect(rel(expect2Lattice(erfF, erfF, v, 0.81 * v, d12), erfClosed.cphi(d12, v, 0.81 * v))).toBeLessThan(1e-13);
      }
  });

  it('handles the degenerate and weakly correlated cases through expect2', () => {
    expect(expect2Lattice(f, f, 2, 2, 2)).toBe(expect2(f, f, 2, 2, 2, 0, 0, fastRule));
    expect(expect2Lattice(f, f, 2, 3, 0.01)).toBe(expect2(f, f, 2, 3, 0.01, 0, 0, fastRule));
  });
});

describe('hermiteCoefficients', () => {
  it('erf: squares match the closed form (odd) and vanish (even) to 1e-15', () => {
    const erfPhi = gaussianPhi('erf');
    for (const v of [0.5, 5, 50]) {
      const a = hermiteCoefficients(erfPhi.f, v, 400);
      const exact = erfPhi.hermiteSquared(v, 400);
      for (let j = 0; j < 400; j++) expect(Math.abs(a[j] * a[j] - exact[j])).toBeLessThan(1e-15);
    }
  });

  it('tanh with a mean: Σ a_j² = <φ²> and Σ ρ^j a_j(1) a_j(2) = <φ(x1)φ(x2)> (ρ = 0.6) to 1e-13', () => {
    const mu1 = 0.4;
    const mu2 = -0.3;
    const a1 = hermiteCoefficients(Math.tanh, 2, 400, mu1);
    const a2 = hermiteCoefficients(Math.tanh, 1.5, 400, mu2);
    const f2 = (x: number) => Math.tanh(x) ** 2;
    let s = 0;
    for (let j = 0; j < 400; j++) s += a1[j] * a1[j];
    expect(rel(s, expect1(f2, 2, mu1, fastRule))).toBeLessThan(1e-13);
    const rho = 0.6;
    let m = 0;
    for (let j = 0, r = 1; j < 400; j++, r *= rho) m += r * a1[j] * a2[j];
    expect(rel(m, expect2(Math.tanh, Math.tanh, 2, 1.5, rho * Math.sqrt(3), mu1, mu2, fastRule))).toBeLessThan(1e-13);
  });
});

describe('dmftDiscrete fast paths', () => {
  // Every returned C_{T,T−n} recomputed by the nested fast rule from the returned Δ's: exercises the
  // Mehler series on non-decayed coefficients (0.8 < ρ ≤ 0.9616) and the lattice rule above.
  const check = (r: ReturnType<typeof dmftDiscrete>, lags: number) => {
    const p = r.populations[0];
    const T = r.steps;
    let worst = 0;
    let nearDiagonal = 0;
    for (let n = 1; n <= lags; n++) {
      const vk = p.variance[T];
      const vl = p.variance[T - n];
      const rho = p.delta[n] / Math.sqrt(vk * vl);
      if (rho > 0.8) nearDiagonal++;
      const ref = expect2(Math.tanh, Math.tanh, vk, vl, p.delta[n], p.mean[T], p.mean[T - n], fastRule);
      worst = Math.max(worst, rel(p.cphi[n], ref));
    }
    return { worst, nearDiagonal };
  };

  it('tanh g 5, D 0 (variance ≈ 17): C_φ profile equals the nested quadrature to 1e-12', () => {
    const r = dmftDiscrete({ phi: 'tanh', g: 5, D: 0, dt: 0.05, steps: 300, maxLag: 60 });
    expect(r.variance[300]).toBeGreaterThan(10);
    const { worst, nearDiagonal } = check(r, 60);
    expect(nearDiagonal).toBeGreaterThan(20);
    expect(worst).toBeLessThan(1e-12);
  });

  it('tanh g 4, D 0.1, magnetised (J0 8, μ0 0.5): same to 1e-12', () => {
    const r = dmftDiscrete({ phi: 'tanh', g: 4, D: 0.1, J0: 8, mu0: 0.5, dt: 0.05, steps: 120, maxLag: 60 });
    expect(Math.abs(r.populations[0].mean[120])).toBeGreaterThan(0.1);
    expect(check(r, 60).worst).toBeLessThan(1e-12);
  });
});
