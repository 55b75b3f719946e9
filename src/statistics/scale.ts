/**
 * Range scaling before squaring: sums of squares of values beyond ~1e154 overflow float64 and those
 * below ~1e-154 underflow (covariances square once, the PR's Σλ² squares again). Statistics that are
 * scale-invariant (the PR) or scale linearly (standard deviations, ĝ) are computed on the values times
 * a power of two and the scale undone afterwards. A power of two is exact, and it is only applied
 * when the largest |value| lies outside [2^-64, 2^64], so ordinary data give the same bits as before.
 */

const LOW = 2 ** -64;
const HIGH = 2 ** 64;

/** The largest |value| (0 when there are none; NaN if any value is NaN). */
export function maxAbs(data: ArrayLike<number>, start = 0, end = data.length, stride = 1): number {
  let m = 0;
  for (let k = start; k < end; k += stride) {
    const a = Math.abs(data[k]);
    if (a > m || a !== a) m = a;
    if (m !== m) return NaN;
  }
  return m;
}

/**
 * The factor 2^-e that brings `largest` (a max |value|) into [1, 2) when it is outside [2^-64, 2^64],
 * else 1 (also for 0 and non-finite values, where scaling cannot help).
 */
export function rangeScaleFor(largest: number): number {
  if (!(largest > 0 && Number.isFinite(largest)) || (largest >= LOW && largest <= HIGH)) return 1;
  let e = Math.floor(Math.log2(largest));
  // Math.log2 may be off by one near powers of two: correct so that 2^e ≤ largest < 2^(e+1).
  if (2 ** e > largest) e--;
  else if (2 ** (e + 1) <= largest) e++;
  // 2^-e is exact down to 2^-1023 (subnormal); above, 2^1000 is as far as tiny values need lifting.
  return 2 ** Math.min(-e, 1000);
}

/** The factor for a whole array (see rangeScaleFor). */
export function rangeScale(data: ArrayLike<number>): number {
  return rangeScaleFor(maxAbs(data));
}

/** data·s as a new array, or `data` itself when s = 1. */
export function scaled(data: Float64Array, s: number): Float64Array {
  if (s === 1) return data;
  const out = new Float64Array(data.length);
  for (let k = 0; k < data.length; k++) out[k] = data[k] * s;
  return out;
}
