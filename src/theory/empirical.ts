/**
 * Empirical counterparts of the DMFT order parameters, for comparing theory with simulations:
 * the unit- and time-averaged autocovariance Δ̂(n) = (1/N) Σ_i (1/(T−n)) Σ_t x_i(t) x_i(t+n)
 * (raw second moments about zero, like Δ(τ) for the m = 0 state), computed by zero-padded FFT.
 */

/** In-place iterative radix-2 complex FFT (length a power of two); `inverse` without the 1/L factor. */
export function fftInPlace(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n !== im.length || (n & (n - 1)) !== 0) throw new RangeError(`FFT length must be a power of two, got ${n}`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < half; k++) {
        const p = i + k;
        const q = p + half;
        const br = re[q] * cr - im[q] * ci;
        const bi = re[q] * ci + im[q] * cr;
        re[q] = re[p] - br;
        im[q] = im[p] - bi;
        re[p] += br;
        im[p] += bi;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

/**
 * Δ̂(n), n = 0..maxLag, averaged over units and time origins, from row-major samples
 * data[t·nUnits + i] (the layout of a connfit Recording). Two units share one complex FFT.
 */
export function empiricalAutocovariance(data: ArrayLike<number>, nSamples: number, nUnits: number, maxLag: number): Float64Array {
  if (maxLag >= nSamples) throw new RangeError(`maxLag (${maxLag}) must be < nSamples (${nSamples})`);
  let L = 1;
  while (L < nSamples + maxLag) L <<= 1;
  const acc = new Float64Array(maxLag + 1);
  const re = new Float64Array(L);
  const im = new Float64Array(L);
  const pw = new Float64Array(L);
  for (let i = 0; i < nUnits; i += 2) {
    re.fill(0);
    im.fill(0);
    const two = i + 1 < nUnits;
    for (let t = 0; t < nSamples; t++) {
      re[t] = data[t * nUnits + i];
      if (two) im[t] = data[t * nUnits + i + 1];
    }
    fftInPlace(re, im);
    // Z = A + iB: |A_k|² + |B_k|² = (|Z_k|² + |Z_{−k}|²)/2
    for (let k = 0; k < L; k++) {
      const k2 = (L - k) & (L - 1);
      pw[k] = 0.5 * (re[k] * re[k] + im[k] * im[k] + re[k2] * re[k2] + im[k2] * im[k2]);
    }
    re.set(pw);
    im.fill(0);
    fftInPlace(re, im, true);
    for (let n = 0; n <= maxLag; n++) acc[n] += re[n] / L / (nSamples - n);
  }
  for (let n = 0; n <= maxLag; n++) acc[n] /= nUnits;
  return acc;
}
