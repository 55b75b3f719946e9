/**
 * Fit the random-network parameters to a recording by minimising the rate-function loss
 * (THEORY §2): spectral statistics → NNLS initialisation (§2.4) over a grid of time constants and
 * scales → L-BFGS on autodiff gradients → curvature uncertainty. Returns plain data (FitResult);
 * writing the fit file is the caller's business.
 */
import { tf } from '../backend.js';
import { InputError } from '../errors.js';
import { nonlinearity, type PhiName } from '../nonlinearity.js';
import {
  type Discretisation, type ModelConfig, type NaturalParams, type ParamLayout,
  pack, parameterLayout, stepCoefficients, unpack,
} from '../model/parameters.js';
import type { Recording } from '../recording/types.js';
import { fftLength } from '../statistics/fft.js';
import {
  type BasisSpec, type SpectralStatistics, grandMean, phiSpectra, spectralStatistics,
} from '../statistics/spectra.js';
import { exactLoss, exactStatistics } from '../loss/exact.js';
import { whittleLoss, type LossFunction } from '../loss/whittle.js';
import { minimiseLBFGS, type OptimiseResult, type ValueAndGradient } from './lbfgs.js';
import { nnls } from './nnls.js';
import { covarianceFromHessian, deltaMethod, hessian, type DerivedQuantity, type Estimate } from './uncertainty.js';

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
  /** Fit an observation scale and offset, x_model = (x_data − offset)/scale. */
  fitScale?: boolean;
  /** Fit the mean coupling J0 (default true). */
  fitJ0?: boolean;
  /** Fit the leak shape s of U(x) = x²/2 − s log cosh x (else fixed at `leak`, default 0). */
  fitLeak?: boolean;
  leak?: number;
  /** Population of each recorded unit (index into populationNames). Default: one population. */
  populations?: { names: string[]; groups: Int32Array };
  maxIterations?: number;
  /** Internal/testing: evaluate the loss at these parameters instead of fitting (thrown as .value). */
  evaluateOnly?: NaturalParams;
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
  data: { units: number; samples: number; samplesUsed: number; dt: number; populations: { name: string; units: number }[] };
  model: { phi: PhiName; discretisation: Discretisation; fitted: string[]; fixed: Record<string, number> };
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
}

export async function fitRecording(rec: Recording, opts: FitOptions): Promise<FitResult> {
  const dt = opts.dt ?? rec.dt;
  if (!(dt !== undefined && dt > 0)) throw new InputError('the sampling interval is unknown: give --dt (or a time column)', { field: '--dt' });
  const form = opts.loss ?? 'whittle';
  const popNames = opts.populations?.names ?? ['all'];
  const groups = opts.populations?.groups ?? new Int32Array(rec.nUnits);
  const P = popNames.length;
  const cfg: ModelConfig = {
    phi: opts.phi,
    populationNames: popNames,
    dt,
    discretisation: opts.discretisation ?? 'euler',
    fitTau: opts.fitTau ?? false,
    tau: opts.tau ?? 1,
    fitScale: opts.fitScale ?? false,
    fitJ0: opts.fitJ0 ?? true,
    fitLeak: opts.fitLeak ?? false,
    leak: opts.leak ?? 0,
  };
  if (form === 'exact' && P > 1) throw new InputError('several populations need the spectral loss (--loss whittle)', { field: '--populations' });
  if (form === 'exact' && cfg.fitScale) throw new InputError('--fit-scale needs the spectral loss (--loss whittle): the exact loss would need a new N×N eigendecomposition at every step', { field: '--fit-scale' });
  if (cfg.fitScale && (cfg.fitLeak || cfg.leak !== 0)) throw new InputError('--fit-scale cannot be combined with a leak shape s', { field: '--fit-scale' });
  const minSamples = form === 'whittle' ? 64 : 16;
  if (rec.nSamples < minSamples) throw new InputError(`the ${form} loss needs at least ${minSamples} samples, got ${rec.nSamples}`);
  for (let a = 0; a < P; a++) {
    if (!groups.some((g) => g === a)) throw new InputError(`population '${popNames[a]}' has no recorded units`, { field: '--populations' });
  }
  const layout = parameterLayout(cfg);
  const prep = form === 'whittle' ? prepareWhittle(rec, groups, cfg, layout) : prepareExact(rec, cfg, layout);
  try {
    if (opts.evaluateOnly) {
      const th = pack({ ...opts.evaluateOnly, offset: opts.evaluateOnly.offset - prep.offsetShift }, layout);
      throw Object.assign(new Error('evaluateOnly'), { value: evaluate(prep.loss, th) * prep.normaliser });
    }
    return runFit(rec, prep, form, opts);
  } finally {
    prep.dispose();
  }
}

function basisFor(cfg: ModelConfig): BasisSpec {
  if (!cfg.fitTau && !cfg.fitLeak) {
    const k = stepCoefficients(cfg.dt, cfg.tau, cfg.discretisation);
    return { names: ['y'], fixed: { a: k.a, b: k.b, s: cfg.leak } };
  }
  return { names: cfg.fitLeak || cfg.leak !== 0 ? ['x1', 'x0', 'tanh'] : ['x1', 'x0'] };
}

/** Weights w of y = Σ w_c B_c at a given τ and leak (float64 mirror of basisWeights). */
function weightsAt(names: readonly string[], k: { a: number; b: number }, leak: number): number[] {
  return names.map((n) => (n === 'y' ? 1 : n === 'x1' ? k.a : n === 'x0' ? k.b : -leak));
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
  // σ² floor (caveat 1): 1e-6 of the y power at the middle candidate.
  const k0 = stepCoefficients(cfg.dt, taus[Math.floor(taus.length / 2)], cfg.discretisation);
  const floor = stats.populations.map((_, a) => {
    const py = yPower(stats, a, weightsAt(basis.names, k0, cfg.leak), scales[Math.floor(scales.length / 2)]);
    return 1e-6 * (py.reduce((s, v) => s + v, 0) / py.length);
  });
  const { loss, normaliser, dispose } = whittleLoss({ stats, cfg, layout, sigma2Floor: floor, source: rec, groups, phi });
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
      for (let a = 0; a < P; a++) {
        // §2.4 regression: P̄_y(k) on [1, P̄_φβ(k)] with non-negative coefficients (σ², g²_αβ).
        const y = yPower(stats, a, w, sc);
        const X = [new Float64Array(y.length).fill(1), ...phiPower.map((pw) => pw.subarray(1))];
        const beta = nnls(X, y);
        nat.D.push(Math.max(beta[0] - floor[a], 1e-3 * floor[a] + 1e-12) / k.c);
        nat.g2.push(Array.from(beta.subarray(1), (v) => Math.max(v, 1e-4)));
      }
      const theta = pack(nat, layout);
      candidates.push({ theta, f: evaluate(loss, theta) });
    }
  }
  candidates.sort((a, b) => a.f - b.f);
  const starts = candidates.filter((c) => Number.isFinite(c.f)).slice(0, cfg.fitTau || cfg.fitScale ? 3 : 1).map((c) => c.theta);
  return { cfg, layout, loss, normaliser, dispose, starts, samplesUsed: T + 1, offsetShift: shift };
}

function prepareExact(rec: Recording, cfg: ModelConfig, layout: ParamLayout): Prepared {
  const phi = nonlinearity(cfg.phi);
  const basis = basisFor(cfg);
  const stats = exactStatistics(rec, basis, phi);
  const taus = cfg.fitTau ? logGrid(2 * cfg.dt, Math.max(4 * cfg.dt, (stats.T * cfg.dt) / 20), 16) : [cfg.tau];
  const k0 = stepCoefficients(cfg.dt, taus[Math.floor(taus.length / 2)], cfg.discretisation);
  const w0 = weightsAt(basis.names, k0, cfg.leak);
  let yVar = 0;
  stats.pairs.forEach(([c, d], q) => (yVar += (c === d ? 1 : 2) * w0[c] * w0[d] * stats.yy[q]));
  const floor = (1e-6 * yVar) / (stats.n * stats.T);
  const { loss, normaliser, dispose } = exactLoss({ stats, cfg, layout, sigma2Floor: floor });
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
  return { cfg, layout, loss, normaliser, dispose, starts, samplesUsed: stats.T + 1, offsetShift: 0 };
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

function runFit(rec: Recording, prep: Prepared, form: LossForm, opts: FitOptions): FitResult {
  const { cfg, layout } = prep;
  if (!prep.starts.length) throw new Error('the loss is not finite at any starting point: check the data and --dt');
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
  opts.onProgress?.('uncertainty', 0, 1);
  // Newton polish with a convergence test in statistical units: stop when the remaining Newton step
  // is below 1 % of every standard error (float32 gradients make plain tolerances unreliable).
  let H = hessian(fg, opt.x, prep.normaliser);
  let cov = covarianceFromHessian(H);
  let newtonSteps = 0;
  let polished = false;
  for (; newtonSteps < 6; newtonSteps++) {
    const cur = fg(opt.x);
    const step = cov.matrix.map((row) => row.reduce((s, v, j) => s + v * cur.g[j] * prep.normaliser, 0));
    const ratio = Math.max(...step.map((d, i) => Math.abs(d) / Math.sqrt(cov.matrix[i][i])));
    if (!(ratio >= 0.01)) {
      polished = Number.isFinite(ratio) && cov.positiveDefinite;
      break;
    }
    let t = 1;
    let moved = false;
    for (let ls = 0; ls < 8 && !moved; ls++, t *= 0.5) {
      const x = opt.x.map((v, i) => v - t * step[i]);
      const f = fg(x).f;
      if (f <= cur.f + 1e-7 * Math.abs(cur.f)) {
        opt.x = x;
        opt.f = f;
        moved = true;
      }
    }
    if (!moved) break;
    H = hessian(fg, opt.x, prep.normaliser);
    cov = covarianceFromHessian(H);
  }
  if (polished) {
    opt.converged = true;
    opt.reason = `${opt.reason}; Newton step below 1% of every standard error after ${newtonSteps} polishing step(s)`;
  } else {
    opt.converged = false;
    opt.reason = `${opt.reason}; Newton polishing did not reach 1% of the standard errors`;
  }
  opt.gradientMaxAbs = fg(opt.x).g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const quantities = reportedQuantities(cfg, layout, prep.offsetShift);
  const dm = deltaMethod(quantities, opt.x, cov.matrix);
  const natural = unpack(opt.x, layout, cfg);
  natural.offset += prep.offsetShift;
  const notes: string[] = [];
  if (form === 'exact') notes.push('exact loss: assumes the recorded units are the whole network (its kernel has the rank of the recorded population); for subsampled recordings use --loss whittle');
  if (!cov.positiveDefinite) notes.push('the loss is flat or curved the wrong way in some direction at the optimum: intervals of parameters along it are undefined (NaN)');
  if (!opt.converged) notes.push(`optimiser did not converge: ${opt.reason}`);
  const fitted = layout.entries.map((e) => e.name);
  const fixed: Record<string, number> = {};
  if (!cfg.fitTau) fixed.tau = cfg.tau;
  if (!cfg.fitScale) Object.assign(fixed, { scale: 1, offset: 0 });
  if (!cfg.fitLeak) fixed.s = cfg.leak;
  if (!cfg.fitJ0) fixed.J0 = 0;
  return {
    params: dm.estimates,
    natural,
    correlation: { names: dm.names, matrix: dm.correlation },
    loss: { form, value: opt.f * prep.normaliser, perSample: opt.f },
    convergence: {
      converged: opt.converged,
      reason: opt.reason,
      iterations: opt.iterations,
      evaluations: opt.evaluations,
      gradientMaxAbs: opt.gradientMaxAbs,
      starts: prep.starts.length,
      hessianPositiveDefinite: cov.positiveDefinite,
    },
    data: {
      units: rec.nUnits,
      samples: rec.nSamples,
      samplesUsed: prep.samplesUsed,
      dt: cfg.dt,
      populations: cfg.populationNames.map((name, a) => ({ name, units: (opts.populations?.groups ?? new Int32Array(rec.nUnits)).filter((g) => g === a).length })),
    },
    model: { phi: cfg.phi, discretisation: cfg.discretisation, fitted, fixed },
    notes,
  };
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
  for (let a = 0; a < P; a++) q.push({ name: P === 1 ? 'D' : `D[${pn[a]}]`, positive: true, fn: (th) => u(th).D[a] });
  if (cfg.fitJ0) for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) q.push({ name: `J0${blk(a, b)}`, positive: false, fn: (th) => u(th).J0[a][b] });
  if (cfg.fitTau) q.push({ name: 'tau', positive: true, fn: (th) => u(th).tau });
  if (cfg.fitScale) {
    q.push({ name: 'scale', positive: true, fn: (th) => u(th).scale });
    // offset in data units (the loss works with data minus its grand mean)
    q.push({ name: 'offset', positive: false, fn: (th) => offsetShift + u(th).offset });
  }
  if (cfg.fitLeak) q.push({ name: 's', positive: false, fn: (th) => u(th).leak });
  return q;
}
