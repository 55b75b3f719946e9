/**
 * The exact discrete-time rate-function loss for several populations (THEORY §2.5 in the exact form
 * of §2.3). Every unit is recorded; unit i belongs to population α, and its coupling row has the prior
 * J_ij ~ N(J0_αβ/N_β, g²_αβ/N_β) for j ∈ β. Integrating the rows out, for i ∈ α
 *
 *   y_i ~ N(Φ c_α, K_α),  K_α = σ_α² I_T + Φ S_α Φᵀ,  S_α = diag(s_αβ(j)),  s_αβ = g²_αβ/N_β,
 *   c_α = Σ_β (J0_αβ/N_β) 1_β,  σ_α² = c(h)·D_α + floor,
 *
 * and the populations decouple: NLL = Σ_α NLL_α. Unlike the one-population case, K_α is not a function
 * of ΦΦᵀ alone (S_α weighs the populations' columns differently), so one eigendecomposition does not
 * serve every evaluation: each evaluation factorises the N×N weight-space matrix
 *
 *   B̃_α = σ_α² I + S^½ G S^½,   G = ΦᵀΦ          (= S^½ (σ² S⁻¹ + G) S^½; eigenvalues ≥ σ²)
 *
 * by Cholesky (float64), with Z̃_α = S^½ Φᵀ R_α = S^½ (Z0_α − (G c_α) 1ᵀ), Z0_α = Φᵀ Y_α:
 *
 *   log det K_α      = (T − N) log σ² + log det B̃_α
 *   Σ_i r_iᵀ K_α⁻¹ r_i = σ⁻² (‖R_α‖² − ‖L⁻¹ Z̃_α‖²),   ‖R_α‖² = ‖Y_α‖² − 2 c_αᵀ u_α + n_α c_αᵀ G c_α.
 *
 * Analytic gradient (C̃ = B̃⁻¹, X̃ = C̃ Z̃, Q = σ²·quadratic form, n = n_α):
 *   ∂/∂σ²    = ½ n (T−N)/σ² + ½ n tr C̃ − ½ Q/σ⁴ + ½ ‖X̃‖²/σ²
 *   ∂/∂log s_j = ½ n (1 − σ² C̃_jj) − ½ ‖X̃_j,:‖²           (summed over j ∈ β for log g²_αβ)
 *   ∂/∂c_j   = −(X̃ 1)_j / s_j^½                              (J0_αβ = N_β c_j, j ∈ β)
 * Cost per evaluation and population: N³/6 (Cholesky) + N²n (two triangular solves) + N³/6 (L⁻¹ for
 * diag C̃, gradient only). The products ΦᵀΦ and ΦᵀY are accumulated once, in float64.
 */
import { tf } from '../backend.js';
import type { Nonlinearity } from '../nonlinearity.js';
import { type ModelConfig, type ParamLayout, stepCoefficients, unpack, unpackTensor } from '../model/parameters.js';
import type { BasisSpec, SeriesSource } from '../statistics/spectra.js';
import type { LossFunction } from './whittle.js';

export interface ExactPopulationStatistics {
  /** samples of y (recording length − 1) */
  T: number;
  /** units (all recorded) */
  N: number;
  P: number;
  basis: BasisSpec;
  /** N_β */
  sizes: number[];
  /** First position of population β in the population-sorted unit order (length P + 1). */
  start: number[];
  /** Sorted position → recorded unit index (units sorted by population, stable). */
  order: Int32Array;
  /** G = ΦᵀΦ, N×N row-major, sorted order, both triangles. */
  G: Float64Array;
  /** Per β: G 1_β (N). */
  G1: Float64Array[];
  /** N×N row-major: row i (sorted unit i) = Φᵀ y_i. */
  Z0: Float64Array;
  /** Per α: u_α = Φᵀ Y_α 1. */
  u: Float64Array[];
  /** Per α: ‖Y_α‖². */
  yy: number[];
}

/** Time samples per chunk of the one-pass accumulation (rows of 8·CHUNK bytes stay in cache). */
const CHUNK = 256;

/**
 * out[a·os + b] += Σ_{t<len} A[a·st + t] B[b·st + t] for a < na, b < nb (3×3 register blocks).
 * With `upper` (A = B) only blocks on or above the block diagonal are computed.
 */
function accumulateDots(A: Float64Array, na: number, B: Float64Array, nb: number, st: number, len: number, out: Float64Array, os: number, upper: boolean): void {
  for (let a = 0; a < na; a += 3) {
    const a0 = a * st;
    const a1 = Math.min(a + 1, na - 1) * st;
    const a2 = Math.min(a + 2, na - 1) * st;
    for (let b = upper ? a : 0; b < nb; b += 3) {
      const b0 = b * st;
      const b1 = Math.min(b + 1, nb - 1) * st;
      const b2 = Math.min(b + 2, nb - 1) * st;
      let s00 = 0, s01 = 0, s02 = 0, s10 = 0, s11 = 0, s12 = 0, s20 = 0, s21 = 0, s22 = 0;
      for (let t = 0; t < len; t++) {
        const x0 = A[a0 + t], x1 = A[a1 + t], x2 = A[a2 + t];
        const y0 = B[b0 + t], y1 = B[b1 + t], y2 = B[b2 + t];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2;
      }
      const nb1 = b + 1 < nb;
      const nb2 = b + 2 < nb;
      let o = a * os + b;
      out[o] += s00;
      if (nb1) out[o + 1] += s01;
      if (nb2) out[o + 2] += s02;
      if (a + 1 < na) {
        o += os;
        out[o] += s10;
        if (nb1) out[o + 1] += s11;
        if (nb2) out[o + 2] += s12;
      }
      if (a + 2 < na) {
        o += os;
        out[o] += s20;
        if (nb1) out[o + 1] += s21;
        if (nb2) out[o + 2] += s22;
      }
    }
  }
}

/**
 * One O(T N²) pass in float64: G = ΦᵀΦ, Φᵀ y_i for every unit, ‖Y_α‖². Only the fixed basis
 * y = a·x[t+1] + b·x[t] − s·tanh x[t] is supported (τ and the leak are not fitted by this loss).
 */
export function exactPopulationStatistics(src: SeriesSource, groups: Int32Array, P: number, basis: BasisSpec, phi: Nonlinearity): ExactPopulationStatistics {
  if (basis.names.length !== 1 || basis.names[0] !== 'y' || !basis.fixed) {
    throw new Error("the several-population exact loss supports only the fixed basis ['y'] (no fitted τ or leak)");
  }
  const n0 = src.nUnits;
  const T = src.nSamples - 1;
  if (!(T >= 1)) throw new Error('the exact loss needs at least two samples');
  if (groups.length !== n0) throw new Error(`groups has ${groups.length} entries for ${n0} units`);
  const sizes = new Array<number>(P).fill(0);
  for (let i = 0; i < n0; i++) {
    const g = groups[i];
    if (!(g >= 0 && g < P)) throw new Error(`unit ${i} has population ${g}, expected 0..${P - 1}`);
    sizes[g]++;
  }
  const start = [0];
  for (let b = 0; b < P; b++) start.push(start[b] + sizes[b]);
  const order = new Int32Array(n0);
  const fill = start.slice(0, P);
  for (let i = 0; i < n0; i++) order[fill[groups[i]]++] = i;
  const N = n0;
  const { a: ca, b: cb, s: cs } = basis.fixed;
  const G = new Float64Array(N * N);
  const Z0 = new Float64Array(N * N);
  const yy = new Array<number>(P).fill(0);
  const pop = new Int32Array(N);
  for (let b = 0; b < P; b++) for (let j = start[b]; j < start[b + 1]; j++) pop[j] = b;
  // Unit-major chunks of Φ and Y (sorted order).
  const Pc = new Float64Array(N * CHUNK);
  const Yc = new Float64Array(N * CHUNK);
  const d = src.data;
  for (let t0 = 0; t0 < T; t0 += CHUNK) {
    const len = Math.min(CHUNK, T - t0);
    for (let j = 0; j < N; j++) {
      const unit = order[j];
      const row = j * CHUNK;
      let s2 = 0;
      for (let t = 0; t < len; t++) {
        const x0 = d[(t0 + t) * n0 + unit];
        const x1 = d[(t0 + t + 1) * n0 + unit];
        Pc[row + t] = phi.f(x0);
        const y = ca * x1 + cb * x0 - (cs !== 0 ? cs * Math.tanh(x0) : 0);
        Yc[row + t] = y;
        s2 += y * y;
      }
      yy[pop[j]] += s2;
    }
    accumulateDots(Pc, N, Pc, N, CHUNK, len, G, N, true);
    accumulateDots(Yc, N, Pc, N, CHUNK, len, Z0, N, false);
  }
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) G[j * N + i] = G[i * N + j];
  const G1 = Array.from({ length: P }, (_, b) => {
    const v = new Float64Array(N);
    for (let j = 0; j < N; j++) {
      let s = 0;
      const r = j * N;
      for (let k = start[b]; k < start[b + 1]; k++) s += G[r + k];
      v[j] = s;
    }
    return v;
  });
  const u = Array.from({ length: P }, (_, a) => {
    const v = new Float64Array(N);
    for (let i = start[a]; i < start[a + 1]; i++) {
      const r = i * N;
      for (let j = 0; j < N; j++) v[j] += Z0[r + j];
    }
    return v;
  });
  return { T, N, P, basis, sizes, start, order, G, G1, Z0, u, yy };
}

// ---------------------------------------------------------------------------------------------
// Dense float64 kernels (row-major, lower-triangular factors)

/**
 * In-place Cholesky of the lower triangle of A (N×N): A = L Lᵀ (row-oriented, two rows against two
 * columns at a time). Returns false if A is not positive definite.
 */
function cholesky(A: Float64Array, N: number, invDiag: Float64Array): boolean {
  for (let i = 0; i < N; i += 2) {
    const two = i + 1 < N;
    const ri = i * N;
    const rk = two ? ri + N : ri;
    let j = 0;
    for (; j + 1 < i; j += 2) {
      const rj = j * N;
      const rj1 = rj + N;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let k = 0; k < j; k++) {
        const a = A[ri + k], b = A[rk + k], c = A[rj + k], d = A[rj1 + k];
        s00 += a * c; s01 += a * d;
        s10 += b * c; s11 += b * d;
      }
      const c1 = A[rj1 + j];
      const l00 = (A[ri + j] - s00) * invDiag[j];
      const l10 = (A[rk + j] - s10) * invDiag[j];
      const l01 = (A[ri + j + 1] - s01 - l00 * c1) * invDiag[j + 1];
      const l11 = (A[rk + j + 1] - s11 - l10 * c1) * invDiag[j + 1];
      A[ri + j] = l00;
      A[ri + j + 1] = l01;
      if (two) {
        A[rk + j] = l10;
        A[rk + j + 1] = l11;
      }
    }
    // The remaining columns (at most three) one entry at a time, rows i then i + 1.
    const last = two ? i + 1 : i;
    for (let r = i; r <= last; r++) {
      const rr = r * N;
      for (let c = j; c <= r; c++) {
        const rc = c * N;
        let s = 0;
        for (let k = 0; k < c; k++) s += A[rr + k] * A[rc + k];
        const v = A[rr + c] - s;
        if (c < r) A[rr + c] = v * invDiag[c];
        else {
          if (!(v > 0)) return false;
          const l = Math.sqrt(v);
          A[rr + c] = l;
          invDiag[c] = 1 / l;
        }
      }
    }
  }
  return true;
}

/**
 * Forward substitution L w = z for `nr` right-hand sides stored as rows of length N in X (in place):
 * two unknowns of four right-hand sides at a time. The rows of the block starting at r0 are known to
 * vanish before index lo(r0) (saves half the work for the rows of the identity). The last block
 * repeats its final row; every value is read before any is written, so that is harmless.
 */
function forwardSolveRows(L: Float64Array, invDiag: Float64Array, N: number, X: Float64Array, nr: number, lo: (r0: number) => number): void {
  for (let r0 = 0; r0 < nr; r0 += 4) {
    const w0 = r0 * N;
    const w1 = Math.min(r0 + 1, nr - 1) * N;
    const w2 = Math.min(r0 + 2, nr - 1) * N;
    const w3 = Math.min(r0 + 3, nr - 1) * N;
    const k0 = lo(r0);
    let i = k0;
    for (; i + 1 < N; i += 2) {
      const ri = i * N;
      const rj = ri + N;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let k = k0; k < i; k++) {
        const l = L[ri + k], m = L[rj + k];
        const x0 = X[w0 + k], x1 = X[w1 + k], x2 = X[w2 + k], x3 = X[w3 + k];
        a0 += l * x0; a1 += l * x1; a2 += l * x2; a3 += l * x3;
        b0 += m * x0; b1 += m * x1; b2 += m * x2; b3 += m * x3;
      }
      const inv = invDiag[i];
      const inv1 = invDiag[i + 1];
      const m = L[rj + i];
      const v0 = (X[w0 + i] - a0) * inv, v1 = (X[w1 + i] - a1) * inv, v2 = (X[w2 + i] - a2) * inv, v3 = (X[w3 + i] - a3) * inv;
      const u0 = (X[w0 + i + 1] - b0 - m * v0) * inv1;
      const u1 = (X[w1 + i + 1] - b1 - m * v1) * inv1;
      const u2 = (X[w2 + i + 1] - b2 - m * v2) * inv1;
      const u3 = (X[w3 + i + 1] - b3 - m * v3) * inv1;
      X[w3 + i] = v3; X[w2 + i] = v2; X[w1 + i] = v1; X[w0 + i] = v0;
      X[w3 + i + 1] = u3; X[w2 + i + 1] = u2; X[w1 + i + 1] = u1; X[w0 + i + 1] = u0;
    }
    for (; i < N; i++) {
      const ri = i * N;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = k0; k < i; k++) {
        const l = L[ri + k];
        s0 += l * X[w0 + k]; s1 += l * X[w1 + k]; s2 += l * X[w2 + k]; s3 += l * X[w3 + k];
      }
      const inv = invDiag[i];
      const v0 = (X[w0 + i] - s0) * inv, v1 = (X[w1 + i] - s1) * inv, v2 = (X[w2 + i] - s2) * inv, v3 = (X[w3 + i] - s3) * inv;
      X[w3 + i] = v3; X[w2 + i] = v2; X[w1 + i] = v1; X[w0 + i] = v0;
    }
  }
}

/** Backward substitution Lᵀ x = w (Lt = Lᵀ row-major, upper) for rows of X, in place, blocked as above. */
function backwardSolveRows(Lt: Float64Array, invDiag: Float64Array, N: number, X: Float64Array, nr: number): void {
  for (let r0 = 0; r0 < nr; r0 += 4) {
    const w0 = r0 * N;
    const w1 = Math.min(r0 + 1, nr - 1) * N;
    const w2 = Math.min(r0 + 2, nr - 1) * N;
    const w3 = Math.min(r0 + 3, nr - 1) * N;
    let i = N - 1;
    for (; i >= 1; i -= 2) {
      // unknowns i and i − 1
      const ri = i * N;
      const rj = ri - N;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      for (let k = i + 1; k < N; k++) {
        const l = Lt[ri + k], m = Lt[rj + k];
        const x0 = X[w0 + k], x1 = X[w1 + k], x2 = X[w2 + k], x3 = X[w3 + k];
        a0 += l * x0; a1 += l * x1; a2 += l * x2; a3 += l * x3;
        b0 += m * x0; b1 += m * x1; b2 += m * x2; b3 += m * x3;
      }
      const inv = invDiag[i];
      const inv1 = invDiag[i - 1];
      const m = Lt[rj + i];
      const v0 = (X[w0 + i] - a0) * inv, v1 = (X[w1 + i] - a1) * inv, v2 = (X[w2 + i] - a2) * inv, v3 = (X[w3 + i] - a3) * inv;
      const u0 = (X[w0 + i - 1] - b0 - m * v0) * inv1;
      const u1 = (X[w1 + i - 1] - b1 - m * v1) * inv1;
      const u2 = (X[w2 + i - 1] - b2 - m * v2) * inv1;
      const u3 = (X[w3 + i - 1] - b3 - m * v3) * inv1;
      X[w3 + i] = v3; X[w2 + i] = v2; X[w1 + i] = v1; X[w0 + i] = v0;
      X[w3 + i - 1] = u3; X[w2 + i - 1] = u2; X[w1 + i - 1] = u1; X[w0 + i - 1] = u0;
    }
    if (i === 0) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 1; k < N; k++) {
        const l = Lt[k];
        s0 += l * X[w0 + k]; s1 += l * X[w1 + k]; s2 += l * X[w2 + k]; s3 += l * X[w3 + k];
      }
      const inv = invDiag[0];
      const v0 = (X[w0] - s0) * inv, v1 = (X[w1] - s1) * inv, v2 = (X[w2] - s2) * inv, v3 = (X[w3] - s3) * inv;
      X[w3] = v3; X[w2] = v2; X[w1] = v1; X[w0] = v0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One population's NLL and its gradient

interface PopulationParams {
  sigma2: number;
  /** g²_αβ, β = 0..P−1 */
  g2: ArrayLike<number>;
  /** J0_αβ */
  J0: ArrayLike<number>;
}

interface ForwardState {
  nll: number;
  /** the gradient, computed on demand from the saved factorisation */
  gradient: () => { sigma2: number; g2: Float64Array; J0: Float64Array };
}

function populationForward(st: ExactPopulationStatistics, alpha: number, p: PopulationParams, logA: number): ForwardState {
  const { N, T, P, start, sizes, G } = st;
  const n = sizes[alpha];
  const { sigma2 } = p;
  // Per-unit prior variance and mean of the couplings (sorted order).
  const dj = new Float64Array(N);
  const cj = new Float64Array(N);
  const cBlock = new Float64Array(P);
  for (let b = 0; b < P; b++) {
    if (sizes[b] === 0) continue; // an empty source population contributes nothing
    const s = p.g2[b] / sizes[b];
    cBlock[b] = p.J0[b] / sizes[b];
    for (let j = start[b]; j < start[b + 1]; j++) {
      dj[j] = Math.sqrt(s);
      cj[j] = cBlock[b];
    }
  }
  // g = G c, ‖R‖² = ‖Y‖² − 2 cᵀu + n cᵀ G c
  const gc = new Float64Array(N);
  for (let b = 0; b < P; b++) {
    if (cBlock[b] === 0) continue;
    const v = st.G1[b];
    for (let j = 0; j < N; j++) gc[j] += cBlock[b] * v[j];
  }
  const u = st.u[alpha];
  let cu = 0;
  let cgc = 0;
  for (let j = 0; j < N; j++) {
    cu += cj[j] * u[j];
    cgc += cj[j] * gc[j];
  }
  const R2 = st.yy[alpha] - 2 * cu + n * cgc;
  // B̃ = σ² I + D G D (lower triangle), Cholesky in place.
  const L = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    const r = i * N;
    const di = dj[i];
    for (let j = 0; j <= i; j++) L[r + j] = di * G[r + j] * dj[j];
    L[r + i] += sigma2;
  }
  const invDiag = new Float64Array(N);
  if (!cholesky(L, N, invDiag)) {
    return { nll: NaN, gradient: () => ({ sigma2: NaN, g2: new Float64Array(P).fill(NaN), J0: new Float64Array(P).fill(NaN) }) };
  }
  let logdetB = 0;
  for (let i = 0; i < N; i++) logdetB -= Math.log(invDiag[i]);
  logdetB *= 2;
  // W = L⁻¹ Z̃, one row per unit of α.
  const W = new Float64Array(n * N);
  const Z0 = st.Z0;
  for (let i = 0; i < n; i++) {
    const src = (start[alpha] + i) * N;
    const dst = i * N;
    for (let j = 0; j < N; j++) W[dst + j] = dj[j] * (Z0[src + j] - gc[j]);
  }
  forwardSolveRows(L, invDiag, N, W, n, () => 0);
  let explained = 0;
  for (let k = 0; k < W.length; k++) explained += W[k] * W[k];
  const Q = R2 - explained;
  const logSigma2 = Math.log(sigma2);
  const nll = 0.5 * n * ((T - N) * logSigma2 + logdetB) + (0.5 * Q) / sigma2 + n * T * (0.5 * Math.log(2 * Math.PI) - logA);

  let cached: ReturnType<ForwardState['gradient']> | undefined;
  const gradient = () => (cached ??= populationGradient());
  const populationGradient = () => {
    // X̃ = L⁻ᵀ W (in place on W, hence the cache), row norms and row sums over units.
    const Lt = new Float64Array(N * N);
    for (let i = 0; i < N; i++) for (let j = 0; j <= i; j++) Lt[j * N + i] = L[i * N + j];
    backwardSolveRows(Lt, invDiag, N, W, n);
    const x2 = new Float64Array(N);
    const x1 = new Float64Array(N);
    for (let i = 0; i < n; i++) {
      const r = i * N;
      for (let j = 0; j < N; j++) {
        const v = W[r + j];
        x2[j] += v * v;
        x1[j] += v;
      }
    }
    // diag C̃: C̃_jj = ‖L⁻¹ e_j‖², from the rows of the identity solved in place (Lt's storage reused).
    const E = Lt;
    E.fill(0);
    for (let j = 0; j < N; j++) E[j * N + j] = 1;
    forwardSolveRows(L, invDiag, N, E, N, (r0) => r0);
    const cdiag = new Float64Array(N);
    for (let j = 0; j < N; j++) {
      const r = j * N;
      let s = 0;
      for (let k = j; k < N; k++) s += E[r + k] * E[r + k];
      cdiag[j] = s;
    }
    let trC = 0;
    let x2all = 0;
    for (let j = 0; j < N; j++) {
      trC += cdiag[j];
      x2all += x2[j];
    }
    const dSigma2 = (0.5 * n * (T - N)) / sigma2 + 0.5 * n * trC - (0.5 * Q) / (sigma2 * sigma2) + (0.5 * x2all) / sigma2;
    // ∂/∂c_j = −(Φᵀ K⁻¹ R 1)_j = −(X̃1)_j / d_j; where d_j = 0 (g² underflowed) use the equivalent
    // −σ⁻² (Z1 − G D X̃1)_j, Z1 = Σ_i Z_i = u − n·Gc.
    let dx1: Float64Array | undefined;
    const dG2 = new Float64Array(P);
    const dJ0 = new Float64Array(P);
    for (let b = 0; b < P; b++) {
      if (sizes[b] === 0) continue;
      let dl = 0;
      let dc = 0;
      for (let j = start[b]; j < start[b + 1]; j++) {
        dl += 0.5 * n * (1 - sigma2 * cdiag[j]) - 0.5 * x2[j];
        if (dj[j] > 0) dc -= x1[j] / dj[j];
        else {
          dx1 ??= Float64Array.from(x1, (v, k) => v * dj[k]);
          let gdx = 0;
          for (let k = 0; k < N; k++) gdx += G[j * N + k] * dx1[k];
          dc -= (u[j] - n * gc[j] - gdx) / sigma2;
        }
      }
      dG2[b] = p.g2[b] > 0 ? dl / p.g2[b] : 0; // g² = 0 only by underflow of exp(θ): ∂/∂θ = 0 either way
      dJ0[b] = dc / sizes[b];
    }
    return { sigma2: dSigma2, g2: dG2, J0: dJ0 };
  };
  return { nll, gradient };
}

// ---------------------------------------------------------------------------------------------
// The loss

export interface ExactPopulationsInputs {
  stats: ExactPopulationStatistics;
  cfg: ModelConfig;
  layout: ParamLayout;
  /** σ² floor per population (THEORY §2.3 caveat 1), in y² units. */
  sigma2Floor: number[];
}

export function exactPopulationsLoss(inp: ExactPopulationsInputs): {
  loss: LossFunction;
  normaliser: number;
  dispose: () => void;
  value64: (theta: Float64Array) => number;
} {
  const { stats, cfg, layout, sigma2Floor } = inp;
  const P = layout.P;
  if (stats.P !== P || cfg.populationNames.length !== P) throw new Error(`statistics have ${stats.P} populations, the model ${P}`);
  if (cfg.fitTau || cfg.fitScale || cfg.fitLeak) throw new Error('the several-population exact loss fits neither τ, the observation scale nor the leak');
  if (sigma2Floor.length !== P) throw new Error(`sigma2Floor needs ${P} entries`);
  const k = stepCoefficients(cfg.dt, cfg.tau, cfg.discretisation);
  const fixed = stats.basis.fixed!;
  if (Math.abs(fixed.a - k.a) > 1e-9 * Math.abs(k.a) || Math.abs(fixed.b - k.b) > 1e-9 * Math.abs(k.a) || fixed.s !== cfg.leak) {
    throw new Error('the statistics were computed with a different basis (dt, τ, discretisation or leak) than the model');
  }
  const logA = Math.log(Math.abs(k.a));
  const normaliser = stats.N * stats.T;

  /** Σ_α NLL_α in nats from natural parameters (row-major P×P blocks), with the forward states. */
  const forwardAll = (sigma2: ArrayLike<number>, g2: ArrayLike<number>, J0: ArrayLike<number>) => {
    const states: (ForwardState | undefined)[] = [];
    let total = 0;
    for (let a = 0; a < P; a++) {
      if (stats.sizes[a] === 0) {
        states.push(undefined);
        continue;
      }
      const s = populationForward(stats, a, {
        sigma2: sigma2[a],
        g2: Array.from({ length: P }, (_, b) => g2[a * P + b]),
        J0: Array.from({ length: P }, (_, b) => J0[a * P + b]),
      }, logA);
      total += s.nll;
      states.push(s);
    }
    return { total, states };
  };

  const op = tf.customGrad(((sigma2: tf.Tensor, g2: tf.Tensor, J0: tf.Tensor) => {
    const { total, states } = forwardAll(sigma2.dataSync(), g2.dataSync(), J0.dataSync());
    return {
      value: tf.scalar(total / normaliser),
      gradFunc: (dy: tf.Tensor) => {
        const f = dy.dataSync()[0] / normaliser;
        const dS = new Float32Array(P);
        const dG = new Float32Array(P * P);
        const dJ = new Float32Array(P * P);
        states.forEach((s, a) => {
          if (!s) return;
          const g = s.gradient();
          dS[a] = f * g.sigma2;
          for (let b = 0; b < P; b++) {
            dG[a * P + b] = f * g.g2[b];
            dJ[a * P + b] = f * g.J0[b];
          }
        });
        return [tf.tensor1d(dS), tf.tensor2d(dG, [P, P]), tf.tensor2d(dJ, [P, P])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);

  const floorT = tf.tensor1d(Float32Array.from(sigma2Floor));
  const loss: LossFunction = (theta) =>
    tf.tidy(() => {
      const tp = unpackTensor(theta, layout, cfg);
      const sigma2 = tf.add(tf.mul(tf.stack(tp.D), tp.c), floorT);
      const g2 = tf.stack(tp.g2.map((row) => tf.stack(row)));
      const J0 = tf.stack(tp.J0.map((row) => tf.stack(row)));
      return op(sigma2, g2, J0) as tf.Scalar;
    });

  const value64 = (theta: Float64Array) => {
    const nat = unpack(theta, layout, cfg);
    const kk = stepCoefficients(cfg.dt, nat.tau, cfg.discretisation);
    const sigma2 = nat.D.map((D, a) => kk.c * D + sigma2Floor[a]);
    const g2 = nat.g2.flat();
    const J0 = cfg.fitJ0 ? nat.J0.flat() : new Array<number>(P * P).fill(0);
    return forwardAll(sigma2, g2, J0).total;
  };

  return { loss, normaliser, dispose: () => floorT.dispose(), value64 };
}
