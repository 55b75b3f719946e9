/**
 * The participation ratio of n units recorded out of a network of N (THEORY §5.1, §5.5).
 *
 * PR = (tr C)²/(N tr C²). With statistically identical units (the i.i.d. mean field; unit variances
 * self-average) write q = ⟨C_ij²⟩/⟨C_ii⟩² over pairs i ≠ j. Then the network's normalised PR is
 * 1/(1 + (N − 1) q), and a recording of n units, whose pairs are a sample of the network's, has
 * 1/(1 + (n − 1) q). So from the network's pr,
 *   pr_n = 1 / (1 + (n − 1)/(N − 1) · (1/pr − 1)),
 * which is pr at n = N and → 1 as n/N → 0: a small subsample looks high-dimensional per unit
 * (its dimension pr_n·n approaches n while pr·N stays the network's).
 */
export function subsampledParticipationRatio(pr: number, n: number, N: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(N) && n >= 1 && N >= n)) throw new RangeError(`need whole numbers 1 ≤ n ≤ N, got n = ${n}, N = ${N}`);
  if (n === N) return pr;
  return 1 / (1 + ((n - 1) / (N - 1)) * (1 / pr - 1));
}
