/**
 * Real FFT of data series (outside autodiff: tfjs has no complex kernels on wasm). Uses kissfft
 * (mixed radix 2/3/4/5 plus generic) compiled to JS; it needs an even length and is fast only when the
 * length has small prime factors, so spectra are taken over the largest even 7-smooth length ≤ T —
 * at most ~1 % of samples at the end are left out, and callers report how many.
 */
import { createRequire } from 'node:module';

interface KissFFTR {
  forward(real: Float32Array): Float32Array;
  dispose(): void;
}
const require = createRequire(import.meta.url);
const kiss = require('kissfft-js') as { FFTR: new (n: number) => KissFFTR };

/** Largest even number ≤ n whose prime factors are all in {2, 3, 5, 7}. */
export function fftLength(n: number): number {
  for (let m = n - (n % 2); m >= 2; m -= 2) {
    let r = m;
    for (const p of [2, 3, 5, 7]) while (r % p === 0) r /= p;
    if (r === 1) return m;
  }
  throw new RangeError(`series too short for a spectrum: ${n} samples`);
}

/** Reusable forward real FFT of a fixed length n (even, 7-smooth). */
export class RealFFT {
  readonly n: number;
  private readonly plan: KissFFTR;
  private readonly input: Float32Array;

  constructor(n: number) {
    if (n % 2 !== 0) throw new RangeError(`RealFFT length must be even, got ${n}`);
    if (n > 1_000_000) throw new RangeError(`series of ${n} samples is longer than the spectral code supports (1e6)`);
    this.n = n;
    this.plan = new kiss.FFTR(n);
    this.input = new Float32Array(n);
  }

  /**
   * DFT X(k) = Σ_t x[t] e^{−2πikt/n} for k = 0..n/2 of x[offset .. offset+n) after subtracting `shift`.
   * Writes interleaved (re, im) pairs into `out` (length n+2). Subtracting a shift (e.g. the mean)
   * first keeps float32 rounding small; it changes only bin 0.
   */
  forward(x: ArrayLike<number>, out: Float64Array, offset = 0, shift = 0): Float64Array {
    const n = this.n;
    const inp = this.input;
    for (let t = 0; t < n; t++) inp[t] = x[offset + t] - shift;
    const res = this.plan.forward(inp);
    for (let k = 0; k < n + 2; k++) out[k] = res[k];
    return out;
  }

  dispose(): void {
    this.plan.dispose();
  }
}
