/**
 * tanh-family Gaussian integrals at large variance (THEORY §1.2a): the window |x| ≤ 20 with
 * Gauss–Legendre panels plus exact polynomial tails (TANH_SATURATION) against the previous rules,
 * whose cost grows with the variance: the dense trapezoid (x-step ≤ 0.15) for 1-D and outer
 * integrals, the fast trapezoid (x-step 0.27) for the inner one.
 */
import { describe, expect, it } from 'vitest';
import {
  TANH_SATURATION,
  expect1,
  expect2,
  expectStationary,
  innerReferenceRule,
  logCosh,
  referenceRule,
  saturatedRule,
  type Fn,
  type RuleChooser,
} from '../src/theory/gaussian.js';

const FUNCTIONS: [string, Fn][] = [
  ['tanh', Math.tanh],
  ["φ'²", (x) => (1 - Math.tanh(x) ** 2) ** 2],
  ['tanh²', (x) => Math.tanh(x) ** 2],
  ['log cosh', logCosh],
];
const VARIANCES = [10, 100, 1e3, 1e4];
const means = (v: number) => [0, 0.7 * Math.sqrt(v), 3];
const FRACTIONS = [0, 0.3, 0.9, 0.999];

/** 1e-11 relative, or 1e-13 absolute where the value is ~0 (odd f at zero mean). */
function expectClose(value: number, reference: number, what: string): void {
  const err = Math.abs(value - reference);
  expect(err, `${what}: ${value} vs ${reference}`).toBeLessThanOrEqual(Math.max(1e-11 * Math.abs(reference), 1e-13));
}

describe('tanh expectations at large variance: window + exact tails (§1.2a)', () => {
  it('the rule integrates the normal measure and has a node count bounded in the variance', () => {
    for (const s of [3, 30, 300, 3000]) {
      for (const mu of [0, 0.7 * s, -25, 1e4]) {
        const { z, w } = saturatedRule([{ offset: mu, slope: s, edge: 20, scale: 2 }]);
        let m0 = 0;
        let m1 = 0;
        let m2 = 0;
        let m3 = 0;
        for (let i = 0; i < z.length; i++) {
          m0 += w[i];
          m1 += w[i] * z[i];
          m2 += w[i] * z[i] ** 2;
          m3 += w[i] * z[i] ** 3;
        }
        expect(Math.abs(m0 - 1)).toBeLessThan(1e-14);
        expect(Math.abs(m1)).toBeLessThan(1e-14);
        expect(Math.abs(m2 - 1)).toBeLessThan(1e-14);
        expect(Math.abs(m3)).toBeLessThan(1e-14);
        // 20 width-2 panels of 20 nodes over |x| ≤ 20, 2 nodes per tail
        expect(z.length).toBeLessThanOrEqual(404);
      }
      // outer rule of a nested integral with inner s.d. σ: window 20 + 9σ, panels ≥ 2σ wide
      for (const sigma of [0.1, 1, 10, 100]) {
        const outer = saturatedRule([{ offset: 0, slope: s, edge: 20 + 9 * sigma, scale: Math.max(2, 2 * sigma) }]);
        expect(outer.z.length).toBeLessThanOrEqual(20 * 30 + 4);
      }
    }
  });

  it('expect1 agrees with the dense rule to 1e-11 (v = 10 … 1e4, three means)', () => {
    for (const v of VARIANCES) {
      for (const mu of means(v)) {
        for (const [name, f] of [...FUNCTIONS, ['log cosh²', (x: number) => logCosh(x) ** 2] as [string, Fn]]) {
          expectClose(expect1(f, v, mu, TANH_SATURATION), expect1(f, v, mu, referenceRule), `<${name}> v ${v} μ ${mu}`);
        }
      }
    }
  });

  // The references at v = 1e4 cost ~0.5 s per 2-D integral (O(variance)): only tanh and log cosh
  // there, the two that the DMFT needs (C_φ and C_Φ); all four up to v = 1e3.
  it('expectStationary agrees with dense outer × fast inner to 1e-11', () => {
    for (const v of VARIANCES) {
      for (const mu of means(v)) {
        for (const [name, f] of FUNCTIONS) {
          if (v === 1e4 && name !== 'tanh' && name !== 'log cosh') continue;
          for (const frac of FRACTIONS) {
            expectClose(
              expectStationary(f, frac * v, v, mu, TANH_SATURATION),
              expectStationary(f, frac * v, v, mu, referenceRule, innerReferenceRule),
              `C_${name}(${frac}Δ0; Δ0 = ${v}) μ ${mu}`,
            );
          }
        }
      }
    }
  }, 120_000);

  it('expect2 (Δ22 = 0.6 Δ11, means μ and −μ/2) agrees with dense outer × fast inner to 1e-11', () => {
    for (const v of VARIANCES) {
      for (const mu of means(v)) {
        for (const [name, f] of FUNCTIONS) {
          if (v === 1e4 && (mu !== means(v)[1] || (name !== 'tanh' && name !== 'log cosh'))) continue;
          for (const r of FRACTIONS) {
            const d11 = v;
            const d22 = 0.6 * v;
            const d12 = r * Math.sqrt(d11 * d22);
            // the outer rule is chosen for d11, the inner one for d22 − d12²/d11 (never equal to d11 here)
            const old: RuleChooser = (x) => (x === d11 ? referenceRule(x) : innerReferenceRule(x));
            expectClose(
              expect2(f, f, d11, d22, d12, mu, -mu / 2, TANH_SATURATION),
              expect2(f, f, d11, d22, d12, mu, -mu / 2, old),
              `<${name} ${name}> ρ ${r} v ${v} μ ${mu}`,
            );
          }
        }
      }
    }
  }, 120_000);

  it('leaves the integrals at or below variance 6 unchanged (Gauss–Hermite, bit for bit)', () => {
    for (const v of [0.5, 3, 6]) {
      for (const [, f] of FUNCTIONS) {
        expect(expect1(f, v, 0.4, TANH_SATURATION)).toBe(expect1(f, v, 0.4, referenceRule));
        expect(expectStationary(f, 0.7 * v, v, 0.4, TANH_SATURATION)).toBe(
          expectStationary(f, 0.7 * v, v, 0.4, referenceRule, innerReferenceRule),
        );
        expect(expect2(f, f, v, 0.8 * v, 0.5 * v, 0.4, -0.2, TANH_SATURATION)).toBe(
          expect2(f, f, v, 0.8 * v, 0.5 * v, 0.4, -0.2, referenceRule),
        );
      }
    }
  });
});
