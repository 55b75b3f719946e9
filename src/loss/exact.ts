/**
 * The exact discrete-time rate-function loss, THEORY §2.3: per-unit Gaussian marginal likelihood of
 * Bayesian linear regression with the coupling rows integrated out,
 *   y_i ~ N(Φ b_i, K),  K = σ² I_T + (g²/N) Φ Φᵀ,  b_i = (J0/N)·1 (+ g_W·W_i with a given coupling matrix W).
 * One eigendecomposition G = ΦᵀΦ = QΛQᵀ and the projections A_c = Qᵀ Φᵀ B_c of the basis series make
 * every later evaluation O(N) (Woodbury + determinant lemma). It assumes the recorded units are the
 * whole network (the kernel has the rank of the recorded population); for subsamples use Whittle.
 */
import { tf } from '../backend.js';
import { symmetricEigen } from '../linalg/eigh.js';
import type { Nonlinearity } from '../nonlinearity.js';
import { type ModelConfig, type ParamLayout, unpackTensor } from '../model/parameters.js';
import { basisPairs, type BasisSpec } from '../statistics/spectra.js';
import type { SeriesSource } from '../statistics/spectra.js';
import { basisWeights, type LossFunction } from './whittle.js';

export interface ExactStatistics {
  T: number;
  n: number;
  basis: BasisSpec;
  pairs: [number, number][];
  /** eigenvalues λ_k of G = ΦᵀΦ */
  lambda: Float64Array;
  /** q = Qᵀ1 */
  q: Float64Array;
  /** per pair (c ≤ d): M_k = A_c[k]·A_d[k], k = 1..n */
  M: Float64Array[];
  /** per basis: r_k = A_c[k]·1 */
  r: Float64Array[];
  /** ⟨B_c, B_d⟩_F per pair */
  yy: number[];
  /** 1ᵀ Φᵀ B_c 1 per basis */
  phiY: number[];
  /** 1ᵀ G 1 */
  oneGone: number;
  /** ⟨B_c, B_d⟩ of the parts orthogonal to span(Φ), per pair: yy − Σ_k M_k/λ_k (float64). */
  perp: number[];
  /** eigen-directions used in the Woodbury sums (λ_k above round-off) */
  used: Uint8Array;
  /** Q (row-major n×n), Φᵀy for the posterior over coupling rows (§2.3) */
  Q?: Float64Array;
  /**
   * With a given coupling matrix W (prior mean g_W·W_i of row i), V = QᵀWᵀ and per eigen-direction k:
   * yv[c][k] = A_c[k]·V[k], vv[k] = V[k]·V[k], v1[k] = V[k]·1.
   */
  prior?: { yv: Float64Array[]; vv: Float64Array; v1: Float64Array };
}

const stats0 = (v: number) => v;

function basisMatrix(name: string, src: SeriesSource, T: number, spec: BasisSpec): Float32Array {
  const n = src.nUnits;
  const out = new Float32Array(T * n);
  const d = src.data;
  const f = spec.fixed;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      const x0 = d[t * n + i];
      const x1 = d[(t + 1) * n + i];
      let v: number;
      switch (name) {
        case 'dx': v = x1 - x0; break;
        case 'x0': v = x0; break;
        case 'tanh': v = Math.tanh(x0); break;
        case 'y': v = f!.a * x1 + f!.b * x0 - (f!.s !== 0 ? f!.s * Math.tanh(x0) : 0); break;
        default: throw new Error(`unknown basis ${name}`);
      }
      out[t * n + i] = v;
    }
  }
  return out;
}

/**
 * One O(T N² + N³) pass: Gram matrix, its eigendecomposition and the projected basis statistics; with
 * `priorMean` (W, n×n row-major, row = target) also those of the prior mean rows W_i.
 */
export function exactStatistics(src: SeriesSource, basis: BasisSpec, phi: Nonlinearity, priorMean?: Float64Array): ExactStatistics {
  const n = src.nUnits;
  const T = src.nSamples - 1;
  const C = basis.names.length;
  const pairs = basisPairs(C);
  const phiArr = new Float32Array(T * n);
  for (let k = 0; k < T * n; k++) phiArr[k] = phi.f(src.data[k]);
  const yy: number[] = [];
  const phiY: number[] = [];
  const Bs = basis.names.map((name) => basisMatrix(name, src, T, basis));
  pairs.forEach(([c, d]) => {
    let s = 0;
    const u = Bs[c];
    const v = Bs[d];
    for (let k = 0; k < u.length; k++) s += u[k] * v[k];
    yy.push(s);
  });
  // Φᵀ materialised once: matMul with a transpose flag is slow on wasm.
  const { G, PhiTB } = tf.tidy(() => {
    const Phi = tf.tensor2d(phiArr, [T, n]);
    const PhiT = tf.transpose(Phi);
    const G = tf.matMul(PhiT, Phi);
    const PhiTB = Bs.map((b) => tf.matMul(PhiT, tf.tensor2d(b, [T, n])));
    return { G, PhiTB };
  });
  const Gv = G.dataSync();
  G.dispose();
  const Gs = new Float64Array(n * n);
  let oneGone = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      // symmetrise float32 rounding
      const v = 0.5 * (Gv[i * n + j] + Gv[j * n + i]);
      Gs[i * n + j] = v;
      oneGone += v;
    }
  const eig = symmetricEigen(Gs, n);
  const lambda = eig.values.map((v) => Math.max(v, 0));
  const Qt = new Float32Array(n * n); // Qᵀ row-major: Qt[k*n+i] = Q[i,k]
  const Q = eig.vectors;
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const v = Q[i * n + k];
      Qt[k * n + i] = v;
      q[k] += v;
    }
  let M: Float64Array[] = [];
  let r: Float64Array[] = [];
  let prior: ExactStatistics['prior'];
  if (priorMean && priorMean.length !== n * n) throw new RangeError(`the prior-mean matrix must be ${n}×${n}`);
  tf.tidy(() => {
    const QtT = tf.tensor2d(Qt, [n, n]);
    const A = PhiTB.map((p) => tf.matMul(QtT, p));
    M = pairs.map(([c, d]) => Float64Array.from(tf.sum(tf.mul(A[c], A[d]), 1).dataSync()));
    r = A.map((a) => Float64Array.from(tf.sum(a, 1).dataSync()));
    if (priorMean) {
      // Wᵀ materialised (no transpose flag on wasm)
      const Wt = new Float32Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Wt[j * n + i] = priorMean[i * n + j];
      const V = tf.matMul(QtT, tf.tensor2d(Wt, [n, n]));
      prior = {
        yv: A.map((a) => Float64Array.from(tf.sum(tf.mul(a, V), 1).dataSync())),
        vv: Float64Array.from(tf.sum(tf.square(V), 1).dataSync()),
        v1: Float64Array.from(tf.sum(V, 1).dataSync()),
      };
    }
  });
  for (const p of PhiTB) {
    const v = p.dataSync();
    let s = 0;
    for (let k = 0; k < v.length; k++) s += v[k];
    phiY.push(s);
    p.dispose();
  }
  // ‖B_⊥‖²: the part of y no coupling row can explain. Precomputed in float64 so the loss never
  // subtracts two nearly equal float32 numbers (noise-free data would otherwise diverge, V20).
  const lmax = Math.max(...lambda);
  const used = Uint8Array.from(lambda, (l) => (l > 1e-7 * lmax ? 1 : 0));
  const perp = pairs.map((_, k) => {
    let s = stats0(yy[k]);
    for (let e = 0; e < n; e++) if (used[e]) s -= M[k][e] / lambda[e];
    return s;
  });
  return { T, n, basis, pairs, lambda, q, M, r, yy, phiY, oneGone, perp, used, Q, ...(prior ? { prior } : {}) };
}

export interface ExactInputs {
  stats: ExactStatistics;
  cfg: ModelConfig;
  layout: ParamLayout;
  sigma2Floor: number;
}

export function exactLoss(inp: ExactInputs): { loss: LossFunction; normaliser: number; dispose: () => void } {
  const { stats, cfg, layout } = inp;
  const { n, T } = stats;
  const N = n; // mean-field normalisation by the recorded population (caveat 2)
  const names = stats.basis.names;
  // Only eigen-directions above round-off enter the Woodbury sums; the rest belong to ‖R_⊥‖².
  const keepIdx = [...stats.used.keys()].filter((e) => stats.used[e]);
  const pick = (a: Float64Array) => Float32Array.from(keepIdx, (e) => a[e]);
  const m = keepIdx.length;
  const lam = tf.tensor1d(pick(stats.lambda));
  const q = tf.tensor1d(pick(stats.q));
  const M = tf.tensor2d(concat(stats.M.map((a) => Float64Array.from(pick(a)))), [stats.M.length, m]);
  const r = tf.tensor2d(concat(stats.r.map((a) => Float64Array.from(pick(a)))), [stats.r.length, m]);
  const pairMult = stats.pairs.map(([c, d]) => (c === d ? 1 : 2));
  const hasW = layout.entries.some((e) => e.kind === 'gW');
  if (hasW && !stats.prior) throw new Error('exactLoss: g_W is fitted but the statistics have no prior-mean matrix');
  const prior = hasW
    ? {
        yv: tf.tensor2d(concat(stats.prior!.yv.map((a) => Float64Array.from(pick(a)))), [stats.prior!.yv.length, m]),
        vv: tf.tensor1d(pick(stats.prior!.vv)),
        v1: tf.tensor1d(pick(stats.prior!.v1)),
      }
    : undefined;
  const normaliser = n * T;
  const loss: LossFunction = (theta) =>
    tf.tidy(() => {
      const tp = unpackTensor(theta, layout, cfg);
      const w = basisWeights(names, tp);
      const sigma2 = tf.add(tf.mul(tp.D[0], tp.c), inp.sigma2Floor);
      const g2 = tp.g2[0][0];
      const j = tf.div(tp.J0[0][0], N); // prior mean of every coupling
      const d = tf.add(sigma2, tf.mul(tf.div(g2, N), lam));
      const coef = tf.stack(stats.pairs.map(([c, dd], k) => tf.mul(tf.mul(w[c], w[dd]), pairMult[k])));
      const wv = tf.reshape(tf.stack(w), [1, -1]);
      const lq = tf.mul(lam, q);
      // ||W_k||² = wᵀM_k w − 2 j λ_k q_k (w·r_k) + j² λ_k² q_k² n
      let W2 = tf.squeeze(tf.matMul(tf.reshape(coef, [1, -1]), M), [0]);
      W2 = tf.sub(W2, tf.mul(tf.mul(tf.mul(j, 2), lq), tf.squeeze(tf.matMul(wv, r), [0])));
      W2 = tf.add(W2, tf.mul(tf.mul(tf.square(j), n), tf.square(lq)));
      if (prior) {
        // mean rows g_W·W_i: − 2 g_W λ_k (w·yv_k) + g_W² λ_k² vv_k + 2 g_W j λ_k² q_k v1_k
        const l2 = tf.square(lam);
        W2 = tf.sub(W2, tf.mul(tf.mul(tf.mul(tp.gW, 2), lam), tf.squeeze(tf.matMul(wv, prior.yv), [0])));
        W2 = tf.add(W2, tf.mul(tf.mul(tf.square(tp.gW), l2), prior.vv));
        W2 = tf.add(W2, tf.mul(tf.mul(tf.mul(tf.mul(tp.gW, j), 2), tf.mul(l2, q)), prior.v1));
      }
      // Σ_i r_iᵀK⁻¹r_i = σ⁻²‖R_⊥‖² + Σ_k ‖W_k‖²/(λ_k d_k): no cancellation (J0 lies in span Φ).
      let perp: tf.Tensor = tf.scalar(0);
      stats.pairs.forEach(([c, dd], k) => (perp = tf.add(perp, tf.mul(tf.mul(tf.mul(w[c], w[dd]), pairMult[k]), stats.perp[k]))));
      const quad = tf.add(tf.div(tf.relu(perp), sigma2), tf.sum(tf.div(W2, tf.mul(lam, d))));
      const logdet = tf.add(tf.mul(T - m, tf.log(sigma2)), tf.sum(tf.log(d)));
      const nll = tf.add(tf.mul(0.5, tf.add(tf.mul(n, logdet), quad)), n * T * 0.5 * Math.log(2 * Math.PI));
      const jac = tf.mul(-n * T, tf.log(tf.abs(tp.a)));
      return tf.div(tf.add(nll, jac), normaliser) as tf.Scalar;
    });
  return { loss, normaliser, dispose: () => [lam, q, M, r, ...(prior ? [prior.yv, prior.vv, prior.v1] : [])].forEach((t) => t.dispose()) };
}

function concat(arrays: Float64Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((s, a) => s + a.length, 0));
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

/**
 * The same loss in float64, value only (nats, not normalised). The tfjs version above is what the
 * optimiser differentiates; this one is the reference, and the one used where loss *differences*
 * of a fraction of a nat matter (profile likelihoods), which float32 cannot resolve at n·T ~ 10⁶.
 */
export function exactLossValue(
  stats: ExactStatistics,
  p: { g2: number; D: number; J0: number; a: number; c: number; w: number[]; gW?: number },
  sigma2Floor: number,
): number {
  const { n, T } = stats;
  const N = n;
  const sigma2 = p.D * p.c + sigma2Floor;
  const j = p.J0 / N;
  const mult = stats.pairs.map(([c, d]) => (c === d ? 1 : 2) * p.w[c] * p.w[d]);
  let perp = 0;
  mult.forEach((m, q) => (perp += m * stats.perp[q]));
  let quad = Math.max(perp, 0) / sigma2;
  let logdet = 0;
  let used = 0;
  for (let k = 0; k < n; k++) {
    if (!stats.used[k]) continue;
    used++;
    const lam = stats.lambda[k];
    const d = sigma2 + (p.g2 / N) * lam;
    let W2 = 0;
    mult.forEach((m, q) => (W2 += m * stats.M[q][k]));
    let wr = 0;
    p.w.forEach((wc, c) => (wr += wc * stats.r[c][k]));
    const lq = lam * stats.q[k];
    W2 += -2 * j * lq * wr + j * j * n * lq * lq;
    if (p.gW !== undefined && p.gW !== 0) {
      const pr = stats.prior;
      if (!pr) throw new Error('exactLossValue: g_W given but the statistics have no prior-mean matrix');
      let wyv = 0;
      p.w.forEach((wc, c) => (wyv += wc * pr.yv[c][k]));
      W2 += -2 * p.gW * lam * wyv + p.gW * p.gW * lam * lam * pr.vv[k] + 2 * p.gW * j * lam * lq * pr.v1[k];
    }
    quad += W2 / (lam * d);
    logdet += Math.log(d);
  }
  logdet += (T - used) * Math.log(sigma2);
  return 0.5 * (n * logdet + quad) + n * T * 0.5 * Math.log(2 * Math.PI) - n * T * Math.log(Math.abs(p.a));
}
