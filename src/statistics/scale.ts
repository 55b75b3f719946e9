/**
 * Range scaling before squaring: sums of squares of values beyond ~1e154 overflow float64 and those
 * below ~1e-154 underflow (covariances square once, the PR's Σλ² squares again). Statistics that are
 * scale-invariant (the PR) or scale linearly (standard deviations, ĝ) are computed on the values times
 * a power of two and the scale undone afterwards. A power of two is exact, and it is only applied
 * when the largest |value| lies outside [2^-64, 2^64], so ordinary data give the same bits as before.
 */

import { InputError } from '../errors.js';
import type { Recording } from '../recording/types.js';

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

/** A fit's observation model x = offset + scale·x_model (φ acts on x_model). */
export interface ModelUnits {
  offset: number;
  scale: number;
}

/**
 * The model's activity is of order one (x in units where φ saturates at ±1) and the losses run in
 * float32: for data far from that scale a fit is meaningless (or overflows) and φ(x) is only a sign
 * or the identity, so refuse up front. The RMS is taken of what φ would act on: the raw values, or
 * with `units` a fit's model units (x − offset)/scale; range-scaled, so it is finite at any magnitude.
 */
export function checkDataScale(rec: Recording, remedy: string, units?: ModelUnits): void {
  const offset = units?.offset ?? 0;
  const scale = units?.scale ?? 1;
  const data = rec.data;
  let largest = 0;
  for (let k = 0; k < data.length; k++) {
    const a = Math.abs((data[k] - offset) / scale);
    if (a > largest || a !== a) largest = a;
  }
  const s = rangeScaleFor(largest);
  let s2 = 0;
  for (let k = 0; k < data.length; k++) {
    const u = ((data[k] - offset) / scale) * s;
    s2 += u * u;
  }
  const rms = Math.sqrt(s2 / data.length) / s;
  if (!(rms >= 1e-6 && rms <= 1e6)) {
    const what = offset !== 0 || scale !== 1 ? `in the fit's model units (x − ${offset})/${scale}` : '';
    throw new InputError(
      `the recording's values ${what ? what + ' ' : ''}have an RMS of ${rms.toPrecision(3)}; the model works with activity of order one (φ saturates at ±1): ${remedy}`,
      { file: rec.source?.path },
    );
  }
}
