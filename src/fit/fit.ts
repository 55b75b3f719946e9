/**
 * Fit the random-network parameters to a recording by minimising the rate-function loss
 * (THEORY §2): spectral statistics → NNLS initialisation (§2.4) over a grid of time constants and
 * scales → L-BFGS on autodiff gradients → curvature uncertainty. Returns plain data (FitResult);
 * writing the fit file is the caller's business.
 */
import { initBackend, tf } from '../backend.js';
import { InputError } from '../errors.js';
import { nonlinearity, type PhiName } from '../nonlinearity.js';
import { yieldToEventLoop } from '../util/yield.js';
import {
  type Discretisation, type ModelConfig, type NaturalParams, type ParamKind, type ParamLayout,
  LOG_FLOOR, pack, parameterLayout, stepCoefficients, unpack,
} from '../model/parameters.js';
import { blockMeans, type Recording } from '../recording/types.js';
import { fftLength } from '../statistics/fft.js';
import { checkDataScale } from '../statistics/scale.js';
import { whiteNoiseHint } from '../statistics/whiteNoise.js';
import {
  type BasisSpec, type SpectralStatistics, grandMean, phiSpectra, spectralStatistics,
} from '../statistics/spectra.js';
import { exactLoss, exactLossValue, exactStatistics, type ExactStatistics } from '../loss/exact.js';
import { exactPopulationStatistics, exactPopulationsLoss } from '../loss/exactPopulations.js';
import { prepareEigensolver } from '../linalg/eigh.js';
import { observationNoiseModel } from '../model/observationNoise.js';
import { deconvolveIndicator, type IndicatorBlock, indicatorBlockLength, indicatorPole } from '../model/indicator.js';
import { networkNoiseShape, obsNoisePower, whittleLoss, whittleLossValue, type LossFunction } from '../loss/whittle.js';
import { normalQuantile } from '../statistics/normal.js';
import { minimiseLBFGS, type OptimiseResult, type ValueAndGradient } from './lbfgs.js';
import { nnls } from './nnls.js';
import {
  covarianceFromHessian, deltaMethod, hessian, hessianFromValues, numericGradient,
  type Covariance, type DerivedQuantity, type Estimate,
} from './uncertainty.js';
import { effectiveGain } from '../linalg/small.js';

export type LossForm = 'whittle' | 'exact';

export interface FitOptions {
  phi: PhiName;
  /** Sampling interval in the user's time unit (overrides the recording's). */
  dt?: number;
  loss?: LossForm;
  discretisation?: Discretisation;
  /** Fit τ (else fixed at `tau`, default 1: time measured in units of τ). */
  fitTau?: boolean;
  tau?: number;
  /** Fit an observation scale and offset, x_model = (x_data − offset)/scale (exact loss only: the spectral loss does not identify the scale). */
  fitScale?: boolean;
  /** Fit the mean coupling J0 (default true). */
  fitJ0?: boolean;
  /** Fit the leak shape s of U(x) = x²/2 − s log cosh x (else fixed at `leak`, default 0). */
  fitLeak?: boolean;
  leak?: number;
  /** Population of each recorded unit (index into populationNames). Default: one population. */
  populations?: { names: string[]; groups: Int32Array };
  /**
   * A given coupling matrix W (a connectome), n×n row-major over the recorded units (row = target, zero
   * rows and columns for units it lacks): J = a·W + J0/N + g·Z/√N with a fitted (exact loss, one population).
   */
  connectome?: Float64Array;
  /** Fit white observation noise σ_obs on x (x_data = x + ε; spectral loss, one or more populations; src/loss/whittle.ts). */
  obsNoise?: boolean;
  /**
   * The data are a calcium indicator's trace of x with this decay time (the recording's time unit; implies
   * obsNoise): the indicator is undone before the fit and σ_obs is the noise on the trace (src/model/indicator.ts).
   */
  indicatorDecay?: number;
  maxIterations?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface FitResult {
  params: Record<string, Estimate>;
  /** Point estimates in the model's own form (g² blocks etc.). */
  natural: NaturalParams;
  correlation: { names: string[]; matrix: number[][] };
  loss: { form: LossForm; value: number; perSample: number };
  convergence: {
    converged: boolean;
    reason: string;
    iterations: number;
    evaluations: number;
    gradientMaxAbs: number;
    starts: number;
    hessianPositiveDefinite: boolean;
  };
  data: { units: number; samples: number; samplesUsed: number; dt: number; populations: { name: string; units: number; unitNames?: string[] }[] };
  model: {
    phi: PhiName;
    discretisation: Discretisation;
    fitted: string[];
    fixed: Record<string, number>;
    /** The calcium indicator undone before the fit (fit --indicator-decay; src/model/indicator.ts). */
    indicator?: { decay: number; pole: number; block: number; noiseToSignal: number };
  };
  /** Params whose interval is a weak-coupling one: g (or g² blocks) held at 0 or with a profile-likelihood interval. */
  weakIntervals?: string[];
  notes: string[];
}

interface Prepared {
  cfg: ModelConfig;
  layout: ParamLayout;
  loss: LossFunction;
  normaliser: number;
  dispose: () => void;
  /** Initial θ candidates, best first. */
  starts: Float64Array[];
  samplesUsed: number;
  /** Constant subtracted from the data before the loss (offset is reported relative to data units). */
  offsetShift: number;
  /** For the exact loss: its statistics and σ² floor (float64 evaluation of profile likelihoods). */
  exact?: { stats: ExactStatistics; floor: number };
  /** Float64 reference of the loss in nats, when the loss form has one (exact). */
  value64?: (theta: Float64Array) => number;
  /** σ² floor per population (THEORY §2.3 caveat 1). */
  sigma2Floor: number[];
  /** The loss's gradient is computed in float64 (analytic custom gradient): use it in the polish. */
  accurateGradient?: boolean;
  /**
   * With observation noise, the natural sizes of σ_obs² and D for holding them at 0 (settleAtZero): the
   * best start's D and the σ_obs² whose power at the Nyquist bin equals that D's network noise.
   */
  noiseUnits?: { obsNoise2: number; D: number };
  /** With observation noise: the data's mean variance within units, from the noise model's per-unit statistics. */
  dataVariance?: number;
}

export async function fitRecording(rec: Recording, opts: FitOptions): Promise<FitResult> {
  await initBackend(); // the default backend unless the caller chose one
  const dt = opts.dt ?? rec.dt;
  if (!(dt !== undefined && dt > 0)) throw new InputError('the sampling interval is unknown: give --dt (or a time column)', { field: '--dt' });
  // τ and the observation scale are identified by the regression form (see report notes), so they
  // default to the exact loss; otherwise the spectral loss, which also works on subsamples.
  if (opts.indicatorDecay !== undefined) opts = { ...opts, obsNoise: true };
  const form = opts.loss ?? (!opts.obsNoise && (opts.fitTau || opts.fitScale || opts.connectome) ? 'exact' : 'whittle');
  if (opts.obsNoise) checkObsNoise(opts, form);
  const seen = opts.indicatorDecay === undefined ? undefined : undoIndicator(rec, dt, opts.indicatorDecay, opts);
  if (seen) rec = seen.rec;
  const popNames = opts.populations?.names ?? ['all'];
  const groups = opts.populations?.groups ?? new Int32Array(rec.nUnits);
  const P = popNames.length;
  const connectome = opts.connectome ? normalisedConnectome(opts.connectome, rec.nUnits, form, P) : undefined;
  const cfg: ModelConfig = {
    ...(connectome ? { connectome: connectome.W, connectomeNorm: connectome.norm } : {}),
    phi: opts.phi,
    populationNames: popNames,
    dt: seen?.rec.dt ?? dt,
    discretisation: opts.discretisation ?? 'euler',
    fitTau: opts.fitTau ?? false,
    tau: opts.tau ?? 1,
    fitScale: opts.fitScale ?? false,
    fitJ0: opts.fitJ0 ?? true,
    fitLeak: opts.fitLeak ?? false,
    leak: opts.leak ?? 0,
    ...(opts.obsNoise ? { fitObsNoise: true } : {}),
    ...(seen ? { indicator: { pole: seen.pole, block: seen.block } } : {}),
  };
  // The spectral loss does not identify the observation scale: its fit ends flat along it, every
  // standard error undefined (N 50, g 1.5, 150 τ). The regression form sees which columns of Φ explain x.
  if (form === 'whittle' && cfg.fitScale) {
    throw new InputError(
      'the spectral loss (--loss whittle) does not identify the observation scale (the fit is flat along it, with no standard errors); ' +
        `use --loss exact (the default with --fit-scale: omit --loss)${P > 1 ? ', which fits one population only' : ''}, or drop --fit-scale and rescale the data`,
      { field: '--fit-scale' },
    );
  }
  if (form === 'exact' && P > 1 && cfg.fitScale) {
    throw new InputError('--fit-scale needs the exact loss, which fits one population only: drop --populations, or drop --fit-scale and rescale the data', { field: '--populations' });
  }
  if (form === 'exact' && P > 1 && (cfg.fitTau || cfg.fitLeak || cfg.leak !== 0)) {
    throw new InputError('the exact loss with several populations supports a fixed τ and leak only (drop --fit-tau/--leak/--fit-leak, or use --loss whittle)', { field: '--populations' });
  }
  if (cfg.fitScale && (cfg.fitLeak || cfg.leak !== 0)) throw new InputError('--fit-scale cannot be combined with a leak shape s', { field: '--fit-scale' });
  const minSamples = form === 'whittle' ? 64 : 16;
  if (rec.nSamples < minSamples) throw new InputError(`the ${form} loss needs at least ${minSamples} samples, got ${rec.nSamples}`);
  for (let a = 0; a < P; a++) {
    if (!groups.some((g) => g === a)) throw new InputError(`population '${popNames[a]}' has no recorded units`, { field: '--populations' });
  }
  if (!cfg.fitScale) checkDataScale(rec, FIT_SCALE_REMEDY);
  const layout = parameterLayout(cfg);
  if (form === 'exact') await prepareEigensolver();
  if (form === 'exact' && cfg.fitScale) return fitExactProfiled(rec, cfg, layout, opts);
  await yieldToEventLoop();
  const prep =
    form === 'whittle' ? prepareWhittle(rec, groups, cfg, layout) : P > 1 ? prepareExactPopulations(rec, groups, cfg, layout) : prepareExact(rec, cfg, layout);
  await yieldToEventLoop();
  try {
    const result = runFit(rec, prep, form, opts);
    if (!seen) return result;
    const { decay, pole, block, noiseToSignal, capped } = seen;
    result.model.indicator = { decay, pole, block, noiseToSignal };
    // (in place of the white-noise note, which is about white noise on x)
    result.notes = [indicatorNote(seen, dt), ...result.notes.filter((t) => t !== OBS_NOISE_NOTE)];
    if (capped) result.notes.push(`the indicator's noise is ${noiseToSignal.toFixed(1)}× x's variance even in blocks of ${block} samples (the longest allowed, ${INDICATOR_MAX_BLOCK_TAU} τ): its estimates may be far off (bench/indicator.ts: ĝ 1.35–1.39× and D̂ ≈ 0 at 1.3× in blocks of 5)`);
    return result;
  } finally {
    prep.dispose();
  }
}

/** The longest block of the indicator fit, in units of τ (the fixed τ, or with --fit-tau the decay time). */
const INDICATOR_MAX_BLOCK_TAU = 0.25;

interface SeenThroughIndicator extends IndicatorBlock {
  rec: Recording;
  decay: number;
  pole: number;
}

/** The recording with the indicator undone and block-averaged as src/model/indicator.ts says (checkObsNoise has refused what the noise model does not cover). */
function undoIndicator(rec: Recording, dt: number, decay: number, opts: FitOptions): SeenThroughIndicator {
  const pole = indicatorPole(decay, dt);
  if (rec.nSamples < 16) throw new InputError(`undoing the indicator needs at least 16 samples, got ${rec.nSamples}`);
  const deconvolved = { ...deconvolveIndicator(rec, pole), dt };
  const choice = indicatorBlockLength(rec, deconvolved, pole, (INDICATOR_MAX_BLOCK_TAU * (opts.fitTau ? decay : opts.tau ?? 1)) / dt);
  return { ...choice, rec: choice.block > 1 ? blockMeans(deconvolved, choice.block, dt) : deconvolved, decay, pole };
}

function indicatorNote(seen: SeenThroughIndicator, dt: number): string {
  const blocks =
    seen.block > 1
      ? `, then averaged over blocks of ${seen.block} samples (${(seen.block * dt).toPrecision(3)}), where its noise is ${seen.noiseToSignal.toFixed(2)}× x's variance ` +
        '(block means are the network\'s process only approximately: on simulated networks ĝ within 1.2 % at g 1.5 but +8 % to +29 % at g 0.5 in blocks of 2 to 5, D̂ up to 20 % low)'
      : `; its noise is ${seen.noiseToSignal.toFixed(2)}× x's variance`;
  return (
    `calcium indicator: decay ${seen.decay} (γ ${seen.pole.toFixed(4)} per sample) undone on the trace, x̃[t] = (F[t] − γF[t−1])/(1 − γ)${blocks}; ` +
    'obsNoise is the white noise on the trace, which the deconvolution colours (the loss models that); g, D and τ describe the network\'s x ' +
    "(forecast's theory kernel, predict and dimension put the indicator back to compare with traces; the plug-in kernel and the network ensemble, which need x from the recording, refuse this fit)"
  );
}

/**
 * Observation noise is a term of the spectral loss: the regression form conditions on φ(x) of the
 * recorded x, which such noise makes an errors-in-variables problem. Its filter through y is linear in
 * x, so a leak shape s (a tanh x term in y) is not covered, nor is the observation scale (which the
 * spectral loss does not identify).
 */
function checkObsNoise(opts: FitOptions, form: LossForm): void {
  // named by the option the user gave: --indicator-decay implies the noise term
  const field = opts.indicatorDecay === undefined ? '--obs-noise' : '--indicator-decay';
  const what = opts.indicatorDecay === undefined ? 'observation noise (--obs-noise)' : 'a calcium indicator (--indicator-decay, with its observation noise)';
  if (form !== 'whittle') throw new InputError(`${what} is fitted with the spectral loss: drop --loss exact (the regression form takes the recorded x as the network's, noise and all)`, { field });
  if (opts.fitScale) throw new InputError(`${field} cannot be combined with --fit-scale (the spectral loss does not identify the observation scale): rescale the data instead`, { field });
  if (opts.connectome) throw new InputError(`${field} cannot be combined with --connectome (a connectome fit uses the exact loss)`, { field });
  if (opts.fitLeak || (opts.leak ?? 0) !== 0) throw new InputError(`${field} needs the plain leak U = x²/2: drop --leak/--fit-leak`, { field });
}

/**
 * W scaled to ‖W‖_F/√n = 1, so that its gain g_W is of order one like g (the optimiser's steps and the
 * Hessian's differences are relative to order-one parameters).
 */
function normalisedConnectome(W: Float64Array, n: number, form: LossForm, P: number): { W: Float64Array; norm: number } {
  if (form !== 'exact') throw new InputError('a given coupling matrix (--connectome) is fitted with the exact loss (its input to each unit is a regression on the recorded activity); drop --loss whittle', { field: '--connectome' });
  if (P > 1) throw new InputError('a given coupling matrix (--connectome) is fitted with one population; drop --populations', { field: '--connectome' });
  if (W.length !== n * n) throw new RangeError(`the coupling matrix must be ${n}×${n} (the recorded units), got ${W.length} entries`);
  const norm = effectiveGain(W, n);
  if (!Number.isFinite(norm)) throw new InputError('the coupling matrix has a non-finite entry', { field: '--connectome' });
  if (norm === 0) throw new InputError('the coupling matrix is zero among the recorded units: no recorded unit receives input from another through it', { field: '--connectome' });
  return { W: W.map((v) => v / norm), norm };
}

function basisFor(cfg: ModelConfig): BasisSpec {
  if (!cfg.fitTau && !cfg.fitLeak) {
    const k = stepCoefficients(cfg.dt, cfg.tau, cfg.discretisation);
    return { names: ['y'], fixed: { a: k.a, b: k.b, s: cfg.leak } };
  }
  return { names: cfg.fitLeak || cfg.leak !== 0 ? ['dx', 'x0', 'tanh'] : ['dx', 'x0'] };
}

/** Weights w of y = Σ w_c B_c at a given τ and leak (float64 mirror of basisWeights). */
function weightsAt(names: readonly string[], k: { a: number; b: number }, leak: number): number[] {
  return names.map((n) => (n === 'y' ? 1 : n === 'dx' ? k.a : n === 'x0' ? k.a + k.b : -leak));
}

/** Population-averaged y-periodogram P̄_y,α(k), k = 1..T/2, at given basis weights and scale. */
function yPower(stats: SpectralStatistics, alpha: number, w: number[], scale: number): Float64Array {
  const p = stats.populations[alpha];
  const out = new Float64Array(stats.nBins - 1);
  stats.pairs.forEach(([c, d], q) => {
    const f = (c === d ? 1 : 2) * w[c] * w[d];
    const cr = p.cross[q];
    for (let k = 1; k < stats.nBins; k++) out[k - 1] += (f * cr[k]) / (p.n * scale * scale);
  });
  return out;
}

function prepareWhittle(rec: Recording, groups: Int32Array, cfg: ModelConfig, layout: ParamLayout): Prepared {
  const phi = nonlinearity(cfg.phi);
  const P = layout.P;
  const T = fftLength(rec.nSamples - 1);
  const basis = basisFor(cfg);
  const shift = cfg.fitScale ? grandMean(rec) : 0;
  const stats = spectralStatistics(rec, groups, P, basis, phi, T, { shift, phiAtIdentity: !cfg.fitScale });

  // Candidate time constants and scales for the (non-convex) τ/scale directions.
  const taus = cfg.fitTau ? logGrid(2 * cfg.dt, Math.max(4 * cfg.dt, (T * cfg.dt) / 20), 16) : [cfg.tau];
  let sd = 1;
  if (cfg.fitScale) {
    let s2 = 0;
    for (let k = 0; k < rec.data.length; k++) s2 += (rec.data[k] - shift) ** 2;
    sd = Math.sqrt(s2 / rec.data.length);
  }
  const scales = cfg.fitScale ? [0.5, 1, 2].map((f) => f * sd) : [1];
  // σ² floor (caveat 1): negligible in every bin — 1e-4 of the smallest y power at the middle
  // candidate. (Relative to the mean power it would act as noise at high frequencies, where
  // noise-free data have 10⁻⁷ of the peak power, and bias g down.)
  const k0 = stepCoefficients(cfg.dt, taus[Math.floor(taus.length / 2)], cfg.discretisation);
  const floor = stats.populations.map((_, a) => {
    const py = yPower(stats, a, weightsAt(basis.names, k0, cfg.leak), scales[Math.floor(scales.length / 2)]);
    return 1e-4 * py.reduce((m, v) => Math.min(m, v), Infinity) + 1e-300;
  });
  const obsNoiseModel = cfg.fitObsNoise ? observationNoiseModel(rec, groups, P, phi) : undefined;
  const inputs = { stats, cfg, layout, sigma2Floor: floor, source: rec, groups, phi, ...(obsNoiseModel ? { obsNoiseModel } : {}) };
  const { loss, normaliser, dispose } = whittleLoss(inputs);
  const value64 = (theta: Float64Array) => whittleLossValue(inputs, theta);
  const candidates: { theta: Float64Array; f: number }[] = [];
  for (const sc of scales) {
    const phiPower = cfg.fitScale
      ? phiSpectra(rec, groups, P, phi, T, { shift, offset: 0, scale: sc }).value.power
      : stats.phi!.power;
    for (const tau of taus) {
      const k = stepCoefficients(cfg.dt, tau, cfg.discretisation);
      const w = weightsAt(basis.names, k, cfg.leak);
      const nat: NaturalParams = {
        g2: [], D: [], J0: Array.from({ length: P }, () => new Array<number>(P).fill(0)), tau, offset: 0, scale: sc, leak: cfg.leak,
      };
      // with observation noise, its filter |a e^{iω} + b|² as one more regressor (one σ_obs² for all populations)
      const noiseShape = cfg.fitObsNoise ? Float64Array.from({ length: stats.nBins - 1 }, (_, j) => obsNoisePower(1, k.a, k.b, (2 * Math.PI * (j + 1)) / T, cfg.indicator)) : undefined;
      const obs: number[] = [];
      for (let a = 0; a < P; a++) {
        // §2.4 regression: P̄_y(k) on [1, P̄_φβ(k)] with non-negative coefficients (σ², g²_αβ).
        const y = yPower(stats, a, w, sc);
        const X = [Float64Array.from(y, (_, j) => networkNoiseShape(cfg.indicator, (2 * Math.PI * (j + 1)) / T)), ...phiPower.map((pw) => pw.subarray(1)), ...(noiseShape ? [noiseShape] : [])];
        const beta = nnls(X, y);
        nat.D.push(Math.max(beta[0] - floor[a], 1e-3 * floor[a] + 1e-12) / k.c);
        // Start every block at ≥ 10 % of its row's largest: in log g² a block started near zero has a
        // vanishing gradient and never leaves the boundary, whatever the data say.
        const row = Array.from(beta.subarray(1, 1 + P));
        const top = Math.max(...row, 1e-2);
        nat.g2.push(row.map((v) => Math.max(v, 0.1 * top)));
        if (noiseShape) obs.push(beta[1 + P]);
      }
      // σ_obs² likewise started away from zero: at least the value with 1 % of the network noise's power at the Nyquist bin
      if (noiseShape) nat.obsNoise2 = Math.max(obs.reduce((acc, v) => acc + v, 0) / P, 0.01 * obsNoiseMatching(Math.min(...nat.D), k, cfg));
      const theta = pack(nat, layout);
      candidates.push({ theta, f: evaluate(loss, theta) });
    }
  }
  candidates.sort((a, b) => a.f - b.f);
  const starts = candidates.filter((c) => Number.isFinite(c.f)).slice(0, cfg.fitTau || cfg.fitScale ? 3 : 1).map((c) => c.theta);
  const startD = candidates.length ? Math.min(...unpack(candidates[0].theta, layout, cfg).D) : 1;
  const noiseUnits = cfg.fitObsNoise ? { obsNoise2: obsNoiseMatching(startD, k0, cfg), D: startD } : undefined;
  const dataVariance = obsNoiseModel ? obsNoiseModel.reduce((acc, p) => acc + p.variance.reduce((a, v) => a + v, 0), 0) / rec.nUnits : undefined;
  return {
    cfg, layout, loss, normaliser, dispose, starts, samplesUsed: T + 1, offsetShift: shift, value64, sigma2Floor: floor,
    ...(noiseUnits ? { noiseUnits } : {}), ...(dataVariance !== undefined ? { dataVariance } : {}),
  };
}

/** The σ_obs² whose power in y at the Nyquist bin equals that of network noise D (flat, c·D). */
function obsNoiseMatching(D: number, k: { a: number; b: number; c: number }, cfg: ModelConfig): number {
  return (k.c * D * networkNoiseShape(cfg.indicator, Math.PI)) / obsNoisePower(1, k.a, k.b, Math.PI, cfg.indicator);
}

function prepareExact(rec: Recording, cfg: ModelConfig, layout: ParamLayout, warm?: Float64Array): Prepared {
  const phi = nonlinearity(cfg.phi);
  const basis = basisFor(cfg);
  const stats = exactStatistics(rec, basis, phi, cfg.connectome);
  const taus = cfg.fitTau ? logGrid(2 * cfg.dt, Math.max(4 * cfg.dt, (stats.T * cfg.dt) / 20), 16) : [cfg.tau];
  const k0 = stepCoefficients(cfg.dt, taus[Math.floor(taus.length / 2)], cfg.discretisation);
  const w0 = weightsAt(basis.names, k0, cfg.leak);
  let yVar = 0;
  stats.pairs.forEach(([c, d], q) => (yVar += (c === d ? 1 : 2) * w0[c] * w0[d] * stats.yy[q]));
  // σ² floor (§2.3 caveat 1): 1e-8 of the per-sample y variance keeps noise-free data finite (V20). It can
  // be that small because the quadratic form no longer cancels in float32: ‖B_⊥‖², the part of y no
  // coupling row explains, is precomputed in float64 (exactStatistics) rather than formed in the loss as
  // ‖y‖² minus the explained part. (1e-6 gives the same V20 fit; at 1e-11 one of two V20 seeds tried diverged.)
  const floor = (1e-8 * yVar) / (stats.n * stats.T);
  const { loss, normaliser, dispose } = exactLoss({ stats, cfg, layout, sigma2Floor: floor });
  const exact = { stats, floor };
  const value64 = (theta: Float64Array) => {
    const nat = unpack(theta, layout, cfg);
    const k = stepCoefficients(cfg.dt, nat.tau, cfg.discretisation);
    return exactLossValue(stats, { g2: nat.g2[0][0], D: nat.D[0], J0: nat.J0[0][0], a: k.a, c: k.c, w: weightsAt(basis.names, k, nat.leak), gW: nat.gW }, floor);
  };
  if (warm) return { cfg, layout, loss, normaliser, dispose, starts: [warm], samplesUsed: stats.T + 1, offsetShift: 0, exact, value64, sigma2Floor: [floor] };
  // Initialise from the whittle-style moments: total y variance split by a coarse g² grid.
  const candidates: { theta: Float64Array; f: number }[] = [];
  for (const tau of taus) {
    const k = stepCoefficients(cfg.dt, tau, cfg.discretisation);
    for (const g2 of [0.25, 1, 2.25, 4]) {
      const nat: NaturalParams = { g2: [[g2]], D: [0], J0: [[0]], tau, offset: 0, scale: 1, leak: cfg.leak };
      const w = weightsAt(basis.names, k, cfg.leak);
      let v = 0;
      stats.pairs.forEach(([c, d], q) => (v += (c === d ? 1 : 2) * w[c] * w[d] * stats.yy[q]));
      nat.D[0] = Math.max((0.8 * v) / (stats.n * stats.T), floor) / k.c;
      const theta = pack(nat, layout);
      candidates.push({ theta, f: evaluate(loss, theta) });
    }
  }
  candidates.sort((a, b) => a.f - b.f);
  const starts = candidates.filter((c) => Number.isFinite(c.f)).slice(0, cfg.fitTau ? 3 : 1).map((c) => c.theta);
  return { cfg, layout, loss, normaliser, dispose, starts, samplesUsed: stats.T + 1, offsetShift: 0, exact, value64, sigma2Floor: [floor] };
}

/**
 * Exact loss with several populations (THEORY §2.5 in the §2.3 form): one Cholesky per population
 * and evaluation. Started from the spectral NNLS regression, which needs no N×N work.
 */
function prepareExactPopulations(rec: Recording, groups: Int32Array, cfg: ModelConfig, layout: ParamLayout): Prepared {
  const spectral = prepareWhittle(rec, groups, cfg, layout);
  const start = spectral.starts[0];
  spectral.dispose();
  const basis = basisFor(cfg);
  const stats = exactPopulationStatistics(rec, groups, layout.P, basis, nonlinearity(cfg.phi));
  // σ² floor per population: 1e-8 of its mean y² per sample (negligible; see prepareExact).
  const floor = stats.yy.map((v, a) => (1e-8 * v) / Math.max(1, stats.sizes[a] * stats.T));
  const { loss, normaliser, dispose, value64 } = exactPopulationsLoss({ stats, cfg, layout, sigma2Floor: floor });
  return { cfg, layout, loss, normaliser, dispose, starts: [start], samplesUsed: stats.T + 1, offsetShift: 0, value64, sigma2Floor: floor, accurateGradient: true };
}

function evaluate(loss: LossFunction, theta: Float64Array): number {
  return tf.tidy(() => loss(tf.tensor1d(Float32Array.from(theta))).dataSync()[0]);
}

function valueAndGradient(loss: LossFunction): (x: Float64Array) => ValueAndGradient {
  const vg = tf.valueAndGrad(loss as (x: tf.Tensor) => tf.Scalar);
  return (x) => {
    const th = tf.tensor1d(Float32Array.from(x));
    const { value, grad } = vg(th);
    const f = value.dataSync()[0];
    const g = Float64Array.from(grad.dataSync());
    th.dispose();
    value.dispose();
    grad.dispose();
    return { f, g };
  };
}

function logGrid(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo * Math.pow(hi / lo, i / (n - 1)));
}

interface Optimised {
  opt: OptimiseResult;
  cov: Covariance;
  /** Blocks held at g² = 0 (θ index) with the standard error of g² there (see settleAtZero). */
  atZero: { index: number; se: number }[];
  /** Weakly determined g² blocks with their profile-likelihood 95 % intervals (see profileG2Intervals). */
  profiled: ProfiledG2[];
}

interface ProfiledG2 {
  index: number;
  /** log-scale standard error that made the block weakly determined */
  logSe: number;
  /** 95 % interval of g² */
  lower: number;
  upper: number;
}

/**
 * L-BFGS from every start, then Newton polishing with a convergence test in standard-error units.
 * `intervals`: profile the weakly determined g² blocks (off inside other profiles, where only the optimum counts).
 */
function optimise(prep: Prepared, opts: FitOptions, polish = true, intervals = true): Optimised {
  if (!prep.starts.length) {
    // float32 tensors: powers of values beyond ~1e19 (or below ~1e-19) overflow or vanish
    throw new InputError('the loss is not finite at any starting point: check --dt, and the scale of the data (the model works in float32: values far from order one need rescaling, or --fit-scale)');
  }
  const fg = valueAndGradient(prep.loss);
  let best: OptimiseResult | undefined;
  prep.starts.forEach((x0, s) => {
    const res = minimiseLBFGS(fg, x0, {
      maxIterations: opts.maxIterations ?? 300,
      gradientTolerance: 2e-6,
      lossTolerance: 1e-9,
      onIteration: (it) => opts.onProgress?.('optimising', s * 300 + it, prep.starts.length * 300),
    });
    if (!best || res.f < best.f) best = res;
  });
  const opt = best!;
  if (!polish) return { opt, cov: { matrix: [], positiveDefinite: false, smallestEigenvalue: NaN, largestEigenvalue: NaN }, atZero: [], profiled: [] };
  // Converged when the estimate is within a tenth of a standard error of the optimum (the polish aims
  // for 1 %; float32 noise can stop it between the two).
  const converged = (p: Polished) => Number.isFinite(p.ratio) && p.ratio < 0.1 && p.cov.positiveDefinite;
  const first = newtonPolish(prep, fg, opt, Array.from(opt.x, (_, i) => i));
  // A block unresolved from zero can also pass the test (a flat loss gives a tiny Newton step): try the hold then too
  const held = prep.value64 && (!converged(first) || zeroCandidates(prep.layout, first).length) ? settleAtZero(prep, fg, opt, first) : undefined;
  const res = held?.polished ?? first;
  const atZero = held?.atZero ?? [];
  if (prep.value64) opt.f = prep.value64(opt.x) / prep.normaliser;
  opt.converged = converged(res);
  const steps = first.steps + (held?.polished.steps ?? 0);
  const zeroNames = atZero.map(({ index }) => prep.layout.entries[index].name.replace(/^log /, ''));
  // (held.cov spans every coordinate, the held blocks in g² units; res.cov only the ones polished)
  opt.reason = polishReason(opt.reason, held?.cov ?? res.cov, res.ratio, steps, prep.layout) + (zeroNames.length ? `; ${zeroNames.join(', ')} held at 0, where the loss is lowest` : '');
  opt.gradientMaxAbs = fg(opt.x).g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const cov = held?.cov ?? res.cov;
  const profiled = intervals && opt.converged ? profileG2Intervals(prep, fg, opt, cov, atZero.map((z) => z.index), opts.onProgress) : [];
  return { opt, cov, atZero, profiled };
}

/** Log-scale SE of g² above which its interval is a profile-likelihood one. */
const WEAK_LOG_SE = 0.5;

/**
 * 95 % intervals of weakly determined g² blocks (log-scale SE > 0.5) from the profile likelihood: the
 * g² where the loss, minimised over every other free parameter, rises by χ²₁(0.95)/2 = 1.92 nats, with
 * 0 as the lower end when g² = 0 lies within that. A log-normal (delta-method) interval cannot contain
 * 0 and, this wide, is not what the loss says (g = 0, spectral: ĝ 0.05 with [0.001, 2.3]). Each profile
 * point is a Newton polish of the others from the optimum; bisection to 2⁻¹⁶ of the bracket.
 */
function profileG2Intervals(prep: Prepared, fg: (x: Float64Array) => ValueAndGradient, opt: OptimiseResult, cov: Covariance, held: number[], onProgress?: FitOptions['onProgress']): ProfiledG2[] {
  const v64 = prep.value64;
  if (!v64 || !cov.positiveDefinite) return [];
  const xHat = Float64Array.from(opt.x);
  const base = v64(xHat);
  const crit = 0.5 * normalQuantile(0.975) ** 2;
  const weak = prep.layout.entries.flatMap((e, i) => (e.kind === 'logG2' && !held.includes(i) && Math.sqrt(cov.matrix[i][i]) > WEAK_LOG_SE ? [i] : []));
  return weak.map((i, w) => {
    onProgress?.('profile intervals', w, weak.length);
    const logSe = Math.sqrt(cov.matrix[i][i]);
    const free = Array.from(xHat, (_, j) => j).filter((j) => j !== i && !held.includes(j));
    const rise = (g2: number) => {
      const o = { ...opt, x: Float64Array.from(xHat) };
      o.x[i] = Math.log(Math.max(g2, LOG_FLOOR));
      if (free.length) newtonPolish(prep, fg, o, free);
      return v64(o.x) - base;
    };
    const bisect = (inside: number, outside: number) => {
      for (let k = 0; k < 16; k++) {
        const mid = 0.5 * (inside + outside);
        if (rise(mid) > crit) outside = mid;
        else inside = mid;
      }
      return 0.5 * (inside + outside);
    };
    const g2Hat = Math.exp(xHat[i]);
    const lower = rise(0) <= crit ? 0 : bisect(g2Hat, 0);
    let [inside, outside] = [g2Hat, 2 * g2Hat];
    for (let k = 0; k < 60 && rise(outside) <= crit; k++) [inside, outside] = [outside, 2 * outside];
    return { index: i, logSe, lower, upper: bisect(inside, outside) };
  });
}

interface Polished {
  cov: Covariance;
  /** Largest remaining Newton step, in standard errors. */
  ratio: number;
  /** Remaining Newton step per polished coordinate in its standard errors (positive: lowers θ). */
  stepInSe: number[];
  steps: number;
}

/**
 * Newton polish of the coordinates `free` of opt.x (the others held): stop when the remaining Newton step
 * is below 1 % of every standard error (float32 gradients make plain gradient tolerances unreliable). With
 * a float64 reference of the loss, gradient, Hessian and line search use it (finite differences of an
 * O(N) evaluation).
 */
function newtonPolish(prep: Prepared, fg: (x: Float64Array) => ValueAndGradient, opt: OptimiseResult, free: number[]): Polished {
  const v64 = prep.value64;
  const fromValues = v64 && !prep.accurateGradient;
  const pick = (x: Float64Array) => Float64Array.from(free, (i) => x[i]);
  const embed = (y: Float64Array) => {
    const x = Float64Array.from(opt.x);
    free.forEach((i, k) => (x[i] = y[k]));
    return x;
  };
  const fgFree = (y: Float64Array) => {
    const r = fg(embed(y));
    return { f: r.f, g: pick(r.g) };
  };
  const valueNats = (y: Float64Array) => (v64 ? v64(embed(y)) : fgFree(y).f * prep.normaliser);
  const curvature = () => covarianceFromHessian(fromValues ? hessianFromValues(valueNats, pick(opt.x)) : hessian(fgFree, pick(opt.x), prep.normaliser));
  const gradientNats = (y: Float64Array) => (fromValues ? numericGradient(valueNats, y, 1e-5) : fgFree(y).g.map((v) => v * prep.normaliser));
  let cov = curvature();
  let steps = 0;
  let ratio = Infinity;
  let stepInSe: number[] = [];
  for (; steps < 8; steps++) {
    const y0 = pick(opt.x);
    const g = gradientNats(y0);
    const f0 = valueNats(y0);
    const step = cov.matrix.map((row) => row.reduce((acc, v, j) => acc + v * g[j], 0));
    stepInSe = step.map((d, i) => d / Math.sqrt(cov.matrix[i][i]));
    ratio = Math.max(...stepInSe.map(Math.abs));
    if (!(ratio >= 0.01)) break;
    let t = 1;
    let moved = false;
    for (let ls = 0; ls < 8 && !moved; ls++, t *= 0.5) {
      const y = y0.map((v, i) => v - t * step[i]);
      const f = valueNats(y);
      if (f <= f0 + (v64 ? 0 : 1e-7 * Math.abs(f0))) {
        opt.x = embed(y);
        opt.f = f / prep.normaliser;
        moved = true;
      }
    }
    if (!moved) break;
    cov = curvature();
  }
  return { cov, ratio, stepInSe, steps };
}

/**
 * A block with g² = 0 (THEORY §2.5: populations not coupled that way) has no optimum in log g²: the loss
 * falls ever more slowly as log g² → −∞, the polish never settles, and a log-scale SE means nothing.
 * The blocks the first polish leaves unresolved from zero (log-scale SE > 1 or undefined) or still
 * lowering are held at g² = 0 and the rest polished again. The hold stands for the blocks where zero is
 * the constrained optimum: in (θ, g² of the held blocks) — linear in g², so derivatives exist at zero — the
 * Newton step raises no held g² by 0.1 SE (the convergence test's tolerance). Blocks it would raise are
 * released at the g² of that step and the others tried again; with none left, the result stands if the
 * polish converges, else opt is restored and nothing returned.
 * The covariance's held rows are in g² units; at log g² = log 1e-12 the delta method scales them by
 * 1e-12, which leaves correlations right (each reported quantity is monotone in one coordinate);
 * report() replaces the held blocks' values and intervals.
 */
function settleAtZero(prep: Prepared, fg: (x: Float64Array) => ValueAndGradient, opt: OptimiseResult, first: Polished) {
  const v64 = prep.value64!;
  const [x0, f0] = [Float64Array.from(opt.x), opt.f];
  const restore = () => {
    opt.x = x0;
    opt.f = f0;
    return undefined;
  };
  let start = Float64Array.from(x0);
  let held = zeroCandidates(prep.layout, first);
  if (!held.length) return undefined;
  for (;;) {
    const isHeld = (i: number) => held.includes(i);
    opt.x = start.map((v, i) => (isHeld(i) ? Math.log(LOG_FLOOR) : v));
    const polished = newtonPolish(prep, fg, opt, Array.from(opt.x, (_, i) => i).filter((i) => !isHeld(i)));
    // every block released: accept the new optimum only if the polish certifies it
    if (!held.length) return polished.ratio < 0.1 && polished.cov.positiveDefinite ? { polished, cov: polished.cov, atZero: [] } : restore();
    // held coordinates in units of their natural size (1 for g²; σ_obs² and D: prep.noiseUnits), so that the steps below fit them
    const kind = (i: number) => prep.layout.entries[i].kind;
    const unit = (i: number) => (kind(i) === 'logObs2' ? prep.noiseUnits?.obsNoise2 ?? 1 : kind(i) === 'logD' ? prep.noiseUnits?.D ?? 1 : 1);
    const V = (psi: Float64Array) => v64(psi.map((v, i) => (isHeld(i) ? Math.log(Math.max(v * unit(i), LOG_FLOOR)) : v)));
    const psi = opt.x.map((v, i) => (isHeld(i) ? 0 : v));
    // Curvature centred at g² = h with steps h, so that the differences stay at g² ≥ 0 (the kernel is
    // linear in g²: the loss is smooth there); the gradient one-sided at g² = 0.
    const h = 1e-3;
    const cov = covarianceFromHessian(hessianFromValues(V, psi.map((v, i) => (isHeld(i) ? h : v)), h));
    if (!cov.positiveDefinite) return restore();
    const g = numericGradient(V, psi, 1e-5);
    for (const i of held) {
      const up = Float64Array.from(psi);
      up[i] = 1e-5;
      g[i] = (V(up) - V(psi)) / 1e-5;
    }
    const raise = held.map((i) => -cov.matrix[i].reduce((acc, c, j) => acc + c * g[j], 0)); // Newton step in g²
    const rises = held.filter((i, k) => raise[k] / Math.sqrt(cov.matrix[i][i]) >= 0.1);
    if (!rises.length) return { polished, cov, atZero: held.map((i) => ({ index: i, se: unit(i) * Math.sqrt(cov.matrix[i][i]) })) };
    // Release those at the g² the step gives: where the float32 search stalled (log g² far below it, the
    // loss flat in log g²) the polish could not move them.
    start = Float64Array.from(opt.x);
    held.forEach((i, k) => rises.includes(i) && (start[i] = Math.log(raise[k] * unit(i))));
    held = held.filter((i) => !rises.includes(i));
  }
}

/**
 * g² blocks that the polish leaves unresolved from zero (log-scale SE > 1 or undefined) or still lowering;
 * with observation noise also σ_obs² and D (noise the data may attribute wholly to the other).
 */
function zeroCandidates(layout: ParamLayout, first: Polished): number[] {
  const obsNoise = layout.entries.some((e) => e.kind === 'logObs2');
  const variance = (kind: ParamKind) => kind === 'logG2' || (obsNoise && (kind === 'logObs2' || kind === 'logD'));
  return layout.entries.flatMap((e, i) => (variance(e.kind) && (!(Math.sqrt(first.cov.matrix[i]?.[i]) <= 1) || first.stepInSe[i] >= 0.1) ? [i] : []));
}

/**
 * Why the polish did or did not certify the optimum. The L-BFGS stopping rule is only where the
 * search stopped: a failure names the test that failed. Without a positive definite Hessian there are
 * no standard errors, so the step-in-SE test is undefined (never a number).
 */
function polishReason(lbfgsReason: string, cov: Covariance, ratio: number, newtonSteps: number, layout: ParamLayout): string {
  const stopped = `L-BFGS stopped: ${lbfgsReason}`;
  const none = `so there are no standard errors and no convergence test in their units (${stopped})`;
  if (!Number.isFinite(cov.smallestEigenvalue)) return `the Hessian of the loss is not finite at the optimum, ${none}`;
  if (!cov.positiveDefinite) {
    const flat = layout.entries.filter((_, i) => !(cov.matrix[i][i] >= 0)).map((e) => e.name);
    const min = cov.smallestEigenvalue;
    const zero = min > 0 ? `, ${(min / cov.largestEigenvalue).toPrecision(2)} of the largest: numerically zero` : '';
    return (
      `the Hessian of the loss is not positive definite at the optimum (smallest eigenvalue ${min.toPrecision(2)}${zero}): ` +
      `the loss is flat or curved the wrong way along ${flat.length ? flat.join(', ') : 'some direction'}, ${none}`
    );
  }
  const steps = `after ${newtonSteps} polishing step(s)`;
  if (!Number.isFinite(ratio)) return `the Newton step at the optimum is not finite (the gradient is not; ${stopped}, ${steps})`;
  const remaining = `remaining Newton step ${(100 * ratio).toPrecision(2)}% of a standard error ${steps}`;
  return ratio < 0.1 ? `${lbfgsReason}; ${remaining}` : `${remaining}, above the 10% test (${stopped})`;
}

function runFit(rec: Recording, prep: Prepared, form: LossForm, opts: FitOptions): FitResult {
  opts.onProgress?.('optimising', 0, 1);
  const { opt, cov, atZero, profiled } = optimise(prep, opts);
  const nat = unpack(opt.x, prep.layout, prep.cfg);
  const c = stepCoefficients(prep.cfg.dt, nat.tau, prep.cfg.discretisation).c;
  const noiseAtFloor = nat.D.some((D, a) => c * D < 10 * prep.sigma2Floor[a]);
  return report(rec, prep.cfg, prep.layout, form, opts, {
    noiseAtFloor,
    theta: opt.x,
    cov,
    atZero,
    profiled,
    lossValue: opt.f * prep.normaliser,
    perSample: opt.f,
    offsetShift: prep.offsetShift,
    samplesUsed: prep.samplesUsed,
    ...(prep.dataVariance !== undefined ? { dataVariance: prep.dataVariance } : {}),
    convergence: {
      converged: opt.converged,
      reason: opt.reason,
      iterations: opt.iterations,
      evaluations: opt.evaluations,
      gradientMaxAbs: opt.gradientMaxAbs,
      starts: prep.starts.length,
      hessianPositiveDefinite: cov.positiveDefinite,
    },
  });
}

interface Solution {
  /** Populations whose fitted noise σ² is within 10× of the floor (noise-free data). */
  noiseAtFloor?: boolean;
  theta: Float64Array;
  cov: Covariance;
  /** Blocks held at g² = 0 (θ index; SE of g² at zero), from settleAtZero. */
  atZero?: { index: number; se: number }[];
  /** Weakly determined blocks with profile-likelihood intervals, from profileG2Intervals. */
  profiled?: ProfiledG2[];
  lossValue: number;
  perSample: number;
  offsetShift: number;
  samplesUsed: number;
  /** With observation noise: the data's mean variance within units (Prepared.dataVariance). */
  dataVariance?: number;
  convergence: FitResult['convergence'];
}

/**
 * Spectral fits at strong coupling: the interval covers the recording's sampling noise only. A finite
 * network's spectra scatter around the mean-field s(k) = σ² + g²P̄_φ(k) by more (bench/whittle-weak.ts,
 * 12 fully recorded networks each: at g 1.5 the sd of ĝ − g_realised is 0.035, 0.016, 0.010 for N = 100,
 * 200, 400 against reported SEs 0.0066, 0.0045, 0.0032, coverage 1–4 of 12; 48 networks at N = 100: sd
 * 0.027, mean −0.027; at g 0.8 sd/SE 1.5–2.5; at g ≤ 0.5 calibrated). --bootstrap-networks measures it
 * (src/fit/networkBootstrap.ts).
 */
const STRONG_G = 0.7;
const STRONG_COUPLING_SPECTRAL_NOTE =
  'spectral loss at strong coupling (ĝ ≥ 0.7): the interval covers the sampling noise of the recording only; between networks of a few hundred units ĝ scatters 2–5× more than its standard error (fully recorded networks at g 1.5: sd 0.027, 0.016, 0.010 at 100, 200, 400 units, bias −1 to −2 %); --bootstrap-networks B gives intervals that include it; when the recording is the whole network, --loss exact fits the realised couplings';

/**
 * Up to this σ̂_obs/sd(x) the noise model held on simulated tanh networks at g 0.5 and 1.5 (ĝ within 1 %,
 * D̂ within 8 %); beyond it, and at g 3 from 0.6, the fit failed as HEAVY_OBS_NOISE says (bench/obs-noise.ts,
 * BENCHMARKS.md "How much observation noise").
 */
const OBS_NOISE_MAX_RATIO = 1.5;
const HEAVY_OBS_NOISE =
  'on simulated tanh networks (200 units, 1000 τ) the fit put D̂ near 0 and ĝ 12–25 % high from σ_obs ≈ 1.7 sd(x) at g 1.5 and 0.65–1.5 sd(x) at g 3, and ĝ 2.8× at 2.6 sd(x) at g 0.5 ' +
  '(BENCHMARKS.md "How much observation noise"; Poisson spike counts, whose noise variance is the mean count, are usually far beyond it)';

/** σ̂_obs over sd(x), sd(x)² the data's mean variance within units less σ̂_obs² (white noise independent of x); undefined without noise. */
function obsNoiseRatio(variance: number | undefined, obs2: number): number | undefined {
  if (!(obs2 > 0) || variance === undefined) return undefined;
  return Math.sqrt(obs2 / Math.max(variance - obs2, 1e-12 * variance));
}

/** Said by every fit with observation noise that finds some. */
export const OBS_NOISE_NOTE =
  'observation noise: the data are taken as x + ε with white ε of sd σ_obs (obsNoise, in data units); g and D describe the network under it, and the predicting commands add σ_obs² to the kernels\' lag 0 (forecasts of the noisy data)';

/** What to do about data far from order one (checkDataScale), for every fit. */
export const FIT_SCALE_REMEDY = 'rescale the data or fit the observation scale (--fit-scale)';

/** Said by every fit on the exact loss without modes (src/fit/lowRank.ts too, at rank 0). */
export const EXACT_LOSS_NOTE =
  'exact loss: assumes the recorded units are the whole network (its kernel has the rank of the recorded population); for subsampled recordings use --loss whittle';

function report(rec: Recording, cfg: ModelConfig, layout: ParamLayout, form: LossForm, opts: FitOptions, sol: Solution): FitResult {
  const dm = deltaMethod(reportedQuantities(cfg, layout, sol.offsetShift), sol.theta, sol.cov.matrix);
  const natural = unpack(sol.theta, layout, cfg);
  natural.offset += sol.offsetShift;
  // Blocks held at g² = 0: value 0, one-sided 95 % upper bound 1.645 SE of g² at zero (that of an
  // unconstrained estimate exactly at zero: conservative when the data pull below zero). g has no SE at 0.
  // With observation noise, σ_obs² or D held at 0: value 0, one-sided 95 % bound as for the blocks below
  const obsAtZero = (sol.atZero ?? []).find(({ index }) => layout.entries[index].kind === 'logObs2');
  if (obsAtZero) {
    natural.obsNoise2 = 0;
    dm.estimates.obsNoise = { value: 0, se: Number.NaN, ci95: [0, Math.sqrt(normalQuantile(0.95) * obsAtZero.se)] };
  }
  const dName = (a: number) => noiseName(cfg.populationNames, a);
  const dAtZero = (sol.atZero ?? []).flatMap(({ index, se }) => {
    const e = layout.entries[index];
    if (e.kind !== 'logD') return [];
    const name = dName(e.a!);
    natural.D[e.a!] = 0;
    dm.estimates[name] = { value: 0, se, ci95: [0, normalQuantile(0.95) * se] };
    return [name];
  });
  const zeroBlocks = (sol.atZero ?? []).filter((z) => layout.entries[z.index].kind === 'logG2').map(({ index, se }) => {
    const e = layout.entries[index];
    const blk = e.name.slice('log g2'.length);
    const upper = normalQuantile(0.95) * se;
    natural.g2[e.a!][e.b!] = 0;
    dm.estimates[`g${blk}`] = { value: 0, se: Number.NaN, ci95: [0, Math.sqrt(upper)] };
    if (layout.P > 1) dm.estimates[`g2${blk}`] = { value: 0, se, ci95: [0, upper] };
    return { a: e.a!, b: e.b!, blk, upper };
  });
  const weak = (sol.profiled ?? []).map(({ index, logSe, lower, upper }) => {
    const blk = layout.entries[index].name.slice('log g2'.length);
    dm.estimates[`g${blk}`].ci95 = [Math.sqrt(lower), Math.sqrt(upper)];
    if (layout.P > 1) dm.estimates[`g2${blk}`].ci95 = [lower, upper];
    return `${layout.P > 1 ? `g²${blk}` : 'g'} (log-scale standard error ${logSe.toFixed(2)})`;
  });
  // Their intervals are weak-coupling ones (one-sided bound, profile likelihood), not log-normal.
  const weakIntervals = [...(sol.atZero ?? []), ...(sol.profiled ?? [])].flatMap(({ index }) => {
    if (layout.entries[index].kind === 'logObs2') return ['obsNoise'];
    if (layout.entries[index].kind === 'logD') return [dName(layout.entries[index].a!)];
    const blk = layout.entries[index].name.slice('log g2'.length);
    return layout.P > 1 ? [`g${blk}`, `g2${blk}`] : [`g${blk}`];
  });
  const notes: string[] = [];
  if (weak.length) notes.push(`weakly determined: ${weak.join(', ')}; the 95 % interval${weak.length > 1 ? 's are' : ' is'} from the profile likelihood (where the loss rises by 1.92 nats, g² ≥ 0), not log-normal`);
  if (form === 'exact') notes.push(EXACT_LOSS_NOTE);
  if (form === 'whittle' && cfg.fitTau) notes.push('the spectral loss identifies the time constant only through the nonlinearity (a near-linear network fits y ≈ x equally well); prefer --loss exact for --fit-tau when the whole network is recorded');
  const noiseRatio = cfg.fitObsNoise && !cfg.indicator ? obsNoiseRatio(sol.dataVariance, natural.obsNoise2 ?? 0) : undefined;
  const dFloorUnderNoise = sol.noiseAtFloor && cfg.fitObsNoise && !dAtZero.length;
  if (dFloorUnderNoise) {
    notes.push(
      'the network noise D is at its floor: the fit gives all the white noise to the observation noise' +
        (noiseRatio !== undefined ? ` (σ̂_obs is ${noiseRatio.toFixed(2)}× sd(x), sd(x) ≈ √(data variance − σ̂_obs²))` : '') +
        '. Either the data look white (τ near the sampling step: the two noises are told apart by the shape of the spectrum), ' +
        `or the noise is too heavy for the noise model's corrections of φ: ${HEAVY_OBS_NOISE}; treat ĝ and D̂ as unreliable`,
    );
  } else if (sol.noiseAtFloor && form === 'whittle' && !dAtZero.length) notes.push('the fitted noise is at its floor (noise-free data): the spectral loss then weighs high-frequency bins, where such data carry little power, as much as the rest and biases g (about −3 % at g = 1.5); prefer --loss exact');
  if (!dFloorUnderNoise && noiseRatio !== undefined && noiseRatio > OBS_NOISE_MAX_RATIO) {
    notes.push(`σ̂_obs is ${noiseRatio.toFixed(2)}× sd(x) (sd(x) ≈ √(data variance − σ̂_obs²)), beyond the ${OBS_NOISE_MAX_RATIO}× up to which the noise model held on simulated networks: ${HEAVY_OBS_NOISE}`);
  }
  if (form === 'whittle' && natural.g2.some((row, a) => row[a] >= STRONG_G ** 2)) notes.push(STRONG_COUPLING_SPECTRAL_NOTE);
  if (sol.noiseAtFloor && form === 'exact') notes.push('the fitted noise is at its floor (noise-free data): D is reported as ≈ 0 and its interval is not meaningful');
  if (obsAtZero) notes.push(`no observation noise detected: the loss is lowest at σ_obs = 0, reported as 0 with one-sided 95 % upper bound ${dm.estimates.obsNoise.ci95[1].toPrecision(2)}`);
  else if (cfg.fitObsNoise) notes.push(OBS_NOISE_NOTE);
  if (dAtZero.length) notes.push(`no network noise detected beyond the observation noise: the loss is lowest at ${dAtZero.join(', ')} = 0, reported as 0 with one-sided 95 % upper bound${dAtZero.length > 1 ? 's' : ''} ${dAtZero.map((n) => dm.estimates[n].ci95[1].toPrecision(2)).join(', ')} (the two noises are told apart by the shape of the spectrum; coarse sampling blurs it)`);
  if (zeroBlocks.length) {
    notes.push(`consistent with zero: the loss is lowest at g² = 0 for ${zeroBlocks.map((z) => `g²${z.blk}`).join(', ')}, reported as 0 with one-sided 95 % upper bound${zeroBlocks.length > 1 ? 's' : ''} ${zeroBlocks.map((z) => z.upper.toPrecision(2)).join(', ')}`);
  }
  if (form === 'whittle' && layout.P > 1) {
    const idx = dm.names.map((n, i) => [n, i] as const).filter(([n]) => n.startsWith('g2['));
    const r = idx.flatMap(([, i]) => idx.filter(([, j]) => j !== i).map(([, j]) => Math.abs(dm.correlation[i][j])));
    const worst = r.some((v) => !Number.isFinite(v)) ? Infinity : Math.max(0, ...r);
    // (blocks held at zero have their own note)
    const atBound = natural.g2.some((row, a) => row.some((v, b) => v < 1e-3 * Math.max(...row) && !zeroBlocks.some((z) => z.a === a && z.b === b)));
    if (worst > 0.9 || atBound) notes.push(`the spectral loss separates the blocks poorly (${atBound ? 'a block g² at its lower bound' : Number.isFinite(worst) ? `block g² correlations up to ${worst.toFixed(2)}` : 'block g² correlations undefined: the loss is flat along some block'}): the populations' φ-spectra have similar shapes; with the whole network recorded, --loss exact separates them`);
  }
  if (!cfg.fitObsNoise) {
    const hint = whiteNoiseHint(rec, cfg.dt / natural.tau);
    if (hint) notes.push(hint);
  }
  if (!sol.cov.positiveDefinite) notes.push('the loss is flat or curved the wrong way in some direction at the optimum: standard errors and intervals of parameters along it are not available (n/a; null in JSON)');
  if (!sol.convergence.converged) notes.push(`the fit did not converge: ${sol.convergence.reason}`);
  const fixed: Record<string, number> = {};
  if (!cfg.fitTau) fixed.tau = cfg.tau;
  if (!cfg.fitScale) Object.assign(fixed, { scale: 1, offset: 0 });
  if (!cfg.fitLeak) fixed.s = cfg.leak;
  if (!cfg.fitJ0) fixed.J0 = 0;
  const groups = opts.populations?.groups ?? new Int32Array(rec.nUnits);
  return {
    params: dm.estimates,
    natural,
    correlation: { names: dm.names, matrix: dm.correlation },
    loss: { form, value: sol.lossValue, perSample: sol.perSample },
    convergence: sol.convergence,
    data: {
      units: rec.nUnits,
      samples: rec.nSamples,
      samplesUsed: sol.samplesUsed,
      dt: cfg.dt,
      // which units are in which population: the theory's predictions take each unit's own population
      populations: cfg.populationNames.map((name, a) => ({
        name,
        units: groups.filter((g) => g === a).length,
        ...(cfg.populationNames.length > 1 ? { unitNames: rec.unitNames.filter((_, i) => groups[i] === a) } : {}),
      })),
    },
    model: { phi: cfg.phi, discretisation: cfg.discretisation, fitted: layout.entries.map((e) => e.name), fixed },
    ...(weakIntervals.length ? { weakIntervals } : {}),
    notes,
  };
}

/**
 * Exact loss with a fitted observation offset and scale. They enter only through Φ = φ((x−o)/scale),
 * which moves the eigendecomposition, so they are profiled: u = (offset, log scale) is found by Newton
 * steps on the profile likelihood L_p(u) = min_θ L(θ, u) (finite differences, float64 values), around
 * an inner autodiff fit of θ. The covariance is the profile one: Cov_uu = (∇²L_p)⁻¹,
 * Cov_θθ = H_θθ⁻¹ + B Cov_uu Bᵀ and Cov_θu = B Cov_uu with B = dθ̂/du the sensitivity of the inner optimum θ̂(u).
 */
async function fitExactProfiled(rec: Recording, cfg: ModelConfig, layout: ParamLayout, opts: FitOptions): Promise<FitResult> {
  const inner: ModelConfig = { ...cfg, fitScale: false };
  const innerLayout = parameterLayout(inner);
  const basis = basisFor(inner);
  const shift = grandMean(rec);
  let s2 = 0;
  for (let k = 0; k < rec.data.length; k++) s2 += (rec.data[k] - shift) ** 2;
  const sd = Math.sqrt(s2 / rec.data.length);
  const buf = new Float64Array(rec.data.length);
  const model = (o: number, logSc: number): Recording => {
    const inv = Math.exp(-logSc);
    for (let k = 0; k < buf.length; k++) buf[k] = (rec.data[k] - shift - o) * inv;
    return { ...rec, data: buf };
  };
  const nT = rec.nUnits * (rec.nSamples - 1);
  interface Point { L: number; theta: Float64Array }
  let warm: Float64Array | undefined;
  let evaluations = 0;
  let profileCalls = 0;
  const fitAt = (u: number[], start: Float64Array | undefined): Point => {
    const prep = prepareExact(model(u[0], u[1]), inner, innerLayout, start);
    try {
      // Polished: profile differences of a fraction of a nat need the inner optimum, not the point
      // where float32 L-BFGS stalls.
      const { opt } = optimise(prep, { ...opts, onProgress: undefined }, true, false);
      evaluations += opt.evaluations;
      const nat = unpack(opt.x, innerLayout, inner);
      const k = stepCoefficients(inner.dt, nat.tau, inner.discretisation);
      const L = exactLossValue(prep.exact!.stats, { g2: nat.g2[0][0], D: nat.D[0], J0: nat.J0[0][0], a: k.a, c: k.c, w: weightsAt(basis.names, k, nat.leak), gW: nat.gW }, prep.exact!.floor);
      return { L: L + nT * u[1], theta: opt.x };
    } finally {
      prep.dispose();
    }
  };
  const profile = async (u: number[]): Promise<Point> => {
    await yieldToEventLoop();
    profileCalls++;
    opts.onProgress?.('offset/scale', profileCalls, profileCalls + 8);
    for (const start of [warm, undefined]) {
      try {
        const p = fitAt(u, start);
        if (Number.isFinite(p.L)) {
          warm = p.theta;
          return p;
        }
      } catch {
        /* infeasible warm start far from the last point: try a fresh start */
      }
    }
    return { L: Infinity, theta: new Float64Array(innerLayout.entries.length) };
  };
  // Start from the best of three scales (offset 0 = the grand mean).
  let u = [0, Math.log(sd)];
  let cur = await profile(u);
  for (const f of [0.5, 2]) {
    const v = [0, Math.log(f * sd)];
    const p = await profile(v);
    if (p.L < cur.L) [u, cur] = [v, p];
  }
  warm = cur.theta;
  let h = [0.02 * sd, 0.02];
  let Huu = [[NaN, NaN], [NaN, NaN]];
  let B: Float64Array[] = [];
  let converged = false;
  let newtonIterations = 0;
  for (; newtonIterations < 25; newtonIterations++) {
    const at = (d0: number, d1: number) => profile([u[0] + d0, u[1] + d1]);
    const po = await at(h[0], 0), mo = await at(-h[0], 0), ps = await at(0, h[1]), ms = await at(0, -h[1]), pp = await at(h[0], h[1]);
    warm = cur.theta;
    const g = [(po.L - mo.L) / (2 * h[0]), (ps.L - ms.L) / (2 * h[1])];
    Huu = [
      [(po.L - 2 * cur.L + mo.L) / h[0] ** 2, (pp.L - po.L - ps.L + cur.L) / (h[0] * h[1])],
      [0, (ps.L - 2 * cur.L + ms.L) / h[1] ** 2],
    ];
    Huu[1][0] = Huu[0][1];
    B = [0, 1].map((i) => {
      const [p, m] = i === 0 ? [po, mo] : [ps, ms];
      return p.theta.map((v, k) => (v - m.theta[k]) / (2 * h[i]));
    });
    const det = Huu[0][0] * Huu[1][1] - Huu[0][1] ** 2;
    const pd = Huu[0][0] > 0 && Huu[1][1] > 0 && det > 0;
    let delta: number[];
    let se = [Infinity, Infinity];
    if (pd) {
      const inv = [[Huu[1][1] / det, -Huu[0][1] / det], [-Huu[0][1] / det, Huu[0][0] / det]];
      delta = [-(inv[0][0] * g[0] + inv[0][1] * g[1]), -(inv[1][0] * g[0] + inv[1][1] * g[1])];
      se = [Math.sqrt(inv[0][0]), Math.sqrt(inv[1][1])];
      // Same test as the other parameters: the remaining Newton step is a tenth of an SE or less.
      if (Math.abs(delta[0]) < 0.1 * se[0] && Math.abs(delta[1]) < 0.1 * se[1]) {
        converged = true;
        break;
      }
      // Difference steps of about one standard error: curvature over the scale that matters.
      h = [Math.min(Math.max(se[0], 1e-5 * sd), 0.2 * sd), Math.min(Math.max(se[1], 1e-5), 0.2)];
    } else {
      // Not convex here: a damped gradient step.
      delta = g.map((gi, i) => -Math.sign(gi) * h[i] * 4);
    }
    const maxStep = [0.5 * sd, 0.5];
    delta = delta.map((d, i) => Math.max(-maxStep[i], Math.min(maxStep[i], d)));
    let t = 1;
    let moved = false;
    for (let ls = 0; ls < 6; ls++, t *= 0.5) {
      const v = [u[0] + t * delta[0], u[1] + t * delta[1]];
      const p = await profile(v);
      if (p.L < cur.L) {
        [u, cur] = [v, p];
        moved = true;
        break;
      }
    }
    if (!moved) {
      converged = pd;
      break;
    }
  }
  // Final inner fit with polishing at the optimum (offset, scale).
  warm = cur.theta;
  const prep = prepareExact(model(u[0], u[1]), inner, innerLayout, cur.theta);
  try {
    // (g² intervals stay the delta method's here: a profile at fixed offset and scale would be too narrow)
    const result = optimise(prep, opts, true, false);
    const thetaIn = result.opt.x;
    const p = thetaIn.length;
    const covIn = result.cov.matrix;
    const det = Huu[0][0] * Huu[1][1] - Huu[0][1] ** 2;
    const covUU = [[Huu[1][1] / det, -Huu[0][1] / det], [-Huu[0][1] / det, Huu[0][0] / det]];
    const idxIn = innerLayout.entries.map((en) => layout.index(en.kind, en.a, en.b));
    const idxU = [layout.index('offset'), layout.index('logScale')];
    const n = layout.entries.length;
    const C = Array.from({ length: n }, () => new Float64Array(n));
    // Cov_θu = B Cov_uu, Cov_θθ = H_θθ⁻¹ + B Cov_uu Bᵀ
    const BC = Array.from({ length: p }, (_, i) => [0, 1].map((b) => B[0][i] * covUU[0][b] + B[1][i] * covUU[1][b]));
    for (let i = 0; i < p; i++)
      for (let j = 0; j < p; j++) C[idxIn[i]][idxIn[j]] = covIn[i][j] + BC[i][0] * B[0][j] + BC[i][1] * B[1][j];
    for (let i = 0; i < p; i++)
      for (let b = 0; b < 2; b++) {
        C[idxIn[i]][idxU[b]] = BC[i][b];
        C[idxU[b]][idxIn[i]] = BC[i][b];
      }
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) C[idxU[a]][idxU[b]] = covUU[a][b];
    const pdAll = result.cov.positiveDefinite && det > 0 && covUU[0][0] > 0;
    const fullTheta = new Float64Array(n);
    idxIn.forEach((k, i) => (fullTheta[k] = thetaIn[i]));
    fullTheta[idxU[0]] = u[0];
    fullTheta[idxU[1]] = u[1];
    const lossValue = cur.L;
    const conv = result.opt;
    return report(rec, cfg, layout, 'exact', opts, {
      theta: fullTheta,
      cov: { matrix: C, positiveDefinite: pdAll, smallestEigenvalue: NaN, largestEigenvalue: NaN },
      atZero: result.atZero.map(({ index, se }) => ({ index: idxIn[index], se })),
      lossValue,
      perSample: lossValue / prep.normaliser,
      offsetShift: shift,
      samplesUsed: prep.samplesUsed,
      convergence: {
        converged: conv.converged && converged,
        reason: `offset/scale: profile Newton ${converged ? 'converged (step below 10% of a standard error)' : 'did not converge'} after ${newtonIterations} iteration(s), ${profileCalls} profile evaluations; other parameters: ${conv.reason}`,
        iterations: conv.iterations + newtonIterations,
        evaluations: conv.evaluations + evaluations,
        gradientMaxAbs: conv.gradientMaxAbs,
        starts: 3,
        hessianPositiveDefinite: pdAll,
      },
    });
  } finally {
    prep.dispose();
  }
}


/** The fit file's key of population a's noise intensity: D, or D[name] with several populations. */
function noiseName(populations: string[], a: number): string {
  return populations.length === 1 ? 'D' : `D[${populations[a]}]`;
}

/** The quantities reported with uncertainty, as functions of θ (names are the fit file's keys). */
function reportedQuantities(cfg: ModelConfig, layout: ParamLayout, offsetShift: number): DerivedQuantity[] {
  const P = layout.P;
  const pn = cfg.populationNames;
  const u = (th: Float64Array) => unpack(th, layout, cfg);
  const q: DerivedQuantity[] = [];
  const blk = (a: number, b: number) => (P === 1 ? '' : `[${pn[a]}<-${pn[b]}]`);
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) q.push({ name: `g${blk(a, b)}`, positive: true, fn: (th) => Math.sqrt(u(th).g2[a][b]) });
  if (P > 1) for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) q.push({ name: `g2${blk(a, b)}`, positive: true, fn: (th) => u(th).g2[a][b] });
  for (let a = 0; a < P; a++) q.push({ name: noiseName(pn, a), positive: true, fn: (th) => u(th).D[a] });
  if (cfg.fitJ0) for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) q.push({ name: `J0${blk(a, b)}`, positive: false, fn: (th) => u(th).J0[a][b] });
  if (cfg.fitTau) q.push({ name: 'tau', positive: true, fn: (th) => u(th).tau });
  if (cfg.fitScale) {
    q.push({ name: 'scale', positive: true, fn: (th) => u(th).scale });
    // offset in data units (the loss works with data minus its grand mean)
    q.push({ name: 'offset', positive: false, fn: (th) => offsetShift + u(th).offset });
  }
  if (cfg.fitLeak) q.push({ name: 's', positive: false, fn: (th) => u(th).leak });
  if (cfg.fitObsNoise) q.push({ name: 'obsNoise', positive: true, fn: (th) => Math.sqrt(u(th).obsNoise2 ?? 0) });
  if (cfg.connectome) {
    q.push({ name: 'gW', positive: false, fn: (th) => u(th).gW ?? 0 });
    const norm = cfg.connectomeNorm ?? 1;
    q.push({ name: 'connectomeScale', positive: false, fn: (th) => (u(th).gW ?? 0) / norm });
  }
  return q;
}
