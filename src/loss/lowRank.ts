/**
 * The exact rate-function loss (THEORY §2.3) with a low-rank prior mean: coupling row i has mean
 * b_i = (J0/N)·1 + (1/N) Σ_r m_ir n_r, so y_i has mean J0·m̄(t) + Σ_r m_ir κ_r(t), κ_r = (1/N) Φ n_r.
 *
 * In the eigenbasis of G = ΦᵀΦ = QΛQᵀ (one decomposition) with A = QᵀΦᵀY and d_k = σ² + g²λ_k/N:
 *   Σ_i r_iᵀK⁻¹r_i = σ⁻² Σ_i ‖y_i⊥‖² + Σ_k Σ_i W_ki² / (λ_k d_k),
 *   W = A − (J0/N) (λ∘q) 1ᵀ − diag(λ/N) Ñ Mᵀ,        q = Qᵀ1, Ñ = Qᵀ[n_1..n_R]
 * (the same stable form as src/loss/exact.ts). For fixed (g, σ², J0, Ñ) the loss is quadratic in the
 * input loadings M (one weighted least-squares problem per unit with the same R×R normal matrix), so
 * M is profiled out: the optimiser sees only g, D, J0 and Ñ, and by the envelope theorem the gradient
 * is the partial derivative at M̂. Everything is float64 and O(N²R) per evaluation.
 *
 * N is the number of recorded units (THEORY §2.3 caveat 2: the observed-unit normalisation).
 */
import { readTidy, tf } from '../backend.js';
import { symmetricEigen } from '../linalg/eigh.js';
import type { Nonlinearity } from '../nonlinearity.js';
import type { Recording } from '../recording/types.js';
import { inverseSpd, logDetSpd } from '../linalg/small.js';

/** H⁻¹ of the loadings' normal matrix; it is singular only when readout loadings are collinear. */
export function inverseOrThrow(A: Float64Array, R: number): Float64Array {
  const inv = inverseSpd(A, R);
  if (!inv) throw new RangeError('low-rank loss: the readout loadings are degenerate (rank-deficient)');
  return inv;
}

/** Additive sufficient statistics of one block of time steps. */
export interface BlockSums {
  n: number;
  T: number;
  /** G = ΦᵀΦ, n×n row-major */
  G: Float64Array;
  /** ΦᵀY, n×n row-major (row j: regressor unit j, column i: target unit i) */
  PhiY: Float64Array;
  /** ‖y_i‖² per unit */
  yy: Float64Array;
}

/** Coefficients of y = a·x[t+1] + b·x[t] − s·tanh x[t] (the fixed-τ basis of src/model/parameters.ts). */
export interface StepBasis {
  a: number;
  b: number;
  s: number;
}

const SUM_CHUNK = 4096;

/**
 * Block sums for contiguous blocks of time steps: `bounds` = [t0, t1, …, tB] splits steps 0..T−1
 * (T = samples − 1). Products run as float32 matMuls (Φ̃ᵀ[Φ̃ | Ỹ], one per chunk, no transpose flag)
 * on centred φ and y (means and their rank-one terms in float64) and over chunks of at most
 * SUM_CHUNK steps added in float64. Plain float32 sums of uncentred products drift by ~1e-6–1e-3
 * relative when activity sits at structured fixed points (large means), enough for the structured
 * fits, which subtract nearly equal projections of these sums, to find directions that exist only
 * in the round-off.
 */
export function blockSums(rec: Recording, basis: StepBasis, phi: Nonlinearity, bounds: number[]): BlockSums[] {
  const n = rec.nUnits;
  const d = rec.data;
  const out: BlockSums[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const T = bounds[b + 1] - bounds[b];
    // φ and y of the block, and their means in float64
    const phiAll = new Float64Array(T * n);
    const yAll = new Float64Array(T * n);
    const phiMean = new Float64Array(n);
    const yMean = new Float64Array(n);
    const yy = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      const row = (bounds[b] + t) * n;
      for (let i = 0; i < n; i++) {
        const x0 = d[row + i];
        const y = basis.a * d[row + n + i] + basis.b * x0 - (basis.s !== 0 ? basis.s * Math.tanh(x0) : 0);
        const f = phi.f(x0);
        yAll[t * n + i] = y;
        phiAll[t * n + i] = f;
        yy[i] += y * y;
        phiMean[i] += f / T;
        yMean[i] += y / T;
      }
    }
    // ΦᵀΦ = Φ̃ᵀΦ̃ + T φ̄φ̄ᵀ (and likewise ΦᵀY) with the centred products in float32 chunks
    const G = new Float64Array(n * n);
    const PhiY = new Float64Array(n * n);
    for (let t0 = 0; t0 < T; t0 += SUM_CHUNK) {
      const Tc = Math.min(SUM_CHUNK, T - t0);
      // rows of [Φ̃ | Ỹ]: one matMul Φ̃ᵀ[Φ̃ | Ỹ] gives both products
      const both = new Float32Array(Tc * 2 * n);
      for (let t = 0; t < Tc; t++) {
        const src = (t0 + t) * n;
        const dst = t * 2 * n;
        for (let i = 0; i < n; i++) {
          both[dst + i] = phiAll[src + i] - phiMean[i];
          both[dst + n + i] = yAll[src + i] - yMean[i];
        }
      }
      const prod = stackedCrossProducts(both, Tc, n);
      for (let i = 0; i < n; i++) {
        const o = i * 2 * n;
        for (let j = 0; j < n; j++) {
          G[i * n + j] += prod[o + j];
          PhiY[i * n + j] += prod[o + n + j];
        }
      }
    }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        G[i * n + j] += T * phiMean[i] * phiMean[j];
        PhiY[i * n + j] += T * phiMean[i] * yMean[j];
      }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < i; j++) {
        const v = 0.5 * (G[i * n + j] + G[j * n + i]);
        G[i * n + j] = G[j * n + i] = v;
      }
    out.push({ n, T, G, PhiY, yy });
  }
  return out;
}

/**
 * Pᵀ[P | Y] from rows of [P | Y] (rows × 2n, float32, row-major): n × 2n, PᵀP in the first n columns
 * and PᵀY in the last n. One float32 matMul with P transposed explicitly (the transpose flag, and so a
 * second product, is ≈ 10× slower on wasm). Shared by the time-domain block sums and the spectral
 * band sums (lowRankWhittle.ts).
 */
export function stackedCrossProducts(both: Float32Array, rows: number, n: number): Float32Array {
  return readTidy(() => {
    const PY = tf.tensor2d(both, [rows, 2 * n]);
    return tf.matMul(tf.transpose(tf.slice(PY, [0, 0], [rows, n])), PY);
  });
}

/** Σ of blocks, optionally leaving one out (k-fold training sets). */
export function sumBlocks(blocks: BlockSums[], leaveOut = -1): BlockSums {
  const first = blocks[0];
  const n = first.n;
  const acc: BlockSums = { n, T: 0, G: new Float64Array(n * n), PhiY: new Float64Array(n * n), yy: new Float64Array(n) };
  blocks.forEach((b, k) => {
    if (k === leaveOut) return;
    acc.T += b.T;
    for (let i = 0; i < n * n; i++) {
      acc.G[i] += b.G[i];
      acc.PhiY[i] += b.PhiY[i];
    }
    for (let i = 0; i < n; i++) acc.yy[i] += b.yy[i];
  });
  return acc;
}

/** The eigen-projected statistics the loss needs. */
export interface LowRankStatistics {
  n: number;
  T: number;
  /** eigen-directions above round-off, in order */
  used: number[];
  /** λ_k of the used directions */
  lambda: Float64Array;
  /** q_k = (Qᵀ1)_k */
  q: Float64Array;
  /** A = QᵀΦᵀY restricted to used rows: mu × n row-major */
  A: Float64Array;
  /** Q restricted to used columns: n × mu row-major (unit coordinates ← eigen coordinates) */
  Q: Float64Array;
  /** Σ_i ‖y_i⊥‖², the part of y no coupling row can explain */
  perp: number;
  /** Σ_i ‖y_i‖² */
  yyTotal: number;
}

export function lowRankStatistics(s: BlockSums): LowRankStatistics {
  const { n, T } = s;
  const eig = symmetricEigen(s.G, n);
  const lmax = Math.max(...eig.values);
  const used = [...eig.values.keys()].filter((k) => eig.values[k] > 1e-7 * lmax);
  const mu = used.length;
  const lambda = Float64Array.from(used, (k) => eig.values[k]);
  const Q = new Float64Array(n * mu);
  const q = new Float64Array(mu);
  used.forEach((k, c) => {
    for (let i = 0; i < n; i++) {
      const v = eig.vectors[i * n + k];
      Q[i * mu + c] = v;
      q[c] += v;
    }
  });
  // A = Qᵀ (ΦᵀY): mu × n
  const A = new Float64Array(mu * n);
  for (let j = 0; j < n; j++) {
    const row = j * n;
    for (let c = 0; c < mu; c++) {
      const qjc = Q[j * mu + c];
      if (qjc === 0) continue;
      const off = c * n;
      for (let i = 0; i < n; i++) A[off + i] += qjc * s.PhiY[row + i];
    }
  }
  let yyTotal = 0;
  for (let i = 0; i < n; i++) yyTotal += s.yy[i];
  let inSpan = 0;
  for (let c = 0; c < mu; c++) {
    let r = 0;
    for (let i = 0; i < n; i++) r += A[c * n + i] ** 2;
    inSpan += r / lambda[c];
  }
  return { n, T, used, lambda, q, A, Q, perp: Math.max(yyTotal - inSpan, 0), yyTotal };
}

/** Parameters of one evaluation: scalars plus the readout loadings in eigen coordinates. */
export interface LowRankPoint {
  g2: number;
  /** σ² = c·D + floor */
  sigma2: number;
  J0: number;
  /** Ñ = Qᵀ n, mu × R row-major */
  Nt: Float64Array;
  R: number;
}

export interface LowRankEvaluation {
  /** negative log-likelihood in nats (up to the θ-independent −nT log|a| + nT/2 log 2π) */
  nll: number;
  /** ∂nll/∂g², ∂nll/∂σ², ∂nll/∂J0, ∂nll/∂Ñ (mu×R) */
  dG2: number;
  dSigma2: number;
  dJ0: number;
  dNt: Float64Array;
  /** profiled input loadings M̂, n × R row-major */
  M: Float64Array;
}

/**
 * Negative log-likelihood with M integrated out (restricted likelihood; or held at `fixedM`, n×R, e.g.
 * on held-out data: then the plain likelihood) and its gradient with respect to the other parameters.
 * M̂ is the profiled (generalised least-squares) estimate of the input loadings.
 */
export function lowRankEvaluate(st: LowRankStatistics, p: LowRankPoint, fixedM?: Float64Array): LowRankEvaluation {
  const ev = profiledEvaluate(st, p, fixedM);
  if (!fixedM && p.R > 0) addRestrictedTerm(st, p, ev);
  return ev;
}

/**
 * Restricted-likelihood (REML) term for the input loadings: integrating each unit's m_i out under a
 * flat prior instead of profiling it adds (n/2)[log det XᵀK⁻¹X − log det XᵀX] with X = Φ[n_1..n_R]/N
 * (the second part makes it invariant to m → mA, n → nA⁻ᵀ). Without it g is biased low: the loadings
 * are fitted in the top eigen-directions of ΦᵀΦ, which carry most of the information about g
 * (−5 % on the issue-3 teacher even with the true n). In eigen coordinates
 * XᵀK⁻¹X = Σ_k λ_k Ñ_kᵀÑ_k/(N² d_k) and XᵀX = Σ_k λ_k Ñ_kᵀÑ_k/N².
 */
function addRestrictedTerm(st: LowRankStatistics, p: LowRankPoint, ev: LowRankEvaluation): void {
  const { n, lambda } = st;
  const mu = lambda.length;
  const R = p.R;
  const N = n;
  const H = new Float64Array(R * R);
  const H0 = new Float64Array(R * R);
  const dk = new Float64Array(mu);
  for (let k = 0; k < mu; k++) {
    dk[k] = p.sigma2 + (p.g2 * lambda[k]) / N;
    const l = lambda[k] / (N * N);
    for (let a = 0; a < R; a++)
      for (let b = 0; b < R; b++) {
        const v = l * p.Nt[k * R + a] * p.Nt[k * R + b];
        H0[a * R + b] += v;
        H[a * R + b] += v / dk[k];
      }
  }
  const Hi = inverseOrThrow(H, R);
  const H0i = inverseOrThrow(H0, R);
  ev.nll += 0.5 * n * (logDetSpd(H, R) - logDetSpd(H0, R));
  for (let k = 0; k < mu; k++) {
    const l = lambda[k] / (N * N);
    // q = Ñ_k H⁻¹ Ñ_kᵀ, and the row gradients n·l·(Ñ_k H⁻¹/d_k − Ñ_k H0⁻¹)
    let quadH = 0;
    for (let a = 0; a < R; a++) {
      let gH = 0;
      let gH0 = 0;
      for (let b = 0; b < R; b++) {
        gH += p.Nt[k * R + b] * Hi[b * R + a];
        gH0 += p.Nt[k * R + b] * H0i[b * R + a];
      }
      quadH += gH * p.Nt[k * R + a];
      ev.dNt[k * R + a] += n * l * (gH / dk[k] - gH0);
    }
    // ∂ log det H/∂d_k = −l·q/d_k²
    const dd = (-0.5 * n * l * quadH) / (dk[k] * dk[k]);
    ev.dSigma2 += dd;
    ev.dG2 += (dd * lambda[k]) / N;
  }
}

function profiledEvaluate(st: LowRankStatistics, p: LowRankPoint, fixedM?: Float64Array): LowRankEvaluation {
  const { n, T, lambda, q, A } = st;
  const mu = lambda.length;
  const R = p.R;
  const N = n;
  const w = new Float64Array(mu); // 1/(λ_k d_k)
  const dk = new Float64Array(mu);
  let logdet = (T - mu) * Math.log(p.sigma2);
  for (let k = 0; k < mu; k++) {
    dk[k] = p.sigma2 + (p.g2 * lambda[k]) / N;
    w[k] = 1 / (lambda[k] * dk[k]);
    logdet += Math.log(dk[k]);
  }
  // A' = A − (J0/N)(λ∘q)1ᵀ, F = diag(λ/N) Ñ
  const jq = new Float64Array(mu);
  for (let k = 0; k < mu; k++) jq[k] = (p.J0 / N) * lambda[k] * q[k];
  const F = new Float64Array(mu * R);
  for (let k = 0; k < mu; k++) for (let r = 0; r < R; r++) F[k * R + r] = (lambda[k] / N) * p.Nt[k * R + r];
  let M: Float64Array;
  if (fixedM) M = fixedM;
  else {
    M = new Float64Array(n * R);
    if (R > 0) {
      // normal equations H M̂ᵢ = Fᵀ W A'ᵢ, H = Fᵀ W F (shared by all units)
      const H = new Float64Array(R * R);
      for (let k = 0; k < mu; k++)
        for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) H[a * R + b] += w[k] * F[k * R + a] * F[k * R + b];
      const rhs = new Float64Array(R * n);
      for (let k = 0; k < mu; k++) {
        const off = k * n;
        for (let a = 0; a < R; a++) {
          const f = w[k] * F[k * R + a];
          if (f === 0) continue;
          const ro = a * n;
          for (let i = 0; i < n; i++) rhs[ro + i] += f * (A[off + i] - jq[k]);
        }
      }
      // H⁻¹ once (R×R), then applied to every unit.
      const Hinv = inverseOrThrow(H, R);
      for (let i = 0; i < n; i++)
        for (let a = 0; a < R; a++) {
          let v = 0;
          for (let b = 0; b < R; b++) v += Hinv[a * R + b] * rhs[b * n + i];
          M[i * R + a] = v;
        }
    }
  }
  // Residual W = A' − F Mᵀ, row sums S_k = Σ_i W_ki², E_k,r = Σ_i W_ki M_ir, rowsum_k = Σ_i W_ki
  let quadSpan = 0;
  let dSig = 0;
  let dG = 0;
  let dJ = 0;
  const dNt = new Float64Array(mu * R);
  const wrow = new Float64Array(n);
  for (let k = 0; k < mu; k++) {
    const off = k * n;
    let S = 0;
    let rowsum = 0;
    for (let i = 0; i < n; i++) {
      let v = A[off + i] - jq[k];
      for (let r = 0; r < R; r++) v -= F[k * R + r] * M[i * R + r];
      wrow[i] = v;
      S += v * v;
      rowsum += v;
    }
    quadSpan += w[k] * S;
    // ∂(W²/(λd))/∂d = −W²/(λd²)
    const dd = -S / (lambda[k] * dk[k] * dk[k]);
    dSig += dd;
    dG += (dd * lambda[k]) / N;
    dJ += -2 * w[k] * (lambda[k] * q[k] / N) * rowsum;
    for (let r = 0; r < R; r++) {
      let e = 0;
      for (let i = 0; i < n; i++) e += wrow[i] * M[i * R + r];
      dNt[k * R + r] = -2 * w[k] * (lambda[k] / N) * e;
    }
  }
  const quad = st.perp / p.sigma2 + quadSpan;
  // logdet derivatives
  let dLogdetSig = (T - mu) / p.sigma2;
  let dLogdetG = 0;
  for (let k = 0; k < mu; k++) {
    dLogdetSig += 1 / dk[k];
    dLogdetG += lambda[k] / N / dk[k];
  }
  dSig += -st.perp / (p.sigma2 * p.sigma2);
  const nll = 0.5 * (n * logdet + quad);
  return {
    nll,
    dG2: 0.5 * (n * dLogdetG + dG),
    dSigma2: 0.5 * (n * dLogdetSig + dSig),
    dJ0: 0.5 * dJ,
    dNt: dNt.map((v) => 0.5 * v),
    M,
  };
}

/** Ñ (eigen coordinates, mu×R) from unit-coordinate readout loadings n (R arrays of n entries). */
export function toEigen(st: LowRankStatistics, nCols: readonly ArrayLike<number>[]): Float64Array {
  const mu = st.lambda.length;
  const R = nCols.length;
  const out = new Float64Array(mu * R);
  for (let i = 0; i < st.n; i++)
    for (let c = 0; c < mu; c++) {
      const qic = st.Q[i * mu + c];
      for (let r = 0; r < R; r++) out[c * R + r] += qic * nCols[r][i];
    }
  return out;
}

/** Unit-coordinate readout loadings n = Q Ñ (R arrays of n entries). */
export function fromEigen(st: LowRankStatistics, Nt: Float64Array, R: number): Float64Array[] {
  const mu = st.lambda.length;
  const out = Array.from({ length: R }, () => new Float64Array(st.n));
  for (let i = 0; i < st.n; i++)
    for (let c = 0; c < mu; c++) {
      const qic = st.Q[i * mu + c];
      for (let r = 0; r < R; r++) out[r][i] += qic * Nt[c * R + r];
    }
  return out;
}
