/**
 * Effective rank α·PR_D of the coupling matrix from activity (THEORY §5.3, random-mode model).
 * Single-unit statistics are those of an i.i.d. network with g = g_eff, so the rate function gives
 * ĝ_eff; the four-point function carries the rank: Ψ(0,0) is linear in 1/(α·PR_D), so
 *   1/PR = 1/PR_iid(g_eff) + 1/(K(g_eff)·α·PR_D)   ⇒   α·PR_D = 1 / (K (1/PR − 1/PR_iid)),
 * with PR_iid and the small-rank constant K from src/theory/participation.ts. PR comes from the data
 * (finite-sample bias removed by the 1/T extrapolation of §5.5) and the interval from a block
 * bootstrap over time (with ĝ drawn from its sampling distribution). A PR at or above PR_iid means no
 * evidence of a low effective rank: the estimate is then +∞ (an i.i.d.-like matrix).
 */
import { tf } from '../backend.js';
import type { PhiName } from '../nonlinearity.js';
import { nonlinearity } from '../nonlinearity.js';
import { normalGenerator } from '../random.js';
import type { Recording } from '../recording/types.js';
import { participationRatioTheory } from '../theory/participation.js';
import { yieldToEventLoop } from '../util/yield.js';
import { symmetricEigen } from '../linalg/eigh.js';
import type { BlockSums } from '../loss/lowRank.js';

export interface EffectiveRankOptions {
  phi: PhiName;
  /** ĝ_eff and its standard error, D̂ (from the rate-function fit). */
  g: { value: number; se: number };
  D: number;
  /** contiguous time blocks for the bootstrap and the bias extrapolation (multiple of 4; default 8) */
  blocks?: number;
  bootstrap?: number;
  seed?: number;
}

export interface EffectiveRankEstimate {
  /** α·PR_D (Infinity: PR at or above the i.i.d. value) */
  value: number;
  ci95: [number, number];
  /** PR_φ of the data: as measured and bias-corrected */
  prData: number;
  prDataCorrected: number;
  /** theory at ĝ: i.i.d. PR_φ and the small-rank constant K_φ */
  prIid: number;
  K: number;
  bootstrapSamples: number;
}

/** Per-block sums of φφᵀ (N×N) and φ. */
export function blockMoments(rec: Recording, phiName: PhiName, blocks: number): { S: Float64Array[]; s: Float64Array[]; T: number[] } {
  const n = rec.nUnits;
  const phi = nonlinearity(phiName);
  const S: Float64Array[] = [];
  const s: Float64Array[] = [];
  const T: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const t0 = Math.floor((b * rec.nSamples) / blocks);
    const t1 = Math.floor(((b + 1) * rec.nSamples) / blocks);
    const len = t1 - t0;
    const P = new Float32Array(len * n);
    const sum = new Float64Array(n);
    for (let t = 0; t < len; t++)
      for (let i = 0; i < n; i++) {
        const v = phi.f(rec.data[(t0 + t) * n + i]);
        P[t * n + i] = v;
        sum[i] += v;
      }
    const G = tf.tidy(() => {
      const m = tf.tensor2d(P, [len, n]);
      return tf.matMul(tf.transpose(m), m).dataSync();
    });
    S.push(Float64Array.from(G));
    s.push(sum);
    T.push(len);
  }
  return { S, s, T };
}

/** PR of the covariance pooled over the given blocks (with multiplicity): (tr C)²/(N ‖C‖²_F). */
export function pooledPr(m: { S: Float64Array[]; s: Float64Array[]; T: number[] }, pick: number[], n: number): number {
  const S = new Float64Array(n * n);
  const mu = new Float64Array(n);
  let T = 0;
  for (const b of pick) {
    const Sb = m.S[b];
    for (let q = 0; q < n * n; q++) S[q] += Sb[q];
    for (let i = 0; i < n; i++) mu[i] += m.s[b][i];
    T += m.T[b];
  }
  for (let i = 0; i < n; i++) mu[i] /= T;
  let tr = 0;
  let fro = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const c = S[i * n + j] / T - mu[i] * mu[j];
      if (i === j) tr += c;
      fro += c * c;
    }
  return (tr * tr) / (n * fro);
}

/** α·PR_D from PR through 1/PR = 1/PR_iid + 1/(K·α·PR_D) (∞ when PR ≥ PR_iid). */
export function rankFromPr(pr: number, prIid: number, K: number): number {
  const excess = 1 / pr - 1 / prIid;
  return excess > 0 ? 1 / (K * excess) : Infinity;
}

export async function effectiveRankFromActivity(rec: Recording, opts: EffectiveRankOptions): Promise<EffectiveRankEstimate> {
  const blocks = opts.blocks ?? 8;
  if (blocks % 4 !== 0 || blocks < 4) throw new RangeError(`blocks must be a multiple of 4, got ${blocks}`);
  const n = rec.nUnits;
  const m = blockMoments(rec, opts.phi, blocks);
  await yieldToEventLoop();
  const all = Array.from({ length: blocks }, (_, b) => b);
  // Bias (§5.5): PR of segments of 1, 1/2 and 1/4 of the recording, linear in 1/T, extrapolated to 0.
  const levels = [1, 2, 4].map((parts) => {
    const per = blocks / parts;
    let pr = 0;
    for (let p = 0; p < parts; p++) pr += pooledPr(m, all.slice(p * per, (p + 1) * per), n);
    return { invT: parts / rec.nSamples, pr: pr / parts };
  });
  const mx = levels.reduce((a, l) => a + l.invT, 0) / 3;
  const my = levels.reduce((a, l) => a + l.pr, 0) / 3;
  const slope = levels.reduce((a, l) => a + (l.invT - mx) * (l.pr - my), 0) / levels.reduce((a, l) => a + (l.invT - mx) ** 2, 0);
  const prInf = my - slope * mx;
  const prFull = levels[0].pr;
  const shift = prInf - prFull;

  // Theory at ĝ and ĝ ± se (quadratic interpolation for the bootstrap's draws of g). A fit without a
  // finite standard error (e.g. D at its floor) contributes no g uncertainty.
  const se = Number.isFinite(opts.g.se) && opts.g.se > 0 && opts.g.se < opts.g.value / 2 ? opts.g.se : 0;
  const gs = [opts.g.value - se, opts.g.value, opts.g.value + se];
  const th = (se > 0 ? gs : [gs[1]]).map((g) => participationRatioTheory({ phi: opts.phi, g, D: opts.D }));
  if (se === 0) th.unshift(th[0]), th.push(th[0]);
  const interp = (g: number, f: (k: number) => number) => {
    const h = se;
    if (!(h > 0)) return f(1);
    const u = (g - gs[1]) / h;
    return f(1) + (u * (f(2) - f(0))) / 2 + (u * u * (f(2) - 2 * f(1) + f(0))) / 2;
  };
  const prIid = th[1].pr_phi;
  const K = th[1].k_phi;
  const value = rankFromPr(prInf, prIid, K);

  const B = opts.bootstrap ?? 200;
  const normal = normalGenerator(opts.seed ?? 1);
  let state = (opts.seed ?? 1) >>> 0;
  const nextInt = (k: number) => {
    // xorshift32: a deterministic block resampler
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % k;
  };
  const samples: number[] = [];
  for (let r = 0; r < B; r++) {
    const pick = all.map(() => nextInt(blocks));
    const pr = pooledPr(m, pick, n) + shift;
    const g = opts.g.value + se * normal();
    samples.push(rankFromPr(pr, interp(g, (k) => th[k].pr_phi), interp(g, (k) => th[k].k_phi)));
    if (r % 20 === 19) await yieldToEventLoop();
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(B - 1, Math.max(0, Math.round(p * (B - 1))))];
  return { value, ci95: [q(0.025), q(0.975)], prData: prFull, prDataCorrected: prInf, prIid, K, bootstrapSamples: B };
}

export interface CouplingEffectiveRank {
  /** α·PR_D = PR_S/(1 − 2 PR_S) from the noise-corrected PR_S (Infinity when PR_S ≥ 1/2) */
  value: number;
  /** PR_S corrected for estimation noise, and PR_S of the least-squares couplings as they are */
  prS: number;
  prSRaw: number;
}

/**
 * Effective rank of a fully recorded network from its estimated couplings (THEORY §2.3, §2.8). The
 * least-squares rows μ_i = G⁻¹Φᵀy_i are J_i plus noise with covariance Σ = σ²G⁻¹ (the same for every
 * row, independent across rows), so for A = μᵀμ
 *   E tr A    = ‖J‖² + N tr Σ
 *   E tr A²   = tr (JᵀJ)² + (2N + 2) tr(JᵀJ Σ) + 2‖J‖² tr Σ + N(N + 1) tr Σ² + N (tr Σ)²
 *   E tr(AΣ)  = tr(JᵀJ Σ) + N tr Σ²
 * which are solved for tr JᵀJ and tr (JᵀJ)², hence PR_S of J itself. Needs T ≫ N (G well conditioned).
 */
export function effectiveRankFromCouplings(sums: BlockSums, sigma2: number): CouplingEffectiveRank {
  const N = sums.n;
  const eig = symmetricEigen(sums.G, N);
  if (!(eig.values[0] > 1e-9 * eig.values[N - 1])) throw new RangeError('ΦᵀΦ is singular: the coupling estimate needs many more samples than units');
  // μᵀ = G⁻¹ ΦᵀY  (column i is row μ_i); Qᵀ μᵀ = diag(1/λ) Qᵀ ΦᵀY
  const [trA, trA2, trASigma] = tf.tidy(() => {
    const Q = tf.tensor2d(Float32Array.from(eig.vectors), [N, N]);
    const Qt = tf.transpose(Q);
    const inv = tf.tensor2d(Float32Array.from(eig.values, (l) => 1 / l), [N, 1]);
    const W = tf.mul(inv, tf.matMul(Qt, tf.tensor2d(Float32Array.from(sums.PhiY), [N, N]))); // Qᵀμᵀ
    const muT = tf.matMul(Q, W); // μᵀ (N×N, column i = μ_i)
    const mu = tf.transpose(muT);
    const A = tf.matMul(muT, mu); // Σ_i μ_i μ_iᵀ = μᵀμ
    // tr(AΣ) = σ² Σ_k (q_kᵀ A q_k)/λ_k = σ² Σ_k ‖(Wᵀ)_k‖²... via Qᵀ A Q diagonal
    const QtAQ = tf.matMul(tf.matMul(Qt, A), Q);
    const diag = tf.mul(tf.eye(N), QtAQ);
    return [tf.sum(tf.mul(mu, mu)).dataSync()[0], tf.sum(tf.mul(A, A)).dataSync()[0], sigma2 * tf.sum(tf.matMul(diag, inv)).dataSync()[0]];
  });
  let trS = 0;
  let trS2 = 0;
  for (const l of eig.values) {
    trS += sigma2 / l;
    trS2 += (sigma2 / l) ** 2;
  }
  const normJ = trA - N * trS;
  const trJJS = trASigma - N * trS2;
  const trJJ2 = trA2 - (2 * N + 2) * trJJS - 2 * normJ * trS - N * (N + 1) * trS2 - N * trS * trS;
  const prS = (normJ * normJ) / (N * trJJ2);
  const raw = (trA * trA) / (N * trA2);
  return { value: prS < 0.5 ? prS / (1 - 2 * prS) : Infinity, prS, prSRaw: raw };
}

/** PR_S = (tr JᵀJ)² / (N ‖JᵀJ‖²_F) of a row-major N×N matrix (the Gram product on tensors). */
export function prOfSquaredSingularValues(J: Float64Array, N: number): number {
  const [tr, fro] = tf.tidy(() => {
    const m = tf.tensor2d(Float32Array.from(J), [N, N]);
    const G = tf.matMul(tf.transpose(m), m);
    return [tf.sum(tf.mul(m, m)).dataSync()[0], tf.sum(tf.mul(G, G)).dataSync()[0]];
  });
  return (tr * tr) / (N * fro);
}
