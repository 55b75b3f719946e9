/**
 * The exact rate-function loss of a multiregion network (THEORY §1.3d, §2.3 table, §2.7): for unit i
 * in region α,
 *   y_i = Φ_α J_iᵀ + Σ_r m_ir κ_r(t) + ε_i,   J_i ~ N(0, g_α²/N_α I) (disorder only within α),
 *   κ_r = Φ_{β_r} n_r / N_{β_r}  (the current carried by link r into α from region β_r),
 * so y_i ~ N(Σ_r m_ir κ_r, K_α), K_α = σ_α² I + (g_α²/N_α) Φ_α Φ_αᵀ. Unlike src/loss/lowRank.ts the
 * currents from other regions lie outside span(Φ_α); with G = QΛQᵀ of Φ_αᵀΦ_α, A = QᵀΦ_αᵀY_α and
 * w'_k = 1/σ² − 1/d_k, d_k = σ² + g²λ_k/N_α, everything reduces to
 *   quad_i(m_i) = base_i − 2 m_iᵀ b_i + m_iᵀ H m_i
 *   base_i = σ⁻²‖y_i⊥‖² + Σ_k A_ki²/(λ_k d_k)
 *   b_i[r] = σ⁻² (n_rᵀ Φ_βᵀ y_i)/N_β − Σ_k (w'_k/λ_k) A_ki Z_kr,  Z = Qᵀ Φ_αᵀ Φ_β n_r / N_β
 *   H[r,s] = σ⁻² n_rᵀ Φ_βᵀΦ_β' n_s/(N_β N_β') − Σ_k (w'_k/λ_k) Z_kr Z_ks      (= XᵀK⁻¹X)
 * with the input loadings m_i integrated out (restricted likelihood, as for one region). All needed
 * products come from the full Gram ΦᵀΦ and ΦᵀY of the recording (src/loss/lowRank.ts blockSums).
 */
import { symmetricEigen } from '../linalg/eigh.js';
import { inverseSpd, logDetSpd, solveSpd } from '../linalg/small.js';
import type { BlockSums } from './lowRank.js';

export interface RegionStatistics {
  /** recorded-unit indices of the region */
  units: number[];
  n: number;
  T: number;
  lambda: Float64Array;
  /** n × mu, row-major */
  Q: Float64Array;
  /** mu × n: QᵀΦ_αᵀY_α */
  A: Float64Array;
  /** Σ_i ‖y_i⊥‖² over the region's units */
  perp: number;
  yy: number;
}

export interface MultiregionStatistics {
  /** all recorded units */
  N: number;
  T: number;
  /** full ΦᵀΦ and ΦᵀY (N × N) */
  G: Float64Array;
  C: Float64Array;
  regions: RegionStatistics[];
}

export function multiregionStatistics(s: BlockSums, regions: number[][]): MultiregionStatistics {
  const N = s.n;
  const out: RegionStatistics[] = regions.map((units) => {
    const n = units.length;
    const Ga = new Float64Array(n * n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) Ga[a * n + b] = s.G[units[a] * N + units[b]];
    const eig = symmetricEigen(Ga, n);
    const lmax = Math.max(...eig.values);
    const used = [...eig.values.keys()].filter((k) => eig.values[k] > 1e-7 * lmax);
    const mu = used.length;
    const lambda = Float64Array.from(used, (k) => eig.values[k]);
    const Q = new Float64Array(n * mu);
    used.forEach((k, c) => {
      for (let a = 0; a < n; a++) Q[a * mu + c] = eig.vectors[a * n + k];
    });
    // A = Qᵀ Φ_αᵀ Y_α
    const A = new Float64Array(mu * n);
    for (let j = 0; j < n; j++) {
      const row = units[j] * N;
      for (let c = 0; c < mu; c++) {
        const q = Q[j * mu + c];
        for (let i = 0; i < n; i++) A[c * n + i] += q * s.PhiY[row + units[i]];
      }
    }
    let yy = 0;
    for (const i of units) yy += s.yy[i];
    let inSpan = 0;
    for (let c = 0; c < mu; c++) {
      let r = 0;
      for (let i = 0; i < n; i++) r += A[c * n + i] ** 2;
      inSpan += r / lambda[c];
    }
    return { units, n, T: s.T, lambda, Q, A, perp: Math.max(yy - inSpan, 0), yy };
  });
  return { N, T: s.T, G: s.G, C: s.PhiY, regions: out };
}

/** A current into the region: source region index and readout loadings n (one per source unit). */
export interface Current {
  source: number;
  n: Float64Array;
}

/** Current-dependent projections of one region, fixed while (g, σ²) vary. */
export interface RegionProjections {
  R: number;
  /** mu × R: Z = QᵀΦ_αᵀΦ_β n/N_β */
  Z: Float64Array;
  /** R × n: (n_rᵀ Φ_βᵀ y_i)/N_β */
  Xy: Float64Array;
  /** R × R: XᵀX */
  XX: Float64Array;
}

export function regionProjections(ms: MultiregionStatistics, alpha: number, currents: Current[]): RegionProjections {
  const reg = ms.regions[alpha];
  const { n, lambda, Q } = reg;
  const mu = lambda.length;
  const N = ms.N;
  const R = currents.length;
  const Z = new Float64Array(mu * R);
  const Xy = new Float64Array(R * n);
  const XX = new Float64Array(R * R);
  // Φ_αᵀΦ_β n / N_β (n-vector), then Qᵀ of it
  currents.forEach((cur, r) => {
    const src = ms.regions[cur.source].units;
    const Nb = src.length;
    const v = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      const row = reg.units[a] * N;
      let s = 0;
      for (let b = 0; b < Nb; b++) s += ms.G[row + src[b]] * cur.n[b];
      v[a] = s / Nb;
    }
    for (let c = 0; c < mu; c++) {
      let s = 0;
      for (let a = 0; a < n; a++) s += Q[a * mu + c] * v[a];
      Z[c * R + r] = s;
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      const col = reg.units[i];
      for (let b = 0; b < Nb; b++) s += ms.C[src[b] * N + col] * cur.n[b];
      Xy[r * n + i] = s / Nb;
    }
  });
  for (let r = 0; r < R; r++)
    for (let q = r; q < R; q++) {
      const sr = ms.regions[currents[r].source].units;
      const sq = ms.regions[currents[q].source].units;
      let s = 0;
      for (let a = 0; a < sr.length; a++) {
        const row = sr[a] * N;
        let t = 0;
        for (let b = 0; b < sq.length; b++) t += ms.G[row + sq[b]] * currents[q].n[b];
        s += currents[r].n[a] * t;
      }
      XX[r * R + q] = XX[q * R + r] = s / (sr.length * sq.length);
    }
  return { R, Z, Xy, XX };
}

export interface RegionEvaluation {
  /** restricted negative log-likelihood of the region (nats, up to θ-independent constants) */
  nll: number;
  /** profiled input loadings, n × R */
  M: Float64Array;
}

interface RegionCore {
  nll: number;
  M: Float64Array;
  /** H⁻¹ (R × R), H = XᵀK⁻¹X: the posterior covariance of each unit's input loadings */
  Hi: Float64Array;
  /** w'_k/λ_k */
  wl: Float64Array;
}

function regionCore(reg: RegionStatistics, p: RegionProjections, g2: number, sigma2: number, priorVar?: ArrayLike<number>): RegionCore {
  const { n, T, lambda, A } = reg;
  const mu = lambda.length;
  const R = p.R;
  const s2i = 1 / sigma2;
  const wl = new Float64Array(mu); // w'_k/λ_k
  let logdet = (T - mu) * Math.log(sigma2);
  let base = reg.perp * s2i;
  for (let k = 0; k < mu; k++) {
    const d = sigma2 + (g2 * lambda[k]) / n;
    logdet += Math.log(d);
    wl[k] = (s2i - 1 / d) / lambda[k];
    let row = 0;
    for (let i = 0; i < n; i++) row += A[k * n + i] ** 2;
    base += row / (lambda[k] * d);
  }
  let nll = 0.5 * (n * logdet + base);
  const M = new Float64Array(n * R);
  if (R === 0) return { nll, M, Hi: new Float64Array(0), wl };
  const H = new Float64Array(R * R);
  for (let r = 0; r < R; r++)
    for (let q = 0; q < R; q++) {
      let s = s2i * p.XX[r * R + q];
      for (let k = 0; k < mu; k++) s -= wl[k] * p.Z[k * R + r] * p.Z[k * R + q];
      H[r * R + q] = s + (priorVar && r === q ? 1 / priorVar[r] : 0);
    }
  const Hi = inverseSpd(H, R);
  if (!Hi) return { nll: Number.NaN, M, Hi: new Float64Array(R * R).fill(Number.NaN), wl };
  // b_i and the reduction Σ_i b_iᵀH⁻¹b_i
  const b = new Float64Array(R);
  const WZ = new Float64Array(mu * R);
  for (let k = 0; k < mu; k++) for (let r = 0; r < R; r++) WZ[k * R + r] = wl[k] * p.Z[k * R + r];
  let reduction = 0;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < R; r++) {
      let s = s2i * p.Xy[r * n + i];
      for (let k = 0; k < mu; k++) s -= A[k * n + i] * WZ[k * R + r];
      b[r] = s;
    }
    for (let r = 0; r < R; r++) {
      let v = 0;
      for (let q = 0; q < R; q++) v += Hi[r * R + q] * b[q];
      M[i * R + r] = v;
      reduction += v * b[r];
    }
  }
  // flat prior on m (restricted likelihood): log det H − log det XX; Gaussian prior: log det(V H)
  let logV = 0;
  if (priorVar) for (let r = 0; r < R; r++) logV += Math.log(priorVar[r]);
  nll += -0.5 * reduction + 0.5 * n * (logDetSpd(H, R) + (priorVar ? logV : -logDetSpd(p.XX, R)));
  return { nll, M, Hi, wl };
}

/**
 * Region NLL at (g², σ²) with the currents' projections fixed and the input loadings integrated out:
 * under a flat prior (restricted likelihood) or, with `priorVar`, under m_ir ~ N(0, priorVar_r).
 */
export function regionEvaluate(reg: RegionStatistics, p: RegionProjections, g2: number, sigma2: number, priorVar?: ArrayLike<number>): RegionEvaluation {
  const { nll, M } = regionCore(reg, p, g2, sigma2, priorVar);
  return { nll, M };
}

/**
 * The region NLL and its gradient with respect to every current's readout loadings n_r, so that all
 * loadings can be optimised jointly (an alternating step that solves for n with the input loadings
 * held at their posterior mean is not a descent step of this restricted likelihood). With Ŝ =
 * ½(Σ_i M_i M_iᵀ + n H⁻¹) the derivatives with respect to the projections are
 *   ∂/∂XX = σ⁻²Ŝ − ½ n XX⁻¹,   ∂/∂Xy[r,i] = −σ⁻² M_ir,   ∂/∂Z = −2 diag(w'/λ) Z Ŝ + diag(w'/λ) A M,
 * (without the XX⁻¹ term under a Gaussian prior on m), and the chain rule through Z, Xy, XX (linear
 * resp. bilinear in n) gives ∂/∂n_r.
 */
export function regionLossAndGradient(
  ms: MultiregionStatistics, alpha: number, currents: Current[], g2: number, sigma2: number, priorVar?: ArrayLike<number>,
): { nll: number; M: Float64Array; gradient: Float64Array[]; projections: RegionProjections } {
  const reg = ms.regions[alpha];
  const p = regionProjections(ms, alpha, currents);
  const core = regionCore(reg, p, g2, sigma2, priorVar);
  const R = p.R;
  const { n, lambda, Q, A } = reg;
  const mu = lambda.length;
  const N = ms.N;
  const s2i = 1 / sigma2;
  const gradient = currents.map((c) => new Float64Array(c.n.length));
  if (R === 0 || !Number.isFinite(core.nll)) return { nll: core.nll, M: core.M, gradient, projections: p };
  const { M, Hi, wl } = core;
  const Shat = new Float64Array(R * R);
  for (let r = 0; r < R; r++)
    for (let q = 0; q < R; q++) {
      let s = n * Hi[r * R + q];
      for (let i = 0; i < n; i++) s += M[i * R + r] * M[i * R + q];
      Shat[r * R + q] = 0.5 * s;
    }
  const XXi = priorVar ? new Float64Array(R * R) : inverseSpd(p.XX, R);
  if (!XXi) return { nll: Number.NaN, M, gradient, projections: p };
  const dXX = Shat.map((v, k) => s2i * v - 0.5 * n * XXi[k]);
  // ∂/∂Z (mu × R)
  const dZ = new Float64Array(mu * R);
  for (let k = 0; k < mu; k++)
    for (let r = 0; r < R; r++) {
      let s = 0;
      for (let q = 0; q < R; q++) s += p.Z[k * R + q] * Shat[q * R + r];
      let am = 0;
      for (let i = 0; i < n; i++) am += A[k * n + i] * M[i * R + r];
      dZ[k * R + r] = wl[k] * (am - 2 * s);
    }
  currents.forEach((cur, r) => {
    const src = ms.regions[cur.source].units;
    const Nb = src.length;
    // w = Q ∂Z[:,r] on the region's units; Z[:,r] = QᵀΦ_αᵀΦ_β n_r/N_β
    const w = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      let s = 0;
      for (let c = 0; c < mu; c++) s += Q[a * mu + c] * dZ[c * R + r];
      w[a] = s;
    }
    const gr = gradient[r];
    for (let b = 0; b < Nb; b++) {
      const row = src[b] * N;
      let s = 0;
      for (let a = 0; a < n; a++) s += ms.G[row + reg.units[a]] * w[a] - s2i * ms.C[row + reg.units[a]] * M[a * R + r];
      gr[b] = s / Nb;
    }
    // XX[r,q] = n_rᵀ G_{β_r β_q} n_q /(N_r N_q)
    currents.forEach((other, q) => {
      const sq = ms.regions[other.source].units;
      const f = (2 * dXX[r * R + q]) / (Nb * sq.length);
      if (f === 0) return;
      for (let b = 0; b < Nb; b++) {
        const row = src[b] * N;
        let t = 0;
        for (let c = 0; c < sq.length; c++) t += ms.G[row + sq[c]] * other.n[c];
        gr[b] += f * t;
      }
    });
  });
  return { nll: core.nll, M, gradient, projections: p };
}

/**
 * The readout loadings of all currents into a region given its input loadings M (n × R) and (g², σ²):
 * Σ_i quad_i is quadratic in the stacked n; its minimiser solves
 *   Σ_s S_rs Φ_{β_r}ᵀK⁻¹Φ_{β_s} n_s/(N_r N_s) = Φ_{β_r}ᵀK⁻¹Y_α M_r / N_r,  S = MᵀM,
 * with Φ_βᵀK⁻¹Φ_β' = σ⁻²G_ββ' − G_βα Q diag(w'/λ) QᵀG_αβ' and Φ_βᵀK⁻¹Y_α = σ⁻²C_βα − G_βα Q diag(w'/λ) A.
 * Returns the new loadings and the system matrix (the NLL's Hessian in n at fixed M: its inverse is
 * the conditional covariance of n).
 */
export function readoutStep(
  ms: MultiregionStatistics, alpha: number, sources: number[], M: Float64Array, g2: number, sigma2: number, cache: Map<number, Float64Array> = new Map(),
): { n: Float64Array[]; system: Float64Array; offsets: number[] } {
  const reg = ms.regions[alpha];
  const { n, lambda, Q, A } = reg;
  const mu = lambda.length;
  const N = ms.N;
  const R = sources.length;
  const s2i = 1 / sigma2;
  const wl = Float64Array.from(lambda, (l) => (s2i - 1 / (sigma2 + (g2 * l) / n)) / l);
  // B_β = G_βα Q (N_β × mu) per source region in use (fixed for the region: cached across steps)
  const Bof = cache;
  for (const beta of new Set(sources)) {
    if (Bof.has(beta)) continue;
    const src = ms.regions[beta].units;
    const B = new Float64Array(src.length * mu);
    for (let b = 0; b < src.length; b++) {
      const row = src[b] * N;
      for (let a = 0; a < n; a++) {
        const g = ms.G[row + reg.units[a]];
        if (g === 0) continue;
        for (let c = 0; c < mu; c++) B[b * mu + c] += g * Q[a * mu + c];
      }
    }
    Bof.set(beta, B);
  }
  const offsets: number[] = [];
  let dim = 0;
  for (const beta of sources) {
    offsets.push(dim);
    dim += ms.regions[beta].units.length;
  }
  const S = new Float64Array(R * R);
  for (let i = 0; i < n; i++) for (let r = 0; r < R; r++) for (let q = 0; q < R; q++) S[r * R + q] += M[i * R + r] * M[i * R + q];
  const system = new Float64Array(dim * dim);
  const rhs = new Float64Array(dim);
  for (let r = 0; r < R; r++) {
    const br = ms.regions[sources[r]].units;
    const Br = Bof.get(sources[r])!;
    const Nr = br.length;
    // rhs_r = (σ⁻² C_βα M_r − B_β diag(w'/λ) A M_r) / N_r
    const AM = new Float64Array(mu);
    for (let k = 0; k < mu; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += A[k * n + i] * M[i * R + r];
      AM[k] = wl[k] * s;
    }
    for (let b = 0; b < Nr; b++) {
      let s = 0;
      const row = br[b] * N;
      for (let i = 0; i < n; i++) s += ms.C[row + reg.units[i]] * M[i * R + r];
      s *= s2i;
      for (let k = 0; k < mu; k++) s -= Br[b * mu + k] * AM[k];
      rhs[offsets[r] + b] = s / Nr;
    }
    // Φ_βᵀK⁻¹Φ_β' blocks: the matrix is symmetric, so build q ≥ r and mirror
    const Bw = new Float64Array(Nr * mu);
    for (let a = 0; a < Nr; a++) for (let k = 0; k < mu; k++) Bw[a * mu + k] = Br[a * mu + k] * wl[k];
    for (let q = r; q < R; q++) {
      const f = S[r * R + q];
      const bq = ms.regions[sources[q]].units;
      const Bq = Bof.get(sources[q])!;
      const Nq = bq.length;
      for (let a = 0; a < Nr; a++) {
        const row = br[a] * N;
        const ia = (offsets[r] + a) * dim + offsets[q];
        for (let b = 0; b < Nq; b++) {
          let v = s2i * ms.G[row + bq[b]];
          const ob = b * mu;
          const oa = a * mu;
          for (let k = 0; k < mu; k++) v -= Bw[oa + k] * Bq[ob + k];
          const val = (f * v) / (Nr * Nq);
          system[ia + b] = val;
          system[(offsets[q] + b) * dim + offsets[r] + a] = val;
        }
      }
    }
  }
  const x = solveSpd(system, rhs, dim);
  const out = sources.map((beta, r) => x.slice(offsets[r], offsets[r] + ms.regions[beta].units.length));
  return { n: out, system, offsets };
}
