/**
 * Fit a random + low-rank network (THEORY §1.3b) by the exact rate-function loss with the low-rank
 * prior mean (src/loss/lowRank.ts): g, D, J0 and the modes m nᵀ/N together, input loadings profiled.
 * Rank: given, or chosen by held-out rate function over k time blocks (k-fold) with BIC alongside.
 *
 * Start: the SVD of the posterior-mean coupling matrix (THEORY §2.3) — also reported as a baseline.
 */
import { initBackend } from '../backend.js';
import { InputError } from '../errors.js';
import { nonlinearity, type PhiName } from '../nonlinearity.js';
import { type Discretisation, type NaturalParams, stepCoefficients } from '../model/parameters.js';
import { blockMeans, type Recording } from '../recording/types.js';
import { symmetricEigen, prepareEigensolver } from '../linalg/eigh.js';
import { yieldToEventLoop } from '../util/yield.js';
import {
  type BlockSums, type LowRankStatistics, blockSums, fromEigen, lowRankEvaluate, lowRankStatistics, sumBlocks, toEigen,
} from '../loss/lowRank.js';
import { canonicalModes, type CanonicalModes } from '../structure/modes.js';
import { bulkSpectrum, modeSubspace, orthogonalBulkEvaluate, ownPowerResidual, whittleLowRankEvaluate, whittleLowRankStatistics, type WhittleLowRankPoint } from '../loss/lowRankWhittle.js';
import { OWN_POWER_MIN_UNITS } from '../loss/whittle.js';
import { inverseOrThrow, type StepBasis } from '../loss/lowRank.js';
import { readoutCorrection, type ReadoutCorrection } from '../structure/partial.js';
import type { Nonlinearity } from '../nonlinearity.js';
import { minimiseLBFGS, type OptimiseResult } from './lbfgs.js';
import { covarianceFromHessian, deltaMethod, hessianFromValues, type Estimate } from './uncertainty.js';
import { EXACT_LOSS_NOTE, FIT_SCALE_REMEDY, OBS_NOISE_NOTE, type FitResult } from './fit.js';
import { networkPhiPower, observationNoiseCorrection, observationNoiseModel, type ObservationNoisePopulation } from '../model/observationNoise.js';
import { type WhiteNoiseEstimate, whiteNoiseExcess, whiteNoiseHint } from '../statistics/whiteNoise.js';
import { checkDataScale } from '../statistics/scale.js';

export interface LowRankFitOptions {
  phi: PhiName;
  dt?: number;
  tau?: number;
  leak?: number;
  discretisation?: Discretisation;
  fitJ0?: boolean;
  /** Number of modes, or 'auto' (held-out rate function over 0..maxRank). */
  rank: number | 'auto';
  maxRank?: number;
  /** Time blocks for the held-out rate function (default 4). */
  folds?: number;
  /**
   * exact (default when all units are recorded): discrete-time marginal likelihood. whittle: spectral
   * form, for partial recordings with a strong bulk; rank chosen, and the fit started, by the exact form;
   * J0 is not fitted. Default when `networkSize` exceeds the recorded units: the exact form if its ĝ
   * (network scale) is at most PARTIAL_EXACT_MAX_G, else the spectral form (see partialExactNote).
   */
  loss?: 'exact' | 'whittle';
  /**
   * Total number of units N of the network the recorded units belong to (partial recordings; default:
   * the recorded units are the whole network). With N > recorded units the
   * readout loadings are corrected for the unrecorded units' readout that the recorded units predict
   * (src/structure/partial.ts), and loadings are reported on the network scale, J_ij = Σ_r m_ir n_jr / N.
   */
  networkSize?: number;
  /**
   * White observation noise on x (x_data = x + ε, `fit --obs-noise`): fitted by the spectral form with the
   * noise's terms (src/loss/lowRankWhittle.ts); rank and start from the exact form on block means
   * (coarseStart).
   */
  obsNoise?: boolean;
  /** Keep the latent currents κ_r(t) of the canonical modes. */
  currents?: boolean;
  maxIterations?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface RankSelection {
  ranks: number[];
  /** mean held-out negative log-likelihood per predicted sample (nats), per rank */
  heldOut: number[];
  /** its standard error over folds */
  heldOutSe: number[];
  /** BIC on the full data, per rank */
  bic: number[];
  chosen: number;
  chosenByBic: number;
  folds: number;
}

export interface LowRankStructure {
  rank: number;
  /** recorded units × rank, canonical loadings, strongest first (rows: units) */
  m: number[][];
  n: number[][];
  /**
   * singular values of m nᵀ/N; with a network size N > recorded units n: of the network's, estimated
   * from the recorded loadings as those of m nᵀ/n (unrecorded units like recorded ones)
   */
  strength: number[];
  /**
   * n_rᵀ m_s / N; with a network size > recorded units, the network's (1/N) Σ_all n_r m_s from the
   * effective readout, which includes the unrecorded units' readout as predicted by the recorded units
   */
  overlaps: number[][];
  /**
   * rank × samples (with `currents`): κ_r(t) = (1/N) Φ n_r of the canonical modes; with a network size,
   * the network's currents as they reach the recorded units (the fitted mode input m̂ κ̂(t) on the
   * canonical m, including the part of the unrecorded readout predictable from the recorded units); empty at rank 0
   */
  currents?: number[][];
  /** the posterior-mean SVD baseline's canonical loadings (units × rank) */
  baseline?: { m: number[][]; n: number[][] };
  selection?: RankSelection;
  /** N in J_ij = Σ_r m_ir n_jr / N: the recorded units, or the given network size */
  normalisation: number;
  /** the network size given for a partial recording (absent: the recorded units are taken as the network) */
  networkSize?: number;
  /** the partial-recording correction applied (network size > recorded units) */
  partial?: PartialSummary;
  identifiability: string;
}

export interface PartialSummary {
  recorded: number;
  /** ρ = (N − n)/n */
  rho: number;
  /** eigenvalues of the signal-to-private shrink Σ (1: modes dominate the recorded activity) */
  shrink: number[];
}

export type LowRankFitResult = FitResult & { structure: LowRankStructure; canonical: CanonicalModes; baselineModes: CanonicalModes };

interface Scalars {
  logG2: number;
  logD: number;
  J0: number;
}

interface RankFit {
  R: number;
  scalars: Scalars;
  Nt: Float64Array;
  M: Float64Array;
  nll: number;
  opt: OptimiseResult;
}

const IDENTIFIABILITY =
  'm and n are defined only up to an invertible R×R transform (m → mA, n → nA⁻ᵀ); reported are the canonical modes: the SVD of m nᵀ/N with balanced loadings √(N s_r)·(u_r, v_r), signed so that Σ_i m_ir ≥ 0';

class Problem {
  readonly c: number;
  readonly floor: number;
  constructor(
    readonly st: LowRankStatistics,
    stepC: number,
    readonly fitJ0: boolean,
  ) {
    this.c = stepC;
    // σ² floor (THEORY §2.3 caveat 1): 1e-8 of the mean y² per sample, as in the rank-0 exact fit.
    this.floor = (1e-8 * st.yyTotal) / (st.n * st.T);
  }
  sigma2(logD: number): number {
    return this.c * Math.exp(logD) + this.floor;
  }
  /** θ = [log g², log D, (J0), Ñ]: normalised loss and gradient for L-BFGS. */
  objective(R: number, fixedNt?: Float64Array) {
    const off = this.fitJ0 ? 3 : 2;
    const scale = 1 / (this.st.n * this.st.T);
    return (x: Float64Array) => {
      const Nt = fixedNt ?? x.subarray(off);
      const D = Math.exp(x[1]);
      const g2 = Math.exp(x[0]);
      const ev = lowRankEvaluate(this.st, { g2, sigma2: this.c * D + this.floor, J0: this.fitJ0 ? x[2] : 0, Nt, R });
      const g = new Float64Array(x.length);
      g[0] = ev.dG2 * g2 * scale;
      g[1] = ev.dSigma2 * this.c * D * scale;
      if (this.fitJ0) g[2] = ev.dJ0 * scale;
      if (!fixedNt) for (let k = 0; k < ev.dNt.length; k++) g[off + k] = ev.dNt[k] * scale;
      return { f: ev.nll * scale, g };
    };
  }
  nll(s: Scalars, Nt: Float64Array, R: number): number {
    return lowRankEvaluate(this.st, { g2: Math.exp(s.logG2), sigma2: this.sigma2(s.logD), J0: s.J0, Nt, R }).nll;
  }
}

/**
 * Readout directions (eigen coordinates) of the rank-R SVD of the posterior-mean coupling matrix
 * μ_i = (G + (Nσ²/g²) I)⁻¹ Φᵀ y_i (THEORY §2.3, prior mean 0): in eigen coordinates μ̃ = A/(λ + Nσ²/g²).
 */
export function posteriorMeanModes(st: LowRankStatistics, g2: number, sigma2: number, R: number): { Nt: Float64Array; m: Float64Array[]; n: Float64Array[] } {
  const mu = st.lambda.length;
  const n = st.n;
  const c = (n * sigma2) / g2;
  const P = new Float64Array(mu * n);
  for (let k = 0; k < mu; k++) for (let i = 0; i < n; i++) P[k * n + i] = st.A[k * n + i] / (st.lambda[k] + c);
  const PPt = new Float64Array(mu * mu);
  for (let a = 0; a < mu; a++)
    for (let b = a; b < mu; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += P[a * n + i] * P[b * n + i];
      PPt[a * mu + b] = s;
      PPt[b * mu + a] = s;
    }
  const eig = symmetricEigen(PPt, mu);
  // Top-R singular triplets of μ̃ (mu × n): v_r (eigen coordinates) from μ̃μ̃ᵀ, u_r = μ̃ᵀv_r/s_r.
  // As a rank-R matrix m nᵀ/N with balanced loadings: m_r = √(N s_r) u_r, n_r = √(N s_r) Q v_r.
  const Nt = new Float64Array(mu * R);
  const mCols: Float64Array[] = [];
  const sv: number[] = [];
  for (let r = 0; r < R; r++) {
    const e = mu - 1 - r; // eigenvalues ascending
    const s = Math.sqrt(Math.max(eig.values[e], 0));
    sv.push(s);
    const u = new Float64Array(n);
    for (let k = 0; k < mu; k++) {
      const v = eig.vectors[k * mu + e];
      Nt[k * R + r] = v;
      for (let i = 0; i < n; i++) u[i] += P[k * n + i] * v;
    }
    const scale = Math.sqrt(n * s) / (s || 1);
    mCols.push(u.map((x) => x * scale));
  }
  const nCols = fromEigen(st, Nt, R).map((v, r) => v.map((x) => x * Math.sqrt(n * sv[r])));
  return { Nt, m: mCols, n: nCols };
}

/** Warm start: scalars and readout loadings (unit coordinates) of a fit to overlapping data. */
interface WarmStart {
  scalars: Scalars;
  nUnit: Float64Array[];
}

function fitRank(prob: Problem, R: number, init: Scalars, maxIterations: number, warm?: WarmStart): RankFit {
  const st = prob.st;
  const fitJ0 = prob.fitJ0;
  const off = fitJ0 ? 3 : 2;
  const lbfgs = (f: ReturnType<Problem['objective']>, x: Float64Array) => minimiseLBFGS(f, x, { maxIterations, gradientTolerance: 1e-9, lossTolerance: 1e-12 });
  let opt: OptimiseResult;
  if (warm && R > 0) {
    const s = warm.scalars;
    const x = new Float64Array(off + st.lambda.length * R);
    x.set(fitJ0 ? [s.logG2, s.logD, s.J0] : [s.logG2, s.logD]);
    x.set(toEigen(st, warm.nUnit), off);
    opt = lbfgs(prob.objective(R), x);
  } else {
    // 1. scalars with the posterior-mean readout directions, 2. those directions again, 3. everything.
    let Nt = posteriorMeanModes(st, Math.exp(init.logG2), prob.sigma2(init.logD), R).Nt;
    const x0 = Float64Array.from(fitJ0 ? [init.logG2, init.logD, init.J0] : [init.logG2, init.logD]);
    const first = lbfgs(prob.objective(R, Nt), x0);
    opt = first;
    if (R > 0) {
      Nt = posteriorMeanModes(st, Math.exp(first.x[0]), prob.sigma2(first.x[1]), R).Nt;
      const x1 = new Float64Array(off + Nt.length);
      x1.set(first.x.subarray(0, off));
      x1.set(Nt, off);
      opt = lbfgs(prob.objective(R), x1);
    }
  }
  const scalars: Scalars = { logG2: opt.x[0], logD: opt.x[1], J0: fitJ0 ? opt.x[2] : 0 };
  const Nt = R > 0 ? Float64Array.from(opt.x.subarray(off)) : new Float64Array(0);
  const point = { g2: Math.exp(scalars.logG2), sigma2: prob.sigma2(scalars.logD), J0: scalars.J0, Nt, R };
  const M = lowRankEvaluate(st, point).M;
  // Reported and used by BIC: the plain likelihood at M̂ (the optimiser used the restricted one).
  return { R, scalars, Nt, M, nll: lowRankEvaluate(st, point, M).nll, opt };
}

function modeColumns(M: Float64Array, n: number, R: number): Float64Array[] {
  return Array.from({ length: R }, (_, r) => Float64Array.from({ length: n }, (_, i) => M[i * R + r]));
}

/**
 * Held-out NLL per sample of a rank-R fit on the training blocks: −log p(y_test | y_train, θ̂_train), the
 * posterior predictive. The random part of J is quenched: conditioning it on the training blocks is what
 * the joint likelihood does, and with J integrated out the joint is the whole recording's likelihood, so
 * the score is nll(all blocks) − nll(training blocks) at the training fit (m held at its estimate). Scoring
 * the test block alone would redraw the random part from its prior, and the modes would then win by
 * carrying over the realised bulk's largest singular directions (rank 4 on i.i.d. networks at g ≥ 0.8).
 */
function heldOutNll(prob: Problem, train: Problem, fit: RankFit, heldOut: LowRankStatistics): number {
  const R = fit.R;
  const nUnit = fromEigen(train.st, fit.Nt, R);
  const at = (st: LowRankStatistics) =>
    lowRankEvaluate(st, { g2: Math.exp(fit.scalars.logG2), sigma2: prob.sigma2(fit.scalars.logD), J0: fit.scalars.J0, Nt: toEigen(st, nUnit), R }, fit.M).nll;
  return (at(prob.st) - at(train.st)) / (heldOut.n * heldOut.T);
}

function initialScalars(st: LowRankStatistics, c: number): Scalars {
  // The part of y outside span(Φ) is pure noise: σ² ≈ ‖Y⊥‖²/(n(T − n)).
  const sigma2 = st.perp / (st.n * Math.max(1, st.T - st.lambda.length));
  return { logG2: Math.log(0.5), logD: Math.log(Math.max(sigma2 / c, 1e-12)), J0: 0 };
}

export async function fitLowRank(rec: Recording, opts: LowRankFitOptions): Promise<LowRankFitResult> {
  await initBackend(); // the default backend unless the caller chose one
  const dt = opts.dt ?? rec.dt;
  if (!(dt !== undefined && dt > 0)) throw new InputError('the sampling interval is unknown: give --dt (or a time column)', { field: '--dt' });
  const n = rec.nUnits;
  const maxRank = opts.rank === 'auto' ? (opts.maxRank ?? 4) : opts.rank;
  if (!Number.isInteger(maxRank) || maxRank < 0) throw new InputError(`the rank must be a whole number ≥ 0, got ${maxRank}`, { field: '--rank' });
  if (maxRank >= n) throw new InputError(`the rank (${maxRank}) must be smaller than the number of recorded units (${n})`, { field: '--rank' });
  checkDataScale(rec, FIT_SCALE_REMEDY);
  const networkSize = opts.networkSize;
  if (networkSize !== undefined && !(Number.isInteger(networkSize) && networkSize >= n)) {
    throw new InputError(`the network size must be a whole number ≥ the number of recorded units (${n}), got ${networkSize}`, { field: '--network-size' });
  }
  const partial = networkSize !== undefined && networkSize > n;
  const T = rec.nSamples - 1;
  const folds = opts.rank === 'auto' ? (opts.folds ?? 4) : 1;
  if (opts.rank === 'auto' && !(Number.isInteger(folds) && folds >= 2)) {
    throw new InputError(`the held-out rate function needs at least 2 time blocks (one to train on, one to test), got ${folds}`, { field: '--folds' });
  }
  if (T < 16 * folds) {
    const what = opts.rank === 'auto' ? `--rank auto with --folds ${folds} (16 sample steps per time block)` : 'a low-rank fit';
    throw new InputError(`too short for ${what}: needs at least ${16 * folds + 1} samples, has ${rec.nSamples}`, { file: rec.source?.path });
  }
  if (opts.obsNoise) {
    const field = '--obs-noise';
    if (opts.loss === 'exact') throw new InputError('observation noise (--obs-noise) is fitted with the spectral loss: drop --loss exact (the exact form takes the recorded x as the network\'s, noise and all)', { field });
    if ((opts.leak ?? 0) !== 0) throw new InputError('--obs-noise needs the plain leak U = x²/2: drop --leak', { field });
  }
  // the observed x's statistics that the noise terms need (src/model/observationNoise.ts), computed once
  const noiseModel = opts.obsNoise ? observationNoiseModel(rec, new Int32Array(n), 1, nonlinearity(opts.phi)) : undefined;
  const coarse = noiseModel ? await coarseStart(rec, dt, opts, noiseModel[0].variance) : undefined;
  await prepareEigensolver();
  const tau = opts.tau ?? 1;
  const disc = opts.discretisation ?? 'euler';
  const leak = opts.leak ?? 0;
  const step = stepCoefficients(dt, tau, disc);
  const phi = nonlinearity(opts.phi);
  const bounds = Array.from({ length: folds + 1 }, (_, b) => Math.round((b * T) / folds));
  opts.onProgress?.('statistics', 0, 1);
  const blocks: BlockSums[] = blockSums(rec, { a: step.a, b: step.b, s: leak }, phi, bounds);
  await yieldToEventLoop();
  const sums = sumBlocks(blocks);
  const full = lowRankStatistics(sums);
  const fitJ0 = opts.fitJ0 ?? true;
  const prob = new Problem(full, step.c, fitJ0);
  const maxIt = opts.maxIterations ?? 500;
  const init = initialScalars(full, step.c);
  const notes: string[] = [];

  let selection: RankSelection | undefined;
  let R: number;
  const fits: RankFit[] = [];
  const total = (maxRank + 1) * (opts.rank === 'auto' ? folds + 1 : 1);
  let done = 0;
  const tick = async () => {
    opts.onProgress?.('fitting', ++done, total);
    await yieldToEventLoop();
  };
  if (coarse) {
    // rank and start from the block means (coarseStart); the fit itself is the spectral form's below
    R = coarse.fit.structure.rank;
    selection = coarse.fit.structure.selection;
    const c0 = coarse.fit.natural;
    fits[R] = { R, scalars: { logG2: Math.log(c0.g2[0][0]), logD: Math.log(c0.D[0]), J0: 0 }, Nt: new Float64Array(0), M: new Float64Array(n * R), nll: Number.NaN,
      opt: { x: new Float64Array(0), f: Number.NaN, g: new Float64Array(0), iterations: 0, evaluations: 0, converged: false, reason: 'not run', gradientMaxAbs: Number.NaN } };
    done = total - 1;
    await tick();
  } else if (opts.rank === 'auto') {
    const train = blocks.map((_, k) => new Problem(lowRankStatistics(sumBlocks(blocks, k)), step.c, fitJ0));
    const test = blocks.map((b) => lowRankStatistics(b));
    const ranks = Array.from({ length: maxRank + 1 }, (_, r) => r);
    const heldOut: number[] = [];
    const heldOutSe: number[] = [];
    const bic: number[] = [];
    const perFold: number[][] = [];
    for (const r of ranks) {
      const f = fitRank(prob, r, init, maxIt);
      fits.push(f);
      await tick();
      const vals: number[] = [];
      for (let k = 0; k < folds; k++) {
        // warm start from the full-data fit: the training sets share (k−1)/k of its data
        const warm = { scalars: f.scalars, nUnit: fromEigen(prob.st, f.Nt, r) };
        vals.push(heldOutNll(prob, train[k], fitRank(train[k], r, f.scalars, maxIt, warm), test[k]));
        await tick();
      }
      perFold.push(vals);
      const mean = vals.reduce((a, b) => a + b, 0) / folds;
      heldOut.push(mean);
      const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, folds - 1));
      heldOutSe.push(sd / Math.sqrt(folds));
      // parameters: g, D, (J0) + a rank-r n×n matrix has r(2n − r) degrees of freedom
      const k = 2 + (fitJ0 ? 1 : 0) + r * (2 * n - r);
      bic.push(2 * f.nll + k * Math.log(n * T));
    }
    // Held-out differences between ranks are paired over folds: choose the smallest rank whose mean
    // held-out loss is within one paired standard error of the best (the one-SE rule).
    let best = 0;
    for (const r of ranks) if (heldOut[r] < heldOut[best]) best = r;
    let chosen = best;
    for (const r of ranks) {
      if (r >= best) break;
      const diff = perFold[r].map((v, k) => v - perFold[best][k]);
      const md = diff.reduce((a, b) => a + b, 0) / folds;
      const sd = Math.sqrt(diff.reduce((a, b) => a + (b - md) ** 2, 0) / Math.max(1, folds - 1)) / Math.sqrt(folds);
      if (md <= sd) {
        chosen = r;
        break;
      }
    }
    const chosenByBic = bic.indexOf(Math.min(...bic));
    if (chosenByBic !== chosen) notes.push(`rank: the held-out rate function chose ${chosen}, BIC ${chosenByBic} (BIC charges R(2N − R)·log(NT) for a rank-R mode matrix and is conservative when modes are weak per sample)`);
    selection = { ranks, heldOut, heldOutSe, bic, chosen, chosenByBic, folds };
    R = chosen;
  } else {
    R = opts.rank;
    fits[R] = fitRank(prob, R, init, maxIt);
    await tick();
  }
  let fit = fits[R];
  // Exact form of a partial recording: the recorded block of couplings has variance g²/N per entry while
  // the loss normalises by n, so its g² is scaled by N/n (src/structure/partial.ts). Unless a form is
  // asked for, a partial recording keeps it for a weak bulk and goes spectral for a strong one.
  const gExactNetwork = Math.sqrt(Math.exp(fit.scalars.logG2) * (partial ? networkSize / n : 1));
  const lossForm = opts.loss ?? (coarse || (partial && gExactNetwork > PARTIAL_EXACT_MAX_G) ? 'whittle' : 'exact');
  const partialExact = partial && lossForm === 'exact';
  const gScale2 = partialExact ? networkSize / n : 1;
  if (partial && opts.loss === undefined && !coarse) {
    notes.push(
      `loss form chosen for a partial recording: ${lossForm === 'exact' ? 'exact' : 'spectral'} (the exact form's ĝ ${gExactNetwork.toFixed(3)} ${lossForm === 'exact' ? '≤' : '>'} ${PARTIAL_EXACT_MAX_G}; ` +
        `--loss ${lossForm === 'exact' ? 'whittle' : 'exact'} for the other)`,
    );
  }
  let nCols = coarse ? coarse.fit.canonical.n.map((c) => Float64Array.from(c)) : fromEigen(full, fit.Nt, R);
  let valueAt = (x: Float64Array) => prob.nll({ logG2: x[0], logD: x[1], J0: fitJ0 ? x[2] : 0 }, fit.Nt, R);
  let form: 'exact' | 'whittle' = 'exact';
  let correction: WhittleRefinement['correction'];
  if (lossForm === 'whittle') {
    form = 'whittle';
    const obs = coarse && noiseModel ? { model: noiseModel, obs2: coarse.obs2 } : undefined;
    const w = await refineWhittle(rec, { a: step.a, b: step.b, s: leak }, phi, step.c, prob.floor, fit, nCols, maxIt, partial ? networkSize : undefined, obs);
    fit = w.fit;
    nCols = w.nCols;
    valueAt = w.valueAt;
    correction = w.correction;
    notes.push(
      coarse
        ? `spectral low-rank fit with observation noise: the noise's share of each unit's input and φ is modelled, its own ε (in both) taken out of the mode regression; ${opts.rank === 'auto' ? 'rank and ' : ''}start from the exact form ${coarseWhere(coarse.block, coarse.ratio, opts.rank === 'auto')}; J0 is not fitted (0)`
        : 'spectral low-rank fit (for partial recordings): rank and start from the exact form; J0 is not fitted (0)',
    );
  }
  if (partialExact && R > 0) correction = readoutCorrection(fit.M, rowMajor(nCols, n), n, R, phiCovariance(rec, phi, sums), networkSize);
  const M = modeColumns(fit.M, n, R);
  const g2 = Math.exp(fit.scalars.logG2);
  let canonical: CanonicalModes;
  const normalisation = networkSize ?? n;
  let partialSummary: PartialSummary | undefined;
  let effectiveReadout: Float64Array[] | undefined;
  if (correction && networkSize !== undefined) {
    // m̂ n̂_Sᵀ/n = M_S N_Sᵀ/N: network-scale loadings are √(N/n) times the fit's; the singular values of
    // their m nᵀ/n are the network's strengths if unrecorded units are like recorded ones.
    const up = Math.sqrt(networkSize / n);
    const nS = modeColumns(correction.readout, n, R);
    canonical = canonicalModes(M.map((c) => c.map((v) => v * up)), nS.map((c) => c.map((v) => v * up)), n);
    // The network's overlaps (1/N) Σ_all n_j m_jᵀ = (1/N)(N_SᵀM_S + N_UᵀM_U) are what the effective readout
    // carries (N_effᵀM_S = N_SᵀM_S + N A Σ, Σ ≈ I): no exchangeability needed, so take them from it.
    effectiveReadout = canonicalReadout(canonical.m, M, nCols);
    canonical.overlaps = effectiveReadout.map((nr) => canonical.m.map((ms) => nr.reduce((a, v, i) => a + v * ms[i], 0) / n));
    partialSummary = { recorded: n, rho: correction.rho, shrink: correction.shrinkEigenvalues };
    notes.push(
      `partial recording, ${n} of ${networkSize} units: n is corrected for the part of the unrecorded units' readout that the recorded units predict ` +
        `(it lies in span(m); its component there is divided by ~1 + ρ, ρ = ${correction.rho.toFixed(3)}; signal shrink ${correction.shrinkEigenvalues.map((v) => v.toFixed(3)).join(', ')}), ` +
        'assuming the unrecorded units are like the recorded ones; loadings on the network scale (J_ij = Σ_r m_ir n_jr / N), strengths extrapolated ' +
        'to the network on the same assumption, overlaps (1/N) Σ n m of the whole network from the fitted readout. ' +
        (form === 'whittle'
          ? 'ĝ and D̂ come from the inputs orthogonal to span(m) across the recorded units, where the unrecorded units\' private readout cannot pass for bulk power. '
          : '') +
        (Math.max(...correction.shrinkEigenvalues) < 0.05 ? 'Here the shrink is ≈ 0: the recorded activity along m is almost all private fluctuation, so almost nothing is predicted and removed. ' : '') +
        'Not corrected: the noise of n (about twice the variance of a full recording at half the units), the part of the predicted readout that follows the units\' unequal private variance (saturating units), ' +
        (form === 'whittle' ? 'and the rest of ĝ\'s bias (low where the modes fluctuate strongly: −17 % on one of 24 realisations of issue 3\'s teacher, mean −2 %; see src/structure/partial.ts)' : 'and the m-span\'s bias from the unrecorded units\' bulk input'),
    );
  } else {
    canonical = canonicalModes(M, nCols, n);
    if (R === 0 && form === 'exact' && !partialExact) notes.push(EXACT_LOSS_NOTE);
    if (R > 0 && networkSize === undefined) {
      notes.push(
        `effective network: m, n, strengths and overlaps describe the ${n} recorded units as a network of their own (J = m nᵀ/${n}). ` +
          'If they are a subsample, n also carries the part of the unrecorded units\' readout predictable from them (inflated inside span(m)) and ĝ their private readout: ' +
          'for partial recordings give --network-size N (the total number of units)',
      );
    }
  }
  if (partialExact) notes.push(partialExactNote(n, networkSize, Math.sqrt(g2 * gScale2)));
  const base = posteriorMeanModes(full, g2, prob.sigma2(fit.scalars.logD), R);
  const baselineModes = canonicalModes(base.m, base.n, n);

  // Uncertainty of the scalars: curvature of the loss in (log g², log D, J0) with the modes at their
  // estimate (input loadings re-profiled at every point). Conditioning on the readout loadings
  // neglects their estimation error, which is second order for these scalars.
  const withJ0 = form === 'exact' && fitJ0;
  const off = withJ0 || coarse ? 3 : 2;
  const xs = fit.opt.x.subarray(0, off);
  const cov = covarianceFromHessian(hessianFromValues(valueAt, Float64Array.from(xs), 1e-4));
  const quantities = [
    { name: 'g', fn: (t: Float64Array) => Math.sqrt(gScale2 * Math.exp(t[0])), positive: true },
    { name: 'D', fn: (t: Float64Array) => Math.exp(t[1]), positive: true },
    ...(withJ0 ? [{ name: 'J0', fn: (t: Float64Array) => t[2], positive: false }] : []),
    ...(coarse ? [{ name: 'obsNoise', fn: (t: Float64Array) => Math.sqrt(Math.exp(t[2])), positive: true }] : []),
  ];
  const dm = deltaMethod(quantities, Float64Array.from(xs), cov.matrix);
  const params: Record<string, Estimate> = dm.estimates;

  let currents: number[][] | undefined;
  if (R === 0 && opts.currents) {
    // asked for: an empty list says there are none, where leaving it out would look like an omission
    currents = [];
    notes.push('rank 0: no low-rank modes, so no latent currents (structure.currents is empty)');
  }
  if (R > 0) {
    const kappa = latentCurrents(rec, phi, effectiveReadout ?? canonical.n);
    if (opts.currents) currents = kappa;
    const held = heldModes(kappa);
    if (held.length) {
      notes.push(
        `mode ${held.map((h) => `${h.mode} (|mean κ| = ${h.ratio.toFixed(0)} × its sd)`).join(', ')} sits at a non-zero fixed point: its latent current barely fluctuates, ` +
          'so the readout n is identified only through those small fluctuations. n\'s direction and the strength are unreliable, the overlap nᵀm/N (which the fixed point sets) less so ' +
          '(a simulated rank-1 teacher, 200 units all recorded: n at cosine 0.40 to the truth, strength 5.95 for 2.27, overlap 2.00 for 1.73)',
      );
    }
  }
  const natural: NaturalParams = {
    g2: [[g2 * gScale2]], D: [Math.exp(fit.scalars.logD)], J0: [[fit.scalars.J0]], tau, offset: 0, scale: 1, leak,
    ...(coarse ? { obsNoise2: Math.exp(fit.opt.x[2]) } : {}),
  };
  if (coarse) notes.push(OBS_NOISE_NOTE);
  const gradMax = fit.opt.gradientMaxAbs;
  if (!opts.obsNoise) {
    const hint = whiteNoiseHint(rec, dt / tau);
    if (hint) notes.push(`${hint}. Low-rank fits suffer most: on issue 3's teacher (h = 0.05) noise of variance σ_obs² ≈ D·h (about 1 % of x's) took the exact form's modes 55–90° off, and a third of that ĝ +58 %`);
  }
  if (!fit.opt.converged) notes.push(`the optimiser stopped before convergence (${fit.opt.reason})`);
  notes.push(`low rank: ${IDENTIFIABILITY}`);
  return {
    params,
    natural,
    correlation: { names: dm.names, matrix: dm.correlation },
    loss: { form, value: fit.nll, perSample: fit.nll / (n * T) },
    convergence: {
      converged: fit.opt.converged && cov.positiveDefinite,
      reason: fit.opt.reason,
      iterations: fit.opt.iterations,
      evaluations: fit.opt.evaluations,
      gradientMaxAbs: gradMax,
      starts: 1,
      hessianPositiveDefinite: cov.positiveDefinite,
    },
    data: { units: n, samples: rec.nSamples, samplesUsed: rec.nSamples, dt, populations: [{ name: 'all', units: n }] },
    model: {
      phi: opts.phi,
      discretisation: disc,
      fitted: ['g', 'D', ...(withJ0 ? ['J0'] : []), ...(coarse ? ['obsNoise'] : []), ...(R > 0 ? ['m', 'n'] : [])],
      fixed: { tau, s: leak, ...(withJ0 ? {} : { J0: 0 }) },
    },
    notes,
    structure: {
      rank: R,
      m: rowsOf(canonical.m, n),
      n: rowsOf(canonical.n, n),
      strength: canonical.strength,
      overlaps: canonical.overlaps,
      ...(currents ? { currents } : {}),
      baseline: { m: rowsOf(baselineModes.m, n), n: rowsOf(baselineModes.n, n) },
      ...(selection ? { selection } : {}),
      normalisation,
      ...(networkSize !== undefined ? { networkSize } : {}),
      ...(partialSummary ? { partial: partialSummary } : {}),
      identifiability: IDENTIFIABILITY,
    },
    canonical,
    baselineModes,
  };
}

/** Columns (R of length n) → n × R row-major. */
function rowMajor(cols: readonly Float64Array[], n: number): Float64Array {
  const R = cols.length;
  const out = new Float64Array(n * R);
  cols.forEach((c, r) => c.forEach((v, i) => (out[i * R + r] = v)));
  return out;
}

/** Covariance over time of the regressors φ(x[t]), t < T (n × n): C = ΦᵀΦ/T − μμᵀ from the summed Gram matrix. */
function phiCovariance(rec: Recording, phi: Nonlinearity, sums: BlockSums): Float64Array {
  const n = rec.nUnits;
  const T = sums.T;
  const mu = new Float64Array(n);
  for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) mu[i] += phi.f(rec.data[t * n + i]);
  for (let i = 0; i < n; i++) mu[i] /= T;
  return Float64Array.from(sums.G, (v, k) => v / T - mu[Math.floor(k / n)] * mu[k % n]);
}

/**
 * Up to this ĝ a partial recording is fitted by the exact form unless a form is asked for. Issue 3's teacher,
 * 100 of 200 units, 6 realisations per g (`lowrank-partial.js 7 6 2000 exact|whittle g`): mean |ĝ error|
 * exact/spectral 1.5/3.9 % at g 0.45, 2.4/2.5 % at 0.6, 4.3/2.1 % at 0.8 (exact all high: the unrecorded
 * input passes for coupling); m-span 22/25°, 28/33°, 35/46°; n-span within 1.5° of each other.
 */
const PARTIAL_EXACT_MAX_G = 0.6;

function partialExactNote(n: number, N: number, g: number): string {
  return (
    `exact form of a partial recording (${n} of ${N} units): ĝ is the recorded units' estimate × √(N/n) (their couplings have variance g²/N, the loss normalises by n). ` +
    'The unrecorded units\' input is not modelled: with a weak bulk it is small (issue 3\'s teacher, g 0.3: ĝ within 10 % on 24 of 24 realisations, m-span closer than the spectral form\'s), ' +
    'with a strong one it passes for coupling (ĝ +4 % at g 0.8, +13 % at g 1.5; D̂ up to +3 %)' +
    (g > PARTIAL_EXACT_MAX_G ? `. Here ĝ = ${g.toFixed(3)}: use --loss whittle` : '; above ĝ ≈ 0.6 use --loss whittle')
  );
}

/**
 * Block length (samples) of coarseStart. Observation noise on x reaches the exact form's input
 * y ≈ (x[t+1] − x[t])/h + x[t] as variance ≈ 2σ_obs²/h², against the network noise's 2D/h, and its own ε sits
 * in both y_i and φ(x_i): at h = 0.05 a σ_obs² of a third of D·h already took ĝ +58 % on issue 3's teacher,
 * and σ_obs² ≈ D·h lost the modes (spans at 56–90°). Means over blocks of k samples take the ratio
 * σ_obs²/(D·h) down by k², but they are not the model's process sampled at k·h, and their fewer samples
 * carry less about the modes: on that teacher (`node dist/bench/obs-noise-block.js`) the held-out rank
 * was right where the ratio in the block means was 0.1–0.6 and blocks were short, and lost modes in long
 * blocks even where the noise was gone from them (k·h of 0.5 τ at σ_obs 0.02, 0.85 τ at 0.1; at 0.3, 0.7 τ
 * with a ratio of 0.5 did worse than 0.5 τ with 1). So k takes the ratio to ≤ 0.5, at least 2 (k = 1 left a
 * ratio of 0.4 choosing rank 1 on realisations where k = 2 chose 2), 1 where the ratio is below 0.05, and
 * at most 0.5 τ/h (the fixed length this rule replaced). The ratio is the
 * units' summed lag-0 excess over their autocovariances' summed drop to lag 1 (src/statistics/whiteNoise.ts):
 * one unit's drop, ~D·h, is within the sampling error of its lags 1–3 when the noise is strong (σ_obs 0.3 on
 * 500 τ: a median of per-unit ratios gave 19 for 90).
 */
export function coarseBlockLength(est: WhiteNoiseEstimate, dt: number, tau: number): { block: number; ratio: number } {
  const sum = (v: Float64Array) => v.reduce((a, b) => a + b, 0);
  const drop = sum(est.stepDrop);
  const ratio = drop > 0 ? sum(est.variance) / drop : Number.POSITIVE_INFINITY;
  if (!(ratio > COARSE_NEGLIGIBLE_RATIO)) return { block: 1, ratio };
  const longest = Math.max(2, Math.round((COARSE_LONGEST_BLOCK_TAU * tau) / dt));
  return { block: Math.min(longest, Math.max(2, Math.ceil(Math.sqrt(ratio / COARSE_TARGET_RATIO)))), ratio };
}

/** Where coarseStart's exact form ran, for the fit's note. */
function coarseWhere(block: number, ratio: number, auto: boolean): string {
  const measured = `σ_obs²/(D·h) ≈ ${ratio.toPrecision(2)} at the recording's step, from the lag-0 excess over the step's autocovariance drop`;
  if (block === 1) return `on the recording itself (${measured}: the noise is small against the network's there)`;
  return (
    `on means over blocks of ${block} samples, where the noise averages out (${measured}; ${(ratio / block ** 2).toPrecision(2)} in the block means)` +
    (auto ? `; the rank is chosen on 1/${block} of the samples, so weak modes need longer recordings (on issue 3's teacher at σ_obs 0.1, 500 τ found both modes on one of three realisations, 1000 and 2000 τ on three)` : '')
  );
}

/** σ_obs²/(D·h) aimed for in the block means, and below which the noise is left in (coarseBlockLength). */
const COARSE_TARGET_RATIO = 0.5;
const COARSE_NEGLIGIBLE_RATIO = 0.05;
/** The longest block, in units of τ (coarseBlockLength). */
const COARSE_LONGEST_BLOCK_TAU = 0.5;

/**
 * Start (and rank) for a low-rank fit with observation noise: the exact form on means over blocks of
 * samples, where the white noise averages out; σ_obs² from the lag-0 excess of the full recording
 * (src/statistics/whiteNoise.ts).
 */
async function coarseStart(rec: Recording, dt: number, opts: LowRankFitOptions, unitVariance: Float64Array): Promise<{ fit: LowRankFitResult; block: number; ratio: number; obs2: number }> {
  const noise = whiteNoiseExcess(rec);
  const { block, ratio } = coarseBlockLength(noise, dt, opts.tau ?? 1);
  const n = rec.nUnits;
  const fit = await fitLowRank(blockMeans(rec, block, dt), { ...opts, obsNoise: false, dt: dt * block, loss: 'exact', networkSize: undefined, currents: false });
  const excess = Float64Array.from(noise.variance).sort();
  // a start above 0 (the loss is flat in log σ_obs² near 0): at least 1e-4 of the median variance
  const variance = Float64Array.from(unitVariance).sort();
  const obs2 = Math.max(excess[n >> 1], 1e-4 * variance[n >> 1]);
  return { fit, block, ratio, obs2 };
}

/** ⟨φ'(x_i)⟩ over the samples, per unit. */
function meanSlopes(rec: Recording, phi: Nonlinearity): Float64Array {
  const n = rec.nUnits;
  const out = new Float64Array(n);
  for (let t = 0; t < rec.nSamples; t++) for (let i = 0; i < n; i++) out[i] += phi.df(rec.data[t * n + i]);
  return out.map((v) => v / rec.nSamples);
}

interface WhittleRefinement {
  fit: RankFit;
  /** effective readout loadings (unit coordinates, fit normalisation), one column per mode */
  nCols: Float64Array[];
  valueAt: (y: Float64Array) => number;
  /** with a network size > recorded units: the corrected readout loadings */
  correction?: ReadoutCorrection;
}

/**
 * Refit g, D and the readout loadings by the spectral low-rank loss (src/loss/lowRankWhittle.ts),
 * started from an exact-form fit of the same rank. The bulk kernel depends on the readout loadings
 * (the part of the bulk input the fitted m absorbs), so it is updated between optimisation runs until
 * the loadings settle. With a network size N > recorded units, the fitted (effective) readout is then
 * corrected for the unrecorded units' predictable readout (src/structure/partial.ts).
 */
async function refineWhittle(
  rec: Recording, basis: StepBasis, phi: Nonlinearity, c: number, floor: number, start: RankFit, nStart: Float64Array[], maxIterations: number, networkSize?: number,
  obsNoise?: { model: ObservationNoisePopulation[]; obs2: number },
): Promise<WhittleRefinement> {
  const n = rec.nUnits;
  const R = start.R;
  const sigma0 = c * Math.exp(start.scalars.logD) + floor;
  // The exact form's g is low by ~sqrt(recorded/total) on partial recordings: allow for 4× in g².
  const st = whittleLowRankStatistics(rec, basis, phi, { bulkToNoise: (4 * Math.exp(start.scalars.logG2)) / sigma0 });
  await yieldToEventLoop();
  const scale = 1 / (n * st.T);
  // θ = [log g², log D, (log σ_obs²), n (unit coordinates, row-major)]
  const off = obsNoise ? 3 : 2;
  let x = new Float64Array(off + n * R);
  x[0] = start.scalars.logG2;
  x[1] = start.scalars.logD;
  if (obsNoise) x[2] = Math.log(obsNoise.obs2);
  nStart.forEach((col, r) => col.forEach((v, i) => (x[off + i * R + r] = v)));
  // The bulk φ-power of the data (bulkSpectrum), held between kernel updates; with observation noise the
  // network's, corrected at each σ_obs² (src/model/observationNoise.ts), with its derivative.
  let observedBulk = bulkSpectrum(st, x.subarray(off), R);
  const slope = obsNoise ? meanSlopes(rec, phi) : new Float64Array(0);
  const bulkAt = (y: Float64Array): { bulk: Float64Array; obs?: WhittleLowRankPoint['obs'] } => {
    if (!obsNoise) return { bulk: observedBulk };
    const obs2 = Math.exp(y[2]);
    const h = 1e-4 * obs2;
    const [lo, mid, hi] = [obs2 - h, obs2, obs2 + h].map((v) => observationNoiseCorrection(obsNoise.model, v, phi)[0]);
    const bulk = observedBulk.map((v, k) => networkPhiPower(v, mid, (2 * Math.PI * k) / st.T));
    const dBulk = observedBulk.map((v, k) => (bulk[k] > 0 ? ((hi.r - lo.r) * v + hi.w - lo.w) / (2 * h) : 0));
    return { bulk, obs: { obs2, dBulk, slope } };
  };
  // bin 0's variance at the scalars of the last kernel update (it informs the modes, not g and D)
  const dcVariance = () => {
    const b = bulkAt(x);
    return c * Math.exp(x[1]) + floor + Math.exp(x[0]) * b.bulk[0] + (b.obs ? b.obs.obs2 * st.noiseShape[0] : 0);
  };
  let s0 = dcVariance();
  const point = (y: Float64Array, N: Float64Array) => ({ g2: Math.exp(y[0]), sigma2: c * Math.exp(y[1]) + floor, Nl: N, R, s0, ...bulkAt(y) });
  const objective = (y: Float64Array) => {
    let ev: ReturnType<typeof whittleLowRankEvaluate>;
    try {
      ev = whittleLowRankEvaluate(st, point(y, y.subarray(off)));
    } catch (e) {
      // a trial step of the line search that collapses the readout loadings: step back
      if (e instanceof RangeError) return { f: Number.POSITIVE_INFINITY, g: new Float64Array(y.length) };
      throw e;
    }
    const g = new Float64Array(y.length);
    g[0] = ev.dG2 * Math.exp(y[0]) * scale;
    g[1] = ev.dSigma2 * c * Math.exp(y[1]) * scale;
    if (obsNoise) g[2] = ev.dObs2 * Math.exp(y[2]) * scale;
    g.set(ev.dN.map((v) => v * scale), off);
    return { f: ev.nll * scale, g };
  };
  let opt: OptimiseResult | undefined;
  for (let round = 0; round < (R > 0 ? 4 : 1); round++) {
    opt = minimiseLBFGS(objective, x, { maxIterations, gradientTolerance: 1e-9, lossTolerance: 1e-12 });
    const moved = Math.abs(opt.x[0] - x[0]);
    x = Float64Array.from(opt.x);
    await yieldToEventLoop();
    if (R === 0 || (round > 0 && moved < 1e-3)) break;
    observedBulk = bulkSpectrum(st, x.subarray(off), R);
    s0 = dcVariance();
  }
  const Nfit = Float64Array.from(x.subarray(off));
  const ev = whittleLowRankEvaluate(st, point(x, Nfit));
  const nCols = Array.from({ length: R }, (_, r) => Float64Array.from({ length: n }, (_, i) => Nfit[i * R + r]));
  const fit: RankFit = { R, scalars: { logG2: x[0], logD: x[1], J0: 0 }, Nt: new Float64Array(0), M: ev.M, nll: ev.nll, opt: opt! };
  let valueAt = (y: Float64Array) => whittleLowRankEvaluate(st, point(y, Nfit)).nll;
  if ((networkSize !== undefined && R > 0) || (obsNoise && R === 0)) {
    // Partial recording: g² and σ² from the inputs orthogonal to span(m̂) across the recorded units, where
    // the readout's misses (the unrecorded units' private readout) cannot pass for bulk power. At rank 0
    // with observation noise (all inputs), for the own-power term (src/loss/whittle.ts): without it ĝ came
    // out +12–18 % on i.i.d. networks of 100 units at g 0.3, σ_obs 0.1 (with it −2 %, +4 %). Not at rank > 0
    // on a full recording: on issue 3's teacher ĝ fell from −9 % to −25 % (realisation 7:3) and +2 % to −5 % (8:4). The modes
    // stay as fitted; the scalars' curvature (their uncertainty) is this loss's. The bulk spectrum stays
    // P̄_φ⊥: the profiled m̂ also absorbs the bulk's input driven by the modes' activity (random weights
    // times ψ), so span(m̂) removes it too; with the whole P̄_φ, ĝ fell by up to 100 %.
    const modes = modeSubspace(rec, basis, ev.M, R, st.T);
    const own = n >= OWN_POWER_MIN_UNITS ? ownPowerResidual(rec, basis, phi, modes, st.T, st.phiPower) : undefined;
    const orthogonal = (y: Float64Array) => {
      const b = bulkAt(y);
      return orthogonalBulkEvaluate(st, modes.power, b.bulk, R, Math.exp(y[0]), c * Math.exp(y[1]) + floor, own, b.obs);
    };
    const o = minimiseLBFGS(
      (y) => {
        const e = orthogonal(y);
        const g = Float64Array.of(e.dG2 * Math.exp(y[0]) * scale, e.dSigma2 * c * Math.exp(y[1]) * scale, e.dObs2 * Math.exp(y[2] ?? 0) * scale);
        return { f: e.nll * scale, g: g.subarray(0, off) };
      },
      Float64Array.from(x.subarray(0, off)),
      { maxIterations, gradientTolerance: 1e-10, lossTolerance: 1e-14 },
    );
    const xo = Float64Array.from(opt!.x);
    xo.set(o.x, 0);
    fit.scalars = { logG2: o.x[0], logD: o.x[1], J0: 0 };
    if (obsNoise) xo[2] = o.x[2];
    fit.opt = { ...opt!, x: xo, converged: opt!.converged && o.converged };
    valueAt = (y: Float64Array) => orthogonal(y).nll;
  }
  // Partial recording: the effective readout, corrected with φ's covariance over time (Parseval: Ctot
  // sums the centred products over the FFT length).
  const correction = networkSize !== undefined && R > 0 ? readoutCorrection(ev.M, Nfit, n, R, st.Ctot.map((v) => v / st.T), networkSize) : undefined;
  return { fit, nCols, valueAt, correction };
}

/**
 * The fitted effective readout (fit normalisation, over the recorded units) in the gauge of canonical
 * input loadings mc: with m̂ = mc G⁻¹, the mode input m̂ κ̂ = mc κ_c, κ_c = G⁻¹ κ̂ = (1/n) Φ (n̂ G⁻ᵀ).
 */
function canonicalReadout(mc: readonly Float64Array[], mFit: readonly Float64Array[], nFit: readonly Float64Array[]): Float64Array[] {
  const Gi = projectionCoefficients(mc, mFit);
  return Gi.map((row) => Float64Array.from(nFit[0], (_, i) => row.reduce((a, g, q) => a + g * nFit[q][i], 0)));
}

/** (BᵀB)⁻¹BᵀT for column sets B (basis) and T (target): entry [a][b] is the coefficient of basis a in target b. */
function projectionCoefficients(basis: readonly Float64Array[], target: readonly Float64Array[]): number[][] {
  const R = basis.length;
  const BtB = new Float64Array(R * R);
  const BtT = new Float64Array(R * R);
  for (let a = 0; a < R; a++)
    for (let b = 0; b < R; b++) {
      let s = 0;
      let t = 0;
      for (let i = 0; i < basis[a].length; i++) {
        s += basis[a][i] * basis[b][i];
        t += basis[a][i] * target[b][i];
      }
      BtB[a * R + b] = s;
      BtT[a * R + b] = t;
    }
  const inv = inverseOrThrow(BtB, R);
  return Array.from({ length: R }, (_, a) => Array.from({ length: R }, (_, b) => {
    let v = 0;
    for (let q = 0; q < R; q++) v += inv[a * R + q] * BtT[q * R + b];
    return v;
  }));
}

/** units × rank rows from rank column vectors */
function rowsOf(cols: Float64Array[], n: number): number[][] {
  return Array.from({ length: n }, (_, i) => cols.map((c) => c[i]));
}

/**
 * Modes held at a non-zero fixed point: the time mean of the latent current exceeds ten times its standard
 * deviation (a fluctuating mode, as in issue 3's teacher, has a ratio below 1; held ones 10–40).
 */
function heldModes(kappa: readonly number[][]): { mode: number; ratio: number }[] {
  return kappa.flatMap((k, r) => {
    const mean = k.reduce((a, v) => a + v, 0) / k.length;
    const sd = Math.sqrt(k.reduce((a, v) => a + (v - mean) ** 2, 0) / k.length);
    const ratio = Math.abs(mean) / sd;
    return ratio > 10 ? [{ mode: r + 1, ratio }] : [];
  });
}

/**
 * Readout currents κ_r(t) = (1/n) Σ_j n_rj φ(x_j(t)) for every sample (rank × samples), over the given
 * units of the recording (all by default; n = their number, the loadings' normalisation). Low-rank
 * latent currents and multiregion link currents are both this.
 */
export function latentCurrents(rec: Recording, phi: { f: (x: number) => number }, nCols: readonly ArrayLike<number>[], units?: readonly number[]): number[][] {
  const src = units ?? Array.from({ length: rec.nUnits }, (_, j) => j);
  const n = src.length;
  const out = nCols.map(() => new Array<number>(rec.nSamples).fill(0));
  for (let t = 0; t < rec.nSamples; t++) {
    for (let b = 0; b < n; b++) {
      const f = phi.f(rec.data[t * rec.nUnits + src[b]]);
      for (let r = 0; r < nCols.length; r++) out[r][t] += (nCols[r][b] * f) / n;
    }
  }
  return out;
}
