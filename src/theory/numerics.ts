/**
 * Small float64 numerical helpers for the theory engine: bracketing root search (Brent), cumulative
 * quadrature on uniform grids, cubic Hermite interpolation.
 */

/** Brent's method on [a, b] with f(a)·f(b) ≤ 0. */
export function brent(f: (x: number) => number, a: number, b: number, opts: { xtol?: number; rtol?: number; maxIter?: number; fa?: number; fb?: number } = {}): number {
  const xtol = opts.xtol ?? 1e-300;
  const rtol = opts.rtol ?? 4e-16;
  const maxIter = opts.maxIter ?? 300;
  let fa = opts.fa ?? f(a);
  let fb = opts.fb ?? f(b);
  if (fa === 0) return a;
  if (fb === 0) return b;
  if (fa * fb > 0) throw new Error(`brent: root not bracketed on [${a}, ${b}] (f = ${fa}, ${fb})`);
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let it = 0; it < maxIter; it++) {
    if (fb * fc > 0) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 2 * rtol * Math.abs(b) + 0.5 * xtol;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) return b;
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      let p: number;
      let q: number;
      const s = fb / fa;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(tol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
  }
  return b;
}

/**
 * Cumulative integral of samples f on a uniform grid with step h: out[i] = ∫_{x0}^{x_i} f.
 * Interior intervals use the 4-point rule h(−f_{i−1} + 13f_i + 13f_{i+1} − f_{i+2})/24, the end
 * intervals the one-sided cubic rules (O(h⁵) per interval). Needs ≥ 4 samples.
 */
export function cumulativeIntegral(f: ArrayLike<number>, h: number): Float64Array {
  const n = f.length - 1;
  const out = new Float64Array(n + 1);
  if (n < 3) {
    for (let i = 0; i < n; i++) out[i + 1] = out[i] + (h * (f[i] + f[i + 1])) / 2;
    return out;
  }
  for (let i = 0; i < n; i++) {
    let piece: number;
    if (i === 0) piece = (h * (9 * f[0] + 19 * f[1] - 5 * f[2] + f[3])) / 24;
    else if (i === n - 1) piece = (h * (f[n - 3] - 5 * f[n - 2] + 19 * f[n - 1] + 9 * f[n])) / 24;
    else piece = (h * (-f[i - 1] + 13 * f[i] + 13 * f[i + 1] - f[i + 2])) / 24;
    out[i + 1] = out[i] + piece;
  }
  return out;
}

/** Cubic Hermite interpolation on one interval [x0, x1] with values y and slopes d. */
export function hermiteCubic(x: number, x0: number, x1: number, y0: number, y1: number, d0: number, d1: number): number {
  const h = x1 - x0;
  if (h === 0) return y0;
  const t = (x - x0) / h;
  const t2 = t * t;
  const t3 = t2 * t;
  return (2 * t3 - 3 * t2 + 1) * y0 + (t3 - 2 * t2 + t) * h * d0 + (-2 * t3 + 3 * t2) * y1 + (t3 - t2) * h * d1;
}

/** Linear interpolation in a monotone increasing table xs → ys (clamped). */
/** Index lo with xs[lo] ≤ x < xs[lo+1] for ascending xs and xs[0] ≤ x < xs[n−1] (bisection). */
export function bracket(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

export function interpLinear(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  const lo = bracket(xs, x);
  const hi = lo + 1;
  const t = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + t * (ys[hi] - ys[lo]);
}
