/** Seeded generators (src/random.ts): moments and reproducibility against their closed forms. */
import { describe, expect, it } from 'vitest';
import { normalGenerator, uniformGenerator } from '../src/random.js';

describe('seeded random generators', () => {
  it('uniform on [0, 1): mean 1/2, variance 1/12, deciles 1/10 each; same seed, same stream', () => {
    const n = 200_000;
    const v = Array.from({ length: n }, uniformGenerator(11));
    const mean = v.reduce((a, b) => a + b, 0) / n;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    // standard errors: 1/√(12n) ≈ 6.5e-4 for the mean, ≈ 1.9e-4 for the variance
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * 6.5e-4);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(4 * 1.9e-4);
    const counts = new Array(10).fill(0);
    for (const x of v) {
      expect(x >= 0 && x < 1).toBe(true);
      counts[Math.floor(x * 10)]++;
    }
    for (const c of counts) expect(Math.abs(c / n - 0.1)).toBeLessThan(4 * Math.sqrt(0.09 / n));
    expect(Array.from({ length: 5 }, uniformGenerator(11))).toEqual(v.slice(0, 5));
    expect(Array.from({ length: 5 }, uniformGenerator(12))).not.toEqual(v.slice(0, 5));
  });

  it('normal: mean 0, variance 1; seeds outside [0, 2³²) are refused', () => {
    const n = 200_000;
    const v = Array.from({ length: n }, normalGenerator(11));
    const mean = v.reduce((a, b) => a + b, 0) / n;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(() => uniformGenerator(-1)).toThrow(/seed must be an integer/);
    expect(() => normalGenerator(2 ** 32)).toThrow(/seed must be an integer/);
  });
});
