/**
 * Issue 3's low-rank teacher, shared by the benchmarks: rank 2 with m ~ N(0, 1) and n = 0.8 m + 2ξ, i.e.
 * the joint covariance of (m₁, m₂, n₁, n₂) per unit below (Var n = 0.64 + 4 = 4.64), in a random bulk of
 * g 0.3 with D 0.02 over N = 200 units.
 */
export const TEACHER_LOADING_COVARIANCE = [
  [1, 0, 0.8, 0],
  [0, 1, 0, 0.8],
  [0.8, 0, 4.64, 0],
  [0, 0.8, 0, 4.64],
];
