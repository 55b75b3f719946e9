/**
 * Fit a multiregion network (THEORY §1.3d, §2.7): per region α its g_α and D_α, and for every link
 * β → α (rank K) the input loadings m^{αβ} on α's units and the readout loadings n^{αβ} on β's units.
 * Regions decouple given the recorded activity (the loss of α involves only g_α, D_α and the links
 * into α), so each region is fitted on its own on the exact loss (src/loss/multiregion.ts) with the
 * input loadings integrated out: (g_α, D_α) first, then (g_α, D_α) and all readouts jointly by
 * preconditioned L-BFGS with the analytic readout gradient. Started from the SVD of the
 * ridge-regression couplings of each block. (An alternating scheme that solves for the readouts at
 * the input loadings' posterior mean is not a descent method for this likelihood: it drifted uphill
 * and took hundreds of sweeps.)
 */
import { initBackend, readTidy, tf } from '../backend.js';
import { InputError } from '../errors.js';
import { prepareEigensolver, symmetricEigen } from '../linalg/eigh.js';
import { choleskyInPlace, choleskySolve, choleskyWithRidge, solveLower, solveLowerTransposed } from '../linalg/small.js';
import { type Current, type MultiregionStatistics, multiregionStatistics, readoutStep, regionEvaluate, regionLossAndGradient, regionProjections } from '../loss/multiregion.js';
import { blockSums } from '../loss/lowRank.js';
import { latentCurrents } from './lowRank.js';
import { type Discretisation, stepCoefficients } from '../model/parameters.js';
import { nonlinearity, type PhiName } from '../nonlinearity.js';
import type { Recording } from '../recording/types.js';
import { canonicalModes } from '../structure/modes.js';
import { leadingEigenvalue } from '../theory/multiregion.js';
import { yieldToEventLoop } from '../util/yield.js';
import { minimiseLBFGS } from './lbfgs.js';
import { covarianceFromHessian, deltaMethod, hessianFromValues, numericGradient, type Estimate } from './uncertainty.js';
import type { FitResult } from './fit.js';
import type { Structure } from '../fitfile/schema.js';

export interface RegionDefinition {
  name: string;
  /** indices of the region's units in the recording */
  units: number[];
  /**
   * Units of the whole region when only some are recorded (default: all are). The disorder the
   * recorded units receive from unrecorded ones of their region is not in the regressors, so the
   * fitted g² is the recorded share n/N of it (THEORY §2.3 caveat 2): ĝ is reported ×√(N/n).
   */
  size?: number;
}

export interface LinkDefinition {
  /** region indices: the link carries a current from `source` into `target` */
  target: number;
  source: number;
  rank?: number;
}

export interface MultiregionFitOptions {
  phi: PhiName;
  dt?: number;
  tau?: number;
  discretisation?: Discretisation;
  regions: RegionDefinition[];
  links: LinkDefinition[];
  maxIterations?: number;
  /** Keep the currents κ(t) of every link with their standard errors. */
  currents?: boolean;
  /** The regions file the definitions were read from, named in input errors. */
  regionsFile?: string;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface LinkResult {
  target: string;
  source: string;
  rank: number;
  /** canonical loadings: m (target units × rank), n (source units × rank) */
  m: number[][];
  n: number[][];
  /** singular values of m nᵀ/N_source */
  strength: number[];
  /** mean power of the link's input to the target, (1/N_α) Σ_i ⟨(Σ_r m_ir κ_r(t))²⟩_t */
  inputPower: number;
  /** κ_r(t) = Φ_source n_r / N_source of the canonical modes (rank × samples), with standard errors */
  currents?: { value: number[][]; se: number[][] };
}

export interface RegionResult {
  name: string;
  /**
   * THEORY §6.2 read off the fitted currents: a routing region's structured input comes from the other
   * regions (its self-loop current vanishes), a non-routing region's from its own loop. null when the
   * region lacks a self link or any link from another region.
   */
  routing: boolean | null;
  /** input power from the region's own loop and from the other regions (see LinkResult.inputPower) */
  inputPower: { self: number; others: number } | null;
  units: number;
  g: Estimate;
  D: Estimate;
  loss: number;
  iterations: number;
  converged: boolean;
}

export interface MultiregionFitResult {
  regions: RegionResult[];
  links: LinkResult[];
  notes: string[];
}

function checkDefinitions(opts: MultiregionFitOptions, unitNames: string[]): void {
  const file = opts.regionsFile;
  const regionOf = new Map<number, number>();
  opts.regions.forEach((r, a) => {
    if (r.units.length < 2) throw new InputError(`region '${r.name}' needs at least 2 recorded units`, { file, field: `regions[${a}].units` });
    if (r.size !== undefined && !(Number.isInteger(r.size) && r.size >= r.units.length)) throw new InputError(`region '${r.name}': size ${r.size} must be a whole number ≥ its ${r.units.length} recorded units`, { file, field: `regions[${a}].size` });
    for (const u of r.units) {
      if (!(Number.isInteger(u) && u >= 0 && u < unitNames.length)) throw new InputError(`unit index ${u} is outside the recording (0..${unitNames.length - 1})`, { file, field: `regions[${a}].units` });
      const other = regionOf.get(u);
      if (other !== undefined) throw new InputError(`unit '${unitNames[u]}' is in more than one region ('${opts.regions[other].name}' and '${r.name}')`, { file, field: `regions[${a}].units` });
      regionOf.set(u, a);
    }
  });
  opts.links.forEach((l, k) => {
    for (const key of ['target', 'source'] as const) {
      if (!(Number.isInteger(l[key]) && l[key] >= 0 && l[key] < opts.regions.length)) throw new InputError(`unknown region index ${l[key]}`, { file, field: `links[${k}].${key}` });
    }
  });
}

/** Initial readout directions of a block β → α: top-K right singular vectors (over β's units) of its ridge couplings. */
function initialReadouts(ms: MultiregionStatistics, ridge: Float64Array, alpha: number, beta: number, K: number): Float64Array[] {
  const N = ms.N;
  const src = ms.regions[beta].units;
  const tgt = ms.regions[alpha].units;
  // B = J_ridge[tgt, src] (rows: targets); n-directions: top eigenvectors of BᵀB
  const nb = src.length;
  const BtB = new Float64Array(nb * nb);
  for (const i of tgt)
    for (let a = 0; a < nb; a++) {
      const va = ridge[src[a] * N + i];
      for (let b = 0; b < nb; b++) BtB[a * nb + b] += va * ridge[src[b] * N + i];
    }
  const eig = symmetricEigen(BtB, nb);
  return Array.from({ length: K }, (_, r) => Float64Array.from({ length: nb }, (_, a) => eig.vectors[a * nb + (nb - 1 - r)] * Math.sqrt(nb)));
}

/** Ridge-regression couplings (G + cI)⁻¹ ΦᵀY: column i is unit i's coupling row. */
function ridgeCouplings(ms: MultiregionStatistics): Float64Array {
  const N = ms.N;
  let tr = 0;
  for (let i = 0; i < N; i++) tr += ms.G[i * N + i];
  const A = Float64Array.from(ms.G);
  for (let i = 0; i < N; i++) A[i * N + i] += (1e-3 * tr) / N;
  const out = new Float64Array(N * N);
  const col = new Float64Array(N);
  // one eigendecomposition serves all N right-hand sides (runs once; N ≤ a few thousand)
  const eig = symmetricEigen(A, N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) col[j] = ms.C[j * N + i];
    // (QΛQᵀ)⁻¹ c
    const y = new Float64Array(N);
    for (let k = 0; k < N; k++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += eig.vectors[j * N + k] * col[j];
      y[k] = s / eig.values[k];
    }
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < N; k++) s += eig.vectors[j * N + k] * y[k];
      out[j * N + i] = s;
    }
  }
  return out;
}

interface RegionState {
  logG2: number;
  logD: number;
  /** prior variances v_r of the input loadings (empirical Bayes) */
  priorVar: Float64Array;
  currents: Current[];
  M: Float64Array;
  nll: number;
  iterations: number;
  converged: boolean;
  system?: Float64Array;
  offsets?: number[];
}

async function fitRegion(ms: MultiregionStatistics, alpha: number, sources: number[], init: Float64Array[], c: number, maxIterations: number): Promise<RegionState> {
  const reg = ms.regions[alpha];
  const floor = (1e-8 * reg.yy) / (reg.n * reg.T);
  const sigma2 = (logD: number) => c * Math.exp(logD) + floor;
  const s0 = reg.perp / (reg.n * Math.max(1, reg.T - reg.lambda.length));
  // (g, D) first, at the initial readouts
  const p0 = regionProjections(ms, alpha, sources.map((s, r) => ({ source: s, n: init[r] })));
  const f0 = (y: Float64Array) => regionEvaluate(reg, p0, Math.exp(y[0]), sigma2(y[1])).nll / (reg.n * reg.T);
  const start = minimiseLBFGS((y) => ({ f: f0(y), g: numericGradient(f0, y, 1e-6) }), Float64Array.from([Math.log(0.5), Math.log(Math.max(s0 / c, 1e-12))]), {
    maxIterations: 200, gradientTolerance: 1e-10, lossTolerance: 1e-13,
  });
  await yieldToEventLoop();
  // Then everything jointly under the generative model's priors (THEORY §1.3d: loadings Gaussian per
  // unit): n_b ~ N(0, 1) on the source units and m_ir ~ N(0, v_r) integrated out, v_r fixed at the
  // start's mean square input loading (with ‖n‖² = N_β). Without the prior on n the restricted
  // likelihood lets a readout concentrate on directions of tiny φ variance (strength ≫ 10, readout
  // ~90° off the teacher's); with v free as well, v → ∞ and n → 0 (MAP scale degeneracy).
  // θ = (log g², log D, z) with the stacked readouts n = L⁻ᵀz, where LLᵀ is the readouts'
  // Hessian at the start: in z the problem is close to isotropic, which L-BFGS needs. The loss is in
  // nats per unit relative to the start, so the tolerance reads as "1e-6 nats per unit".
  const R = sources.length;
  const sizes = sources.map((s) => ms.regions[s].units.length);
  const dim = sizes.reduce((a, b) => a + b, 0);
  const n0 = new Float64Array(dim);
  init.reduce((o, v) => (n0.set(v, o), o + v.length), 0);
  const ev0 = regionEvaluate(reg, p0, Math.exp(start.x[0]), sigma2(start.x[1]));
  const v0 = Array.from({ length: R }, (_, r) => {
    let s = 0;
    for (let i = 0; i < reg.n; i++) s += ev0.M[i * R + r] ** 2;
    return Math.max(s / reg.n, 1e-6);
  });
  const L = new Float64Array(dim * dim);
  if (dim) {
    const sys = readoutStep(ms, alpha, sources, ev0.M, Math.exp(start.x[0]), sigma2(start.x[1])).system;
    for (let i = 0; i < dim * dim; i++) L[i] = sys[i] / reg.n;
    for (let i = 0; i < dim; i++) L[i * dim + i] += 1 / reg.n; // the prior's curvature
    if (!choleskyInPlace(L, dim)) {
      L.fill(0);
      for (let i = 0; i < dim; i++) L[i * dim + i] = 1;
    }
  }
  // n = L⁻ᵀz and ∂/∂z = L⁻¹∂/∂n
  const toN = (z: Float64Array) => {
    const v = Float64Array.from(z);
    solveLowerTransposed(L, dim, v);
    return v;
  };
  const toZgrad = (g: Float64Array) => {
    const v = Float64Array.from(g);
    solveLower(L, dim, v);
    return v;
  };
  const unpack = (nAll: Float64Array): Current[] => {
    let o = 0;
    return sources.map((s, r) => {
      const v = nAll.subarray(o, o + sizes[r]);
      o += sizes[r];
      return { source: s, n: v };
    });
  };
  const off = 2;
  const priorVar = Float64Array.from(v0);
  const x0 = new Float64Array(off + dim);
  x0.set(start.x, 0);
  for (let i = 0; i < dim; i++) {
    let t = 0;
    for (let k = i; k < dim; k++) t += L[k * dim + i] * n0[k];
    x0[off + i] = t; // z0 = Lᵀn0
  }
  const penalty = (nAll: Float64Array) => 0.5 * nAll.reduce((s, a) => s + a * a, 0);
  let ref = 0;
  const fg = (x: Float64Array) => {
    const nAll = toN(x.subarray(off));
    const res = regionLossAndGradient(ms, alpha, unpack(nAll), Math.exp(x[0]), sigma2(x[1]), priorVar);
    const g = new Float64Array(x.length);
    // (log g², log D) by central differences at fixed projections (cheap: R × R algebra)
    for (let k = 0; k < off; k++) {
      const h = 1e-5;
      const at = (d: number) => regionEvaluate(reg, res.projections, Math.exp(x[0] + (k === 0 ? d : 0)), sigma2(x[1] + (k === 1 ? d : 0)), priorVar).nll;
      g[k] = (at(h) - at(-h)) / (2 * h * reg.n);
    }
    const gn = new Float64Array(dim);
    res.gradient.reduce((o, gr) => {
      for (let b = 0; b < gr.length; b++) gn[o + b] = (gr[b] + nAll[o + b]) / reg.n;
      return o + gr.length;
    }, 0);
    g.set(toZgrad(gn), off);
    return { f: (res.nll + penalty(nAll) - ref) / reg.n, g };
  };
  ref = fg(x0).f * reg.n;
  let x: Float64Array = x0;
  let converged = R === 0;
  let iterations = 0;
  // in slices, yielding between them (a region can take tens of seconds)
  while (R && !converged && iterations < maxIterations) {
    const slice = Math.min(100, maxIterations - iterations);
    const opt = minimiseLBFGS(fg, x, { maxIterations: slice, gradientTolerance: 1e-7, lossTolerance: 1e-6, memory: 12 });
    x = opt.x;
    converged = opt.converged;
    iterations += opt.iterations;
    await yieldToEventLoop();
    if (!converged && opt.iterations < slice) break; // the line search failed: stop, reported as not converged
  }
  const currents = unpack(toN(x.subarray(off))).map((cur) => ({ source: cur.source, n: Float64Array.from(cur.n) }));
  const p = regionProjections(ms, alpha, currents);
  const ev = regionEvaluate(reg, p, Math.exp(x[0]), sigma2(x[1]), priorVar);
  const final = R ? readoutStep(ms, alpha, sources, ev.M, Math.exp(x[0]), sigma2(x[1])) : undefined;
  return { logG2: x[0], logD: x[1], priorVar, currents, M: ev.M, nll: ev.nll, iterations, converged, system: final?.system, offsets: final?.offsets };
}

export async function fitMultiregion(rec: Recording, opts: MultiregionFitOptions): Promise<MultiregionFitResult> {
  await initBackend(); // the default backend unless the caller chose one
  const dt = opts.dt ?? rec.dt;
  if (!(dt !== undefined && dt > 0)) throw new InputError('the sampling interval is unknown: give --dt (or a time column)', { field: '--dt' });
  checkDefinitions(opts, rec.unitNames);
  await prepareEigensolver();
  const step = stepCoefficients(dt, opts.tau ?? 1, opts.discretisation ?? 'euler');
  const phi = nonlinearity(opts.phi);
  const T = rec.nSamples - 1;
  opts.onProgress?.('statistics', 0, opts.regions.length + 1);
  const sums = blockSums(rec, { a: step.a, b: step.b, s: 0 }, phi, [0, T])[0];
  const ms = multiregionStatistics(sums, opts.regions.map((r) => r.units));
  await yieldToEventLoop();
  const ridge = ridgeCouplings(ms);
  await yieldToEventLoop();
  const regions: RegionResult[] = [];
  const links: LinkResult[] = [];
  const notes: string[] = [];
  for (let alpha = 0; alpha < opts.regions.length; alpha++) {
    const into = opts.links.filter((l) => l.target === alpha);
    const sources: number[] = [];
    const init: Float64Array[] = [];
    for (const l of into) {
      const K = l.rank ?? 1;
      const dirs = initialReadouts(ms, ridge, alpha, l.source, K);
      for (let r = 0; r < K; r++) {
        sources.push(l.source);
        init.push(dirs[r]);
      }
    }
    const st = await fitRegion(ms, alpha, sources, init, step.c, opts.maxIterations ?? 1000);
    opts.onProgress?.('regions', alpha + 1, opts.regions.length + 1);
    const reg = ms.regions[alpha];
    const floor = (1e-8 * reg.yy) / (reg.n * reg.T);
    const p = regionProjections(ms, alpha, st.currents);
    const value = (y: Float64Array) => regionEvaluate(reg, p, Math.exp(y[0]), step.c * Math.exp(y[1]) + floor, st.priorVar).nll;
    const x = Float64Array.from([st.logG2, st.logD]);
    const cov = covarianceFromHessian(hessianFromValues(value, x, 1e-4));
    const dm = deltaMethod(
      [
        { name: 'g', fn: (t) => Math.exp(0.5 * t[0]), positive: true },
        { name: 'D', fn: (t) => Math.exp(t[1]), positive: true },
      ],
      x,
      cov.matrix,
    );
    if (!st.converged) notes.push(`region ${opts.regions[alpha].name}: stopped after ${st.iterations} iterations before the loss settled`);
    const def = opts.regions[alpha];
    let g = dm.estimates.g;
    if (def.size !== undefined && def.size > reg.n) {
      const up = Math.sqrt(def.size / reg.n);
      g = { value: g.value * up, se: g.se * up, ci95: [g.ci95[0] * up, g.ci95[1] * up] };
      notes.push(`region ${def.name}: ${reg.n} of ${def.size} units recorded; g scaled by √(${def.size}/${reg.n}) for the unrecorded units' share of the disorder`);
    }
    regions.push({ name: def.name, routing: null, inputPower: null, units: reg.n, g, D: dm.estimates.D, loss: st.nll, iterations: st.iterations, converged: st.converged && cov.positiveDefinite });

    // Links: canonical loadings per link, currents with standard errors (conditional on m).
    let col = 0;
    for (const l of into) {
      const K = l.rank ?? 1;
      const idx = Array.from({ length: K }, (_, r) => col + r);
      col += K;
      const R = st.currents.length;
      const mCols = idx.map((r) => Float64Array.from({ length: reg.n }, (_, i) => st.M[i * R + r]));
      const nCols = idx.map((r) => st.currents[r].n);
      const Nb = ms.regions[l.source].units.length;
      const can = canonicalModes(mCols, nCols, Nb);
      const link: LinkResult = {
        target: opts.regions[alpha].name,
        source: opts.regions[l.source].name,
        rank: K,
        m: Array.from({ length: reg.n }, (_, i) => can.m.map((v) => v[i])),
        n: Array.from({ length: Nb }, (_, b) => can.n.map((v) => v[b])),
        strength: can.strength,
        inputPower: inputPower(ms, l.source, reg.n, can),
      };
      if (opts.currents && st.system && st.offsets) link.currents = linkCurrents(rec, phi, ms.regions[l.source].units, can.n, nCols, st.system, st.offsets, idx);
      links.push(link);
    }
    await yieldToEventLoop();
  }
  regions.forEach((r) => {
    const into = links.filter((l) => l.target === r.name);
    const self = into.filter((l) => l.source === r.name);
    const others = into.filter((l) => l.source !== r.name);
    if (!self.length || !others.length) return;
    const sum = (ls: LinkResult[]) => ls.reduce((a, l) => a + l.inputPower, 0);
    r.inputPower = { self: sum(self), others: sum(others) };
    r.routing = r.inputPower.others > r.inputPower.self;
  });
  notes.push('loadings of each link are canonical (SVD of m nᵀ/N_source, balanced, Σ_i m_i ≥ 0); current standard errors are conditional on the input loadings');
  return { regions, links, notes };
}

/**
 * (1/N_α) Σ_i ⟨(Σ_r m_ir κ_r(t))²⟩_t from the Gram of the source region:
 * ⟨κ_r κ_q⟩ = n_rᵀ G_ββ n_q /(N_β² T), so no pass over the data is needed.
 */
function inputPower(ms: MultiregionStatistics, source: number, nTarget: number, can: { m: Float64Array[]; n: Float64Array[] }): number {
  const src = ms.regions[source].units;
  const Nb = src.length;
  const K = can.m.length;
  const Gn = can.n.map((v) =>
    Float64Array.from({ length: Nb }, (_, a) => {
      let t = 0;
      const row = src[a] * ms.N;
      for (let b = 0; b < Nb; b++) t += ms.G[row + src[b]] * v[b];
      return t;
    }),
  );
  let P = 0;
  for (let r = 0; r < K; r++)
    for (let q = 0; q < K; q++) {
      let mm = 0;
      for (let i = 0; i < nTarget; i++) mm += can.m[r][i] * can.m[q][i];
      let kk = 0;
      for (let b = 0; b < Nb; b++) kk += can.n[r][b] * Gn[q][b];
      P += (mm * kk) / (Nb * Nb * ms.T);
    }
  return P / nTarget;
}

/**
 * κ(t) = Φ_β(t) n/N_β of a link's canonical modes and their standard errors from the conditional
 * covariance of the readout loadings (inverse of the readout step's system matrix), mapped to the
 * canonical basis (n_can = n_raw·A for a K×K matrix A, found by least squares).
 */
function linkCurrents(
  rec: Recording, phi: { f: (x: number) => number }, src: number[], nCan: Float64Array[], nRaw: Float64Array[], system: Float64Array, offsets: number[], idx: number[],
): { value: number[][]; se: number[][] } {
  const Nb = src.length;
  const T = rec.nSamples;
  const dim = Math.sqrt(system.length);
  const K = idx.length;
  // Conditional covariance of the link's raw readouts: the corresponding block of system⁻¹ (one factorisation).
  const chol = choleskyWithRidge(system, dim);
  const covBlocks: Float64Array[] = idx.map((r) => {
    const out = new Float64Array(Nb * Nb);
    for (let b = 0; b < Nb; b++) {
      const x = new Float64Array(dim);
      x[offsets[r] + b] = 1;
      choleskySolve(chol, dim, x);
      for (let a = 0; a < Nb; a++) out[a * Nb + b] = x[offsets[r] + a];
    }
    return out;
  });
  const Phi = new Float32Array(T * Nb);
  for (let t = 0; t < T; t++) for (let b = 0; b < Nb; b++) Phi[t * Nb + b] = phi.f(rec.data[t * rec.nUnits + src[b]]);
  const value = latentCurrents(rec, phi, nCan.slice(0, K), src);
  const se: number[][] = [];
  for (let r = 0; r < K; r++) {
    // scale of the canonical readout relative to the raw one (exact for K = 1)
    let num = 0;
    let den = 0;
    for (let b = 0; b < Nb; b++) {
      num += nCan[r][b] * nRaw[r][b];
      den += nRaw[r][b] * nRaw[r][b];
    }
    const scale = num / den;
    // var κ_r(t) = φ(t)ᵀ Cov(n_r) φ(t) / Nb²
    const s2 = readTidy(() => {
      const P = tf.tensor2d(Phi, [T, Nb]);
      return tf.sum(tf.mul(tf.matMul(P, tf.tensor2d(Float32Array.from(covBlocks[r]), [Nb, Nb])), P), 1);
    });
    se.push(Array.from(s2, (x) => (Math.abs(scale) * Math.sqrt(Math.max(x, 0))) / Nb));
  }
  return { value, se };
}

/**
 * The overlap tensor T_αβγ = (1/N_β) n^{αβ}·m^{βγ} (readout in β of the input β receives from γ) from
 * fitted rank-one links (0 where a link was not fitted). Only gauge-invariant functions of it mean
 * anything (each link's m → c m, n → n/c rescales T); its loops, e.g. the eigenvalues of T̂ and
 * c_αβ c_βα = T_αβα T_βαβ, are invariant.
 */
function fittedOverlapTensor(result: MultiregionFitResult, names: string[]): number[][][] {
  const R = names.length;
  const idx = new Map(names.map((n, a) => [n, a]));
  const link = new Map(result.links.filter((l) => l.rank === 1).map((l) => [`${idx.get(l.target)}<${idx.get(l.source)}`, l]));
  const T = Array.from({ length: R }, () => Array.from({ length: R }, () => new Array<number>(R).fill(0)));
  for (let a = 0; a < R; a++)
    for (let b = 0; b < R; b++)
      for (let g = 0; g < R; g++) {
        const out = link.get(`${a}<${b}`); // n^{αβ} on β's units
        const inn = link.get(`${b}<${g}`); // m^{βγ} on β's units
        if (!out || !inn) continue;
        let s = 0;
        for (let i = 0; i < out.n.length; i++) s += out.n[i][0] * inn.m[i][0];
        T[a][b][g] = s / out.n.length;
      }
  return T;
}

/**
 * The fit-file form of a multiregion fit: per-region parameters and the structure block, with the
 * leading eigenvalue of T̂ from the fitted rank-one links (THEORY §6.4).
 */
export function multiregionFitResult(result: MultiregionFitResult, rec: Recording, opts: MultiregionFitOptions): FitResult & { structure: Structure } {
  const names = opts.regions.map((r) => r.name);
  const leading = leadingEigenvalue(fittedOverlapTensor(result, names));
  const params: Record<string, Estimate> = {};
  result.regions.forEach((r) => {
    params[`g[${r.name}]`] = r.g;
    params[`D[${r.name}]`] = r.D;
  });
  const R = names.length;
  const dt = opts.dt ?? rec.dt!;
  // units × (all link modes): each link's m on its target's units and n on its source's, zeros elsewhere
  const modes = result.links.flatMap((l) => Array.from({ length: l.rank }, (_, r) => ({ l, r })));
  const unitOf = new Map(opts.regions.map((reg) => [reg.name, reg.units]));
  const m = Array.from({ length: rec.nUnits }, () => new Array<number>(modes.length).fill(0));
  const n = Array.from({ length: rec.nUnits }, () => new Array<number>(modes.length).fill(0));
  modes.forEach(({ l, r }, c) => {
    unitOf.get(l.target)!.forEach((u, i) => (m[u][c] = l.m[i][r]));
    unitOf.get(l.source)!.forEach((u, i) => (n[u][c] = l.n[i][r]));
  });
  const loss = result.regions.reduce((s, r) => s + r.loss, 0);
  const converged = result.regions.every((r) => r.converged);
  const structure: Structure = {
    rank: modes.length,
    m,
    n,
    strength: modes.map(({ l, r }) => l.strength[r]),
    overlaps: [],
    normalisation: rec.nUnits,
    identifiability: 'per link β→α: J^{αβ} = m nᵀ/N_β, canonical loadings (SVD, balanced, Σ m ≥ 0); structure.links lists them by region',
    regions: result.regions.map((r) => ({ name: r.name, units: r.units, g: r.g, D: r.D, routing: r.routing, ...(r.inputPower ? { inputPower: r.inputPower } : {}) })),
    links: result.links,
    leadingEigenvalue: { re: leading.re, im: leading.im },
  };
  return {
    params,
    natural: {
      g2: names.map((_, a) => names.map((__, b) => (a === b ? result.regions[a].g.value ** 2 : 0))),
      D: result.regions.map((r) => r.D.value),
      J0: names.map(() => new Array<number>(R).fill(0)),
      tau: opts.tau ?? 1,
      offset: 0,
      scale: 1,
      leak: 0,
    },
    correlation: { names: [], matrix: [] },
    loss: { form: 'exact', value: loss, perSample: loss / (rec.nUnits * (rec.nSamples - 1)) },
    convergence: {
      converged,
      reason: converged ? 'every region: loss change below 1e-6 nats per unit for 3 L-BFGS iterations' : 'a region stopped before its loss settled',
      iterations: Math.max(...result.regions.map((r) => r.iterations)),
      evaluations: 0,
      gradientMaxAbs: Number.NaN,
      starts: 1,
      hessianPositiveDefinite: converged,
    },
    data: { units: rec.nUnits, samples: rec.nSamples, samplesUsed: rec.nSamples, dt, populations: result.regions.map((r) => ({ name: r.name, units: r.units })) },
    model: { phi: opts.phi, discretisation: opts.discretisation ?? 'euler', fitted: ['g', 'D', 'm', 'n'], fixed: { tau: opts.tau ?? 1, J0: 0, s: 0 } },
    notes: result.notes,
    structure,
  };
}
