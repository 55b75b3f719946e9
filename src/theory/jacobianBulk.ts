/**
 * Bulk eigenvalue density of J·diag(d) for i.i.d. J with variance g²/N (THEORY §8): with
 * c_i = g² d_i² the spectrum is radially symmetric with support radius R = sqrt(<c>), and the
 * fraction of eigenvalues with |λ| < r is F(r) = <r² / (p c + r²)>, where p(r) ≥ 0 solves
 * <c / (p c + r²)> = 1 (F = 1 for r ≥ R; zero gains contribute eigenvalues at 0).
 */

export interface JacobianBulk {
  /** c_i = g² d_i². */
  c: Float64Array;
  /** Support radius R = sqrt(<c>). */
  radius: number;
  /** Fraction of eigenvalues with |λ| < r. */
  fractionWithin(r: number): number;
  /** The auxiliary p(r) (0 for r ≥ R). */
  pOf(r: number): number;
}

function mean(c: ArrayLike<number>, f: (ci: number) => number): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += f(c[i]);
  return s / c.length;
}

/** Bulk of the spectrum of J·diag(gains), J_ij i.i.d. with variance g²/N. */
export function jacobianBulk(gains: ArrayLike<number>, g: number): JacobianBulk {
  if (gains.length === 0) throw new RangeError('jacobianBulk needs at least one gain');
  if (!Number.isFinite(g) || g < 0) throw new RangeError(`g must be a finite number >= 0, got ${g}`);
  const c = new Float64Array(gains.length);
  for (let i = 0; i < c.length; i++) {
    const d = gains[i];
    if (!Number.isFinite(d)) throw new RangeError(`gain ${i} is not finite`);
    c[i] = g * g * d * d;
  }
  const meanC = mean(c, (x) => x);
  const radius = Math.sqrt(meanC);
  const zeroFraction = mean(c, (x) => (x === 0 ? 1 : 0));

  function pOf(r: number): number {
    if (!(r >= 0)) throw new RangeError(`r must be >= 0, got ${r}`);
    if (r >= radius || r === 0) return 0;
    const r2 = r * r;
    const h = (p: number) => mean(c, (ci) => ci / (p * ci + r2)) - 1;
    // h is decreasing in p, h(0) = <c>/r² − 1 > 0, h(∞) = −1.
    let lo = 0;
    let hi = 1;
    while (h(hi) > 0) hi *= 2;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      if (h(mid) > 0) lo = mid;
      else hi = mid;
      if (hi - lo <= 1e-15 * hi) break;
    }
    return 0.5 * (lo + hi);
  }

  function fractionWithin(r: number): number {
    if (!(r >= 0)) throw new RangeError(`r must be >= 0, got ${r}`);
    if (r >= radius) return 1;
    if (r === 0) return zeroFraction;
    const p = pOf(r);
    const r2 = r * r;
    return mean(c, (ci) => r2 / (p * ci + r2));
  }

  return { c, radius, fractionWithin, pOf };
}
