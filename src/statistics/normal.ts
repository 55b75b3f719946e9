/** Standard-normal quantiles (@stdlib/stats), for intervals and coverage: z_p with P(Z ≤ z_p) = p. */
import quantile from '@stdlib/stats/base/dists/normal/quantile/lib/index.js';
import cdf from '@stdlib/stats/base/dists/normal/cdf/lib/index.js';
import tQuantile from '@stdlib/stats/base/dists/t/quantile/lib/index.js';

export function normalQuantile(p: number): number {
  return quantile(p, 0, 1);
}

/** Two-sided p-value of a standard-normal statistic z: P(|Z| ≥ |z|). */
export function twoSidedP(z: number): number {
  return 2 * cdf(-Math.abs(z), 0, 1);
}

/** Half-widths, in standard deviations, of the central 50 % and 95 % intervals. */
export const Z50 = normalQuantile(0.75);
export const Z95 = normalQuantile(0.975);

/** Student-t quantile with ν degrees of freedom: intervals whose sd is itself estimated from ν + 1 draws. */
export function studentQuantile(p: number, nu: number): number {
  return tQuantile(p, nu);
}
