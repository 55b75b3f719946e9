/**
 * The model's parameters, their constraints and the unconstrained vector θ the optimiser sees
 * (THEORY §2.3, "parametrise log g², log σ²"; implementation note 1). Positive quantities live in log
 * space; J0, offset and the leak shape s are free. One layout, two views of θ: float64 numbers for
 * reporting and tfjs scalars for losses under autodiff.
 */
import type { IndicatorModel } from './indicator.js';
import { tf } from '../backend.js';
import type { PhiName } from '../nonlinearity.js';

export type Discretisation = 'euler' | 'exp-euler';

export interface ModelConfig {
  phi: PhiName;
  populationNames: string[];
  /** Sampling interval of the data, in the user's time unit. */
  dt: number;
  discretisation: Discretisation;
  /** Time constant: fitted when fitTau, else fixed at `tau`. */
  fitTau: boolean;
  tau: number;
  /** Observation map x_model = (x_data − offset)/scale, fitted when fitScale. */
  fitScale: boolean;
  fitJ0: boolean;
  /** Leak U(x) = x²/2 − s log cosh x: s fitted when fitLeak, else fixed at `leak`. */
  fitLeak: boolean;
  leak: number;
  /**
   * A given coupling matrix W (a connectome; n×n row-major over the recorded units, row = target),
   * normalised to ‖W‖_F/√n = 1: the coupling is J = g_W·W + J0/N + g·Z/√N with the signed gain g_W
   * fitted (exact loss only; see src/fit/connectome.ts).
   */
  connectome?: Float64Array;
  /** ‖W‖_F/√n of the matrix as given: its scale a = g_W/‖W‖_F·√n in J = a·W_given */
  connectomeNorm?: number;
  /** Fit white observation noise on x, x_data = x + ε with var ε = σ_obs² (spectral loss only; src/loss/whittle.ts). */
  fitObsNoise?: boolean;
  /**
   * With fitObsNoise: the data were seen through a calcium indicator (γ per sample), undone and
   * block-averaged before the fit (src/model/indicator.ts), so the observation noise on x is MA(1), not white.
   */
  indicator?: IndicatorModel;
}

export type ParamKind = 'logG2' | 'logD' | 'J0' | 'logTau' | 'offset' | 'logScale' | 'leak' | 'gW' | 'logObs2';

export interface ParamEntry {
  kind: ParamKind;
  /** Target and source population for block quantities (g², J0); a for D. */
  a?: number;
  b?: number;
  name: string;
}

export interface ParamLayout {
  entries: ParamEntry[];
  P: number;
  index: (kind: ParamKind, a?: number, b?: number) => number;
}

export function parameterLayout(cfg: ModelConfig): ParamLayout {
  const P = cfg.populationNames.length;
  const pn = cfg.populationNames;
  const blk = (a: number, b: number) => (P === 1 ? '' : `[${pn[a]}<-${pn[b]}]`);
  const entries: ParamEntry[] = [];
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) entries.push({ kind: 'logG2', a, b, name: `log g2${blk(a, b)}` });
  for (let a = 0; a < P; a++) entries.push({ kind: 'logD', a, name: `log D${P === 1 ? '' : `[${pn[a]}]`}` });
  if (cfg.fitJ0) for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) entries.push({ kind: 'J0', a, b, name: `J0${blk(a, b)}` });
  if (cfg.fitTau) entries.push({ kind: 'logTau', name: 'log tau' });
  if (cfg.fitScale) {
    entries.push({ kind: 'offset', name: 'offset' });
    entries.push({ kind: 'logScale', name: 'log scale' });
  }
  if (cfg.fitLeak) entries.push({ kind: 'leak', name: 's' });
  if (cfg.connectome) entries.push({ kind: 'gW', name: 'g_W' });
  if (cfg.fitObsNoise) entries.push({ kind: 'logObs2', name: 'log obsNoise2' });
  const index = (kind: ParamKind, a?: number, b?: number) =>
    entries.findIndex((e) => e.kind === kind && (a === undefined || e.a === a) && (b === undefined || e.b === b));
  return { entries, P, index };
}

/** Natural parameters as plain numbers. */
export interface NaturalParams {
  g2: number[][];
  D: number[];
  J0: number[][];
  tau: number;
  offset: number;
  scale: number;
  leak: number;
  /** gain of the given coupling matrix (cfg.connectome); absent without one */
  gW?: number;
  /** σ_obs², the variance of white observation noise on x (cfg.fitObsNoise); absent without it */
  obsNoise2?: number;
}

/** The Euler (or exponential-Euler) step in model time and the regression coefficients of y. */
export interface StepCoefficients {
  /** h = dt/τ */
  h: number;
  /** y = a·x[t+1] + b·x[t] − s tanh x[t] */
  a: number;
  b: number;
  /** σ² = c·D: per-sample noise variance of y (2D/h for Euler, THEORY §2.3 caveat 3 otherwise). */
  c: number;
}

export function stepCoefficients(dt: number, tau: number, disc: Discretisation): StepCoefficients {
  const h = dt / tau;
  if (disc === 'euler') return { h, a: 1 / h, b: 1 - 1 / h, c: 2 / h };
  const e = Math.exp(-h);
  return { h, a: 1 / (1 - e), b: -e / (1 - e), c: (1 + e) / (1 - e) };
}

export function unpack(theta: ArrayLike<number>, layout: ParamLayout, cfg: ModelConfig): NaturalParams {
  const P = layout.P;
  const g2 = Array.from({ length: P }, () => new Array<number>(P).fill(0));
  const J0 = Array.from({ length: P }, () => new Array<number>(P).fill(0));
  const D = new Array<number>(P).fill(0);
  const out: NaturalParams = { g2, D, J0, tau: cfg.tau, offset: 0, scale: 1, leak: cfg.leak };
  layout.entries.forEach((e, k) => {
    const v = theta[k];
    switch (e.kind) {
      case 'logG2': g2[e.a!][e.b!] = Math.exp(v); break;
      case 'logD': D[e.a!] = Math.exp(v); break;
      case 'J0': J0[e.a!][e.b!] = v; break;
      case 'logTau': out.tau = Math.exp(v); break;
      case 'offset': out.offset = v; break;
      case 'logScale': out.scale = Math.exp(v); break;
      case 'leak': out.leak = v; break;
      case 'gW': out.gW = v; break;
      case 'logObs2': out.obsNoise2 = Math.exp(v); break;
    }
  });
  return out;
}

/** The smallest positive value θ holds for g² and D: log g² = log(1e-12) stands for g² = 0. */
export const LOG_FLOOR = 1e-12;

export function pack(p: NaturalParams, layout: ParamLayout): Float64Array {
  const theta = new Float64Array(layout.entries.length);
  layout.entries.forEach((e, k) => {
    switch (e.kind) {
      case 'logG2': theta[k] = Math.log(Math.max(p.g2[e.a!][e.b!], LOG_FLOOR)); break;
      case 'logD': theta[k] = Math.log(Math.max(p.D[e.a!], LOG_FLOOR)); break;
      case 'J0': theta[k] = p.J0[e.a!][e.b!]; break;
      case 'logTau': theta[k] = Math.log(p.tau); break;
      case 'offset': theta[k] = p.offset; break;
      case 'logScale': theta[k] = Math.log(p.scale); break;
      case 'leak': theta[k] = p.leak; break;
      case 'gW': theta[k] = p.gW ?? 0; break;
      case 'logObs2': theta[k] = Math.log(Math.max(p.obsNoise2 ?? 0, LOG_FLOOR)); break;
    }
  });
  return theta;
}

/** The same parameters as tfjs scalars (differentiable in θ). Fixed ones are constants. */
export interface TensorParams {
  g2: tf.Scalar[][];
  D: tf.Scalar[];
  J0: tf.Scalar[][];
  /** Regression coefficients a, b of y, the σ²-per-D factor c and −log a (Jacobian). */
  a: tf.Scalar;
  b: tf.Scalar;
  c: tf.Scalar;
  offset: tf.Scalar;
  scale: tf.Scalar;
  logScale: tf.Scalar;
  leak: tf.Scalar;
  /** gain of the given coupling matrix (0 without one) */
  gW: tf.Scalar;
  /** σ_obs² (0 without observation noise) */
  obsNoise2: tf.Scalar;
}

export function unpackTensor(theta: tf.Tensor1D, layout: ParamLayout, cfg: ModelConfig): TensorParams {
  const parts = tf.unstack(theta) as tf.Scalar[];
  const P = layout.P;
  const zero = tf.scalar(0);
  const g2: tf.Scalar[][] = Array.from({ length: P }, () => new Array<tf.Scalar>(P).fill(zero));
  const J0: tf.Scalar[][] = Array.from({ length: P }, () => new Array<tf.Scalar>(P).fill(zero));
  const D: tf.Scalar[] = new Array<tf.Scalar>(P).fill(zero);
  let logTau: tf.Scalar = tf.scalar(Math.log(cfg.tau));
  let offset: tf.Scalar = zero;
  let logScale: tf.Scalar = zero;
  let leak: tf.Scalar = tf.scalar(cfg.leak);
  let gW: tf.Scalar = zero;
  let obsNoise2: tf.Scalar = zero;
  layout.entries.forEach((e, k) => {
    const v = parts[k];
    switch (e.kind) {
      case 'logG2': g2[e.a!][e.b!] = tf.exp(v) as tf.Scalar; break;
      case 'logD': D[e.a!] = tf.exp(v) as tf.Scalar; break;
      case 'J0': J0[e.a!][e.b!] = v; break;
      case 'logTau': logTau = v; break;
      case 'offset': offset = v; break;
      case 'logScale': logScale = v; break;
      case 'leak': leak = v; break;
      case 'gW': gW = v; break;
      case 'logObs2': obsNoise2 = tf.exp(v) as tf.Scalar; break;
    }
  });
  // h = dt/τ; coefficients as in stepCoefficients, written with tensors.
  const h = tf.mul(cfg.dt, tf.exp(tf.neg(logTau))) as tf.Scalar;
  let a: tf.Scalar, b: tf.Scalar, c: tf.Scalar;
  if (cfg.discretisation === 'euler') {
    a = tf.div(1, h) as tf.Scalar;
    b = tf.sub(1, a) as tf.Scalar;
    c = tf.div(2, h) as tf.Scalar;
  } else {
    const e = tf.exp(tf.neg(h));
    const one = tf.scalar(1);
    a = tf.div(one, tf.sub(one, e)) as tf.Scalar;
    b = tf.neg(tf.mul(e, a)) as tf.Scalar;
    c = tf.mul(tf.add(one, e), a) as tf.Scalar;
  }
  return { g2, D, J0, a, b, c, offset, scale: tf.exp(logScale) as tf.Scalar, logScale, leak, gW, obsNoise2 };
}
