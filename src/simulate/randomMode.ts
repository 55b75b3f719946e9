/**
 * Random-mode couplings (THEORY §1.3c): J = Σ_a D_a l_a r_aᵀ, l_a, r_a ∈ R^N with i.i.d. N(0, 1/N)
 * components, M = αN modes. Effective rank α·PR_D (PR_D = r_2²/r_4, r_n = <D^n>) and effective gain
 * g_eff² = α r_2. Spectrum families of the paper: exponential D_a ∝ exp(−βa/M) (PR_D = tanh β/β)
 * with α = 1 for α·PR_D < 1, and a flat spectrum with α = α·PR_D above; or a step (D_a constant for
 * a/N ≤ α·PR_D, α = 1) for small ranks.
 */
import { readTidy, tf } from '../backend.js';
import type { Normal } from '../random.js';

export interface RandomModeSpec {
  /** number of modes M */
  M: number;
  /** strengths D_a */
  D: Float64Array;
}

export type RandomModeFamily = 'exp' | 'step';

/** α·PR_D and g_eff of a spectrum on N units. */
export function randomModeStatistics(spec: RandomModeSpec, N: number): { effectiveRank: number; gEff: number } {
  let r2 = 0;
  let r4 = 0;
  for (const d of spec.D) {
    r2 += d * d;
    r4 += d ** 4;
  }
  r2 /= spec.M;
  r4 /= spec.M;
  const alpha = spec.M / N;
  return { effectiveRank: (alpha * r2 * r2) / r4, gEff: Math.sqrt(alpha * r2) };
}

/** The paper's spectrum for a target effective rank α·PR_D and effective gain. */
export function randomModeSpectrum(N: number, effectiveRank: number, gEff: number, family: RandomModeFamily = 'exp'): RandomModeSpec {
  if (!(effectiveRank > 0) || !Number.isFinite(effectiveRank)) throw new RangeError(`the effective rank must be a finite number > 0, got ${effectiveRank}`);
  if (!(gEff > 0)) throw new RangeError(`g_eff must be > 0, got ${gEff}`);
  let M: number;
  let D: Float64Array;
  if (family === 'step') {
    if (effectiveRank > 1) throw new RangeError(`the step spectrum (α = 1) reaches effective ranks ≤ 1, got ${effectiveRank}`);
    M = N;
    const on = Math.max(1, Math.round(effectiveRank * N));
    D = Float64Array.from({ length: M }, (_, a) => (a < on ? 1 : 0));
  } else if (effectiveRank < 1) {
    M = N;
    // PR_D = tanh β / β is decreasing in β: bisection.
    let lo = 1e-9;
    let hi = 1 / effectiveRank + 10;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      if (Math.tanh(mid) / mid > effectiveRank) lo = mid;
      else hi = mid;
    }
    const beta = 0.5 * (lo + hi);
    D = Float64Array.from({ length: M }, (_, a) => Math.exp((-beta * (a + 0.5)) / M));
  } else {
    M = Math.round(effectiveRank * N);
    D = new Float64Array(M).fill(1);
  }
  const s = randomModeStatistics({ M, D }, N);
  const f = gEff / s.gEff;
  return { M, D: D.map((d) => d * f) };
}

/** Row-major J = L diag(D) Rᵀ (float32 matMul, N×M by M×N). */
export function drawRandomModeCouplings(spec: RandomModeSpec, N: number, normal: Normal): Float64Array {
  const { M, D } = spec;
  const L = new Float32Array(N * M);
  const Rt = new Float32Array(M * N);
  const s = 1 / Math.sqrt(N);
  for (let i = 0; i < N; i++) for (let a = 0; a < M; a++) L[i * M + a] = s * D[a] * normal();
  for (let a = 0; a < M; a++) for (let j = 0; j < N; j++) Rt[a * N + j] = s * normal();
  const J = readTidy(() => tf.matMul(tf.tensor2d(L, [N, M]), tf.tensor2d(Rt, [M, N])));
  return Float64Array.from(J);
}
