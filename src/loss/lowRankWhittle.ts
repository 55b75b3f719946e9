/**
 * Spectral (Whittle) rate-function loss with a low-rank mean, for partially recorded networks
 * (THEORY §2.4 with the §2.3 table's mean Σ_r m_ir κ_r(t)). The exact loss uses the realised
 * regressors of the recorded units only; the input from unrecorded units lies outside their span and
 * biases g low by about sqrt(n/N). The spectral form uses the population-averaged φ-spectrum, which a
 * subsample estimates without bias (mean-field, §2.3 caveat 2).
 *
 * Per unit i and frequency bin k = 1..T/2 (c_k = 2, 1 at Nyquist), with K_r(k) = (1/n) Σ_j n_rj Φ_j(k):
 *   NLL = Σ_k (c_k/2)[n log s_k + P_y(k)/s_k] − ½ Σ_i b_iᵀ H⁻¹ b_i + (n/2)[log det H − log det H₀]
 *   s_k = σ² + g² P̄_φ(k),  b_i = Σ_k c_k Re(K^* Y_i)/(T s_k),  H = Σ_k c_k Re(K^* K)/(T s_k)
 * i.e. the input loadings m_i profiled by weighted least squares and integrated out (restricted
 * likelihood, as in src/loss/lowRank.ts). The cross terms need n×n cross-spectral matrices; they are
 * accumulated over B frequency bands (log-spaced, single bins at the lowest frequencies) with the
 * band's mean of c_k/s_k as weight, which is exact where s is flat within a band. log s_k and P_y/s_k
 * are summed bin by bin.
 */
import { tf } from '../backend.js';
import type { Nonlinearity } from '../nonlinearity.js';
import type { Recording } from '../recording/types.js';
import { fftLength, RealFFT } from '../statistics/fft.js';
import type { StepBasis } from './lowRank.js';
import { solveSymmetric } from '../fit/nnls.js';
import { symmetricEigen } from '../linalg/eigh.js';

export interface WhittleLowRankStatistics {
  n: number;
  /** FFT length (samples of y used) */
  T: number;
  /** c_k/2 per bin k = 1..T/2 */
  half: Float64Array;
  /** P̄_φ(k) = (1/(nT)) Σ_j |Φ_j(k)|² */
  phiPower: Float64Array;
  /** P_y(k) = (1/T) Σ_i |Y_i(k)|² */
  yPower: Float64Array;
  /** band of each bin */
  bandOf: Int32Array;
  bands: number;
  /** per band, n×n: Σ_k c_k Re(Φ_j^*Φ_l)/T and Σ_k c_k Re(Φ_j^* Y_i)/T (row j, column i) */
  Cphi: Float64Array[];
  Cy: Float64Array[];
}

/** Band edges over bins 1..K: single bins while they are narrower than the log spacing. */
function bandEdges(K: number, bands: number): number[] {
  const edges = [1];
  const ratio = Math.pow(K + 1, 1 / bands);
  let x = 1;
  while (edges[edges.length - 1] < K + 1) {
    x *= ratio;
    edges.push(Math.min(K + 1, Math.max(edges[edges.length - 1] + 1, Math.round(x))));
  }
  return edges;
}

export function whittleLowRankStatistics(rec: Recording, basis: StepBasis, phi: Nonlinearity, bands = 48): WhittleLowRankStatistics {
  const n = rec.nUnits;
  const T = fftLength(rec.nSamples - 1);
  const K = T / 2;
  const fft = new RealFFT(T);
  const d = rec.data;
  const series = new Float64Array(T);
  const out = new Float64Array(T + 2);
  // Spectra as (bin, unit) arrays: real and imaginary parts, bins 1..K.
  const phiRe = new Float32Array(K * n);
  const phiIm = new Float32Array(K * n);
  const yRe = new Float32Array(K * n);
  const yIm = new Float32Array(K * n);
  const half = Float64Array.from({ length: K }, (_, k) => (k + 1 === K ? 0.5 : 1));
  const phiPower = new Float64Array(K);
  const yPower = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    for (const which of ['phi', 'y'] as const) {
      let mean = 0;
      for (let t = 0; t < T; t++) {
        const x0 = d[t * n + i];
        const v = which === 'phi' ? phi.f(x0) : basis.a * d[(t + 1) * n + i] + basis.b * x0 - (basis.s !== 0 ? basis.s * Math.tanh(x0) : 0);
        series[t] = v;
        mean += v;
      }
      fft.forward(series, out, 0, mean / T);
      const re = which === 'phi' ? phiRe : yRe;
      const im = which === 'phi' ? phiIm : yIm;
      const power = which === 'phi' ? phiPower : yPower;
      for (let k = 1; k <= K; k++) {
        const a = out[2 * k];
        const b = out[2 * k + 1];
        re[(k - 1) * n + i] = a;
        im[(k - 1) * n + i] = b;
        power[k - 1] += (a * a + b * b) / T;
      }
    }
  }
  for (let k = 0; k < K; k++) phiPower[k] /= n;
  fft.dispose();
  const edges = bandEdges(K, bands);
  const B = edges.length - 1;
  const bandOf = new Int32Array(K);
  const Cphi: Float64Array[] = [];
  const Cy: Float64Array[] = [];
  for (let b = 0; b < B; b++) {
    const k0 = edges[b] - 1;
    const k1 = edges[b + 1] - 1;
    for (let k = k0; k < k1; k++) bandOf[k] = b;
    const rows = 2 * (k1 - k0);
    const P = new Float32Array(rows * n);
    const Y = new Float32Array(rows * n);
    for (let k = k0; k < k1; k++) {
      const w = Math.sqrt((2 * half[k]) / T);
      const r = 2 * (k - k0);
      for (let i = 0; i < n; i++) {
        P[r * n + i] = w * phiRe[k * n + i];
        P[(r + 1) * n + i] = w * phiIm[k * n + i];
        Y[r * n + i] = w * yRe[k * n + i];
        Y[(r + 1) * n + i] = w * yIm[k * n + i];
      }
    }
    const [cp, cy] = tf.tidy(() => {
      const Pt = tf.transpose(tf.tensor2d(P, [rows, n])); // explicit transpose: fast matMul path
      return [tf.matMul(Pt, tf.tensor2d(P, [rows, n])), tf.matMul(Pt, tf.tensor2d(Y, [rows, n]))];
    });
    Cphi.push(Float64Array.from(cp.dataSync()));
    Cy.push(Float64Array.from(cy.dataSync()));
    cp.dispose();
    cy.dispose();
  }
  return { n, T, half, phiPower, yPower, bandOf, bands: B, Cphi, Cy };
}

export interface WhittleLowRankPoint {
  g2: number;
  sigma2: number;
  /** readout loadings n in unit coordinates, n × R row-major */
  Nl: Float64Array;
  R: number;
  /** coherent share per band (coherentShare), when R > 0 */
  rho?: Float64Array;
}

export interface WhittleLowRankEvaluation {
  nll: number;
  dG2: number;
  dSigma2: number;
  /** ∂nll/∂N (n×R) */
  dN: Float64Array;
  /** profiled input loadings, n × R */
  M: Float64Array;
}

/** Small dense helpers (R×R). */
function inverse(A: Float64Array, R: number): Float64Array {
  const out = new Float64Array(R * R);
  for (let c = 0; c < R; c++) {
    const e = new Float64Array(R);
    e[c] = 1;
    const col = solveSymmetric(A, e, R);
    if (!col) throw new RangeError('low-rank loss: the readout loadings are degenerate (rank-deficient)');
    for (let a = 0; a < R; a++) out[a * R + c] = col[a];
  }
  return out;
}

function logDet(A: Float64Array, R: number): number {
  const L = new Float64Array(R * R);
  let s = 0;
  for (let i = 0; i < R; i++)
    for (let j = 0; j <= i; j++) {
      let v = A[i * R + j];
      for (let k = 0; k < j; k++) v -= L[i * R + k] * L[j * R + k];
      if (i === j) {
        if (!(v > 0)) return Number.NaN;
        L[i * R + i] = Math.sqrt(v);
        s += 2 * Math.log(L[i * R + i]);
      } else L[i * R + j] = v / L[j * R + j];
    }
  return s;
}

/** (1/n²) Nᵀ C N for an n×n matrix C: R×R, and C N (n×R) on the way. */
function sandwich(C: Float64Array, Nl: Float64Array, n: number, R: number): { H: Float64Array; CN: Float64Array } {
  const CN = new Float64Array(n * R);
  for (let j = 0; j < n; j++)
    for (let l = 0; l < n; l++) {
      const c = C[j * n + l];
      if (c === 0) continue;
      for (let r = 0; r < R; r++) CN[j * R + r] += c * Nl[l * R + r];
    }
  const H = new Float64Array(R * R);
  for (let j = 0; j < n; j++) for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) H[a * R + b] += (Nl[j * R + a] * CN[j * R + b]) / (n * n);
  return { H, CN };
}

/**
 * Fraction ρ_b of each band's φ-power in the top-R principal subspace of φ. The modes put coherent
 * activity into that subspace (φ_j ≈ φ'·m_j·latent(t)); the bulk's input through it,
 * Σ_j z_ij φ_j ⊃ (z_iᵀm) φ' latent(t), has the shape m_i κ(t) and is absorbed by the fitted input
 * loadings, so the bulk kernel is g² P̄_φ(k)(1 − ρ_b). Without this the coherent power dominates P̄_φ
 * at low frequencies and drives ĝ to ~0.
 */
export function coherentShare(st: WhittleLowRankStatistics, R: number): Float64Array {
  const n = st.n;
  const total = new Float64Array(n * n);
  for (const C of st.Cphi) for (let q = 0; q < n * n; q++) total[q] += C[q];
  const eig = symmetricEigen(total, n);
  const top = Array.from({ length: R }, (_, r) => n - 1 - r); // ascending order
  const rho = new Float64Array(st.bands);
  st.Cphi.forEach((C, b) => {
    let tr = 0;
    for (let j = 0; j < n; j++) tr += C[j * n + j];
    let inTop = 0;
    for (const e of top) {
      // uᵀ C u
      for (let j = 0; j < n; j++) {
        const uj = eig.vectors[j * n + e];
        if (uj === 0) continue;
        let v = 0;
        for (let l = 0; l < n; l++) v += C[j * n + l] * eig.vectors[l * n + e];
        inTop += uj * v;
      }
    }
    rho[b] = tr > 0 ? Math.min(1, Math.max(0, inTop / tr)) : 0;
  });
  return rho;
}

export function whittleLowRankEvaluate(st: WhittleLowRankStatistics, p: WhittleLowRankPoint): WhittleLowRankEvaluation {
  const { n, half, phiPower, yPower, bandOf, bands } = st;
  const K = half.length;
  const R = p.R;
  const rho = p.rho;
  // Per-bin terms, exact, and the band weights ω_b = mean of c_k/s_k.
  let nll = 0;
  const s = new Float64Array(K);
  const pPerp = new Float64Array(K);
  const dS = new Float64Array(K); // ∂nll/∂s_k
  const omega = new Float64Array(bands);
  const count = new Float64Array(bands);
  for (let k = 0; k < K; k++) {
    const b = bandOf[k];
    pPerp[k] = phiPower[k] * (rho ? 1 - rho[b] : 1);
    const sk = p.sigma2 + p.g2 * pPerp[k];
    s[k] = sk;
    const h = half[k];
    nll += h * (n * Math.log(sk) + yPower[k] / sk);
    dS[k] = h * (n / sk - yPower[k] / (sk * sk));
    omega[b] += (2 * h) / sk;
    count[b] += 2 * h;
  }
  for (let b = 0; b < bands; b++) omega[b] /= count[b];
  const dN = new Float64Array(n * R);
  const M = new Float64Array(n * R);
  if (R > 0) {
    // X = Σ_b ω_b Cy_b, Z = Σ_b ω_b Cφ_b, Z0 = Σ_b Cφ_b (unweighted, for the REML normaliser)
    const X = new Float64Array(n * n);
    const Z = new Float64Array(n * n);
    const Z0 = new Float64Array(n * n);
    for (let b = 0; b < bands; b++) {
      const w = omega[b];
      const cy = st.Cy[b];
      const cp = st.Cphi[b];
      for (let q = 0; q < n * n; q++) {
        X[q] += w * cy[q];
        Z[q] += w * cp[q];
        Z0[q] += cp[q];
      }
    }
    const { H, CN: ZN } = sandwich(Z, p.Nl, n, R);
    const { H: H0, CN: Z0N } = sandwich(Z0, p.Nl, n, R);
    const Hi = inverse(H, R);
    const H0i = inverse(H0, R);
    // Bm = (1/n) Nᵀ X (R×n), P = H⁻¹ Bm = M̂ᵀ
    const Bm = new Float64Array(R * n);
    for (let j = 0; j < n; j++)
      for (let r = 0; r < R; r++) {
        const v = p.Nl[j * R + r] / n;
        if (v === 0) continue;
        for (let i = 0; i < n; i++) Bm[r * n + i] += v * X[j * n + i];
      }
    let reduction = 0;
    for (let i = 0; i < n; i++)
      for (let a = 0; a < R; a++) {
        let v = 0;
        for (let b = 0; b < R; b++) v += Hi[a * R + b] * Bm[b * n + i];
        M[i * R + a] = v;
        reduction += v * Bm[a * n + i];
      }
    nll += -0.5 * reduction + 0.5 * n * (logDet(H, R) - logDet(H0, R));
    // PPᵀ = M̂ᵀM̂ (R×R)
    const PPt = new Float64Array(R * R);
    for (let i = 0; i < n; i++) for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) PPt[a * R + b] += M[i * R + a] * M[i * R + b];
    // ∂/∂N of −½ tr(BmᵀH⁻¹Bm): −(1/n) X M̂ + (1/n²) Z N PPᵀ; of the REML term: (1/n)(Z N H⁻¹ − Z0 N H0⁻¹)
    for (let j = 0; j < n; j++) {
      for (let r = 0; r < R; r++) {
        let xm = 0;
        for (let i = 0; i < n; i++) xm += X[j * n + i] * M[i * R + r];
        let zpp = 0;
        let reml = 0;
        for (let b = 0; b < R; b++) {
          zpp += ZN[j * R + b] * PPt[b * R + r];
          reml += ZN[j * R + b] * Hi[b * R + r] - Z0N[j * R + b] * H0i[b * R + r];
        }
        dN[j * R + r] = -xm / n + zpp / (n * n) + reml / n;
      }
    }
    // ∂/∂ω_b: −(1/n) Σ (N M̂ᵀ)∘Cy_b + Σ (N [PPᵀ/(2n²) + H⁻¹/(2n)] Nᵀ)∘Cφ_b
    const core = new Float64Array(R * R);
    for (let q = 0; q < R * R; q++) core[q] = PPt[q] / (2 * n * n) + Hi[q] / (2 * n);
    const Ncore = new Float64Array(n * R);
    for (let j = 0; j < n; j++) for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) Ncore[j * R + a] += p.Nl[j * R + b] * core[b * R + a];
    const U = new Float64Array(n * n);
    const V = new Float64Array(n * n);
    for (let j = 0; j < n; j++)
      for (let i = 0; i < n; i++) {
        let u = 0;
        let v = 0;
        for (let r = 0; r < R; r++) {
          u += p.Nl[j * R + r] * M[i * R + r];
          v += Ncore[j * R + r] * p.Nl[i * R + r];
        }
        U[j * n + i] = u;
        V[j * n + i] = v;
      }
    const dOmega = new Float64Array(bands);
    for (let b = 0; b < bands; b++) {
      const cy = st.Cy[b];
      const cp = st.Cphi[b];
      let d = 0;
      for (let q = 0; q < n * n; q++) d += (-U[q] * cy[q]) / n + V[q] * cp[q];
      dOmega[b] = d;
    }
    // ω_b = Σ_{k∈b} c_k/s_k / count_b
    for (let k = 0; k < K; k++) dS[k] += (dOmega[bandOf[k]] * -(2 * half[k])) / (s[k] * s[k] * count[bandOf[k]]);
  }
  let dSig = 0;
  let dG = 0;
  for (let k = 0; k < K; k++) {
    dSig += dS[k];
    dG += dS[k] * pPerp[k];
  }
  return { nll, dG2: dG, dSigma2: dSig, dN, M };
}
