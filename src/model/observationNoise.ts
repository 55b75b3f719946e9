/**
 * White observation noise on x, x_data = x + ε with var ε = σ² (`fit --obs-noise`; THEORY §2.3 caveats 1
 * and 4): what it does to the φ-spectrum the spectral loss regresses on, as a function of σ².
 *
 * Observed, φ(x + ε) is φ smoothed by the noise plus white scatter. For jointly Gaussian x the lagged
 * covariance of φ is Σ_n ⟨φ⁽ⁿ⁾⟩² Cₓ(τ)ⁿ/n! (Price's theorem): ε leaves Cₓ(τ ≠ 0) alone and changes only
 * the averages ⟨φ⁽ⁿ⁾⟩. Keeping the leading n = 1 term, the network's φ-spectrum is the observed one scaled
 * by r = Σᵢ⟨φ'⟩²ₓ,ᵢ / Σᵢ⟨φ'⟩²_obs,ᵢ, its lag-0 (white) level moved to the network's variance of φ:
 *   P_φ(k) = r·P_obs(k) + w,   w = (1 − r)·v_obs − (v_obs,G − vₓ,G)
 * with v_obs the data's mean variance of φ per unit and the subscript G the same under the Gaussian model
 * of each unit's x: N(μᵢ, sᵢ²) observed, N(μᵢ, sᵢ² − σ²) for the network. The averages use a trapezoid
 * rule on z ∈ [−8, 8] at steps ≤ 1/(2·max sᵢ): φ'(μ + s z) narrows as 1/s, and Gauss–Hermite with 24 nodes
 * missed ⟨tanh'⟩ by 11 % at s = 3 (48 nodes: 3 %), where this rule is within 1e-8.
 * A second-order expansion in σ² instead (⟨f⟩ₓ ≈ ⟨f − ½σ²f''⟩_obs) left ĝ +1 % high at σ = sd(x)/3 and
 * +2–3 % at sd(x)/2 on simulated networks at g 1.5–2; bench/obs-noise.ts measures this form.
 * Noise that is not white (an indicator undone, src/model/indicator.ts: lag-1 covariance C₁ per unit of σ²)
 * also passes its lag-1 covariance into φ's at first order, ⟨φ'⟩²_obs C₁, which the network's φ lacks:
 *   P_φ(k) = r·P_obs(k) + w + c·cos ω_k,   c = −2 (Σᵢ⟨φ'⟩²ₓ,ᵢ / n) C₁,
 * where the lag-0 terms use the noise's variance in place of σ².
 */
import { tf } from '../backend.js';
import { nonlinearity, type Nonlinearity, type PhiName } from '../nonlinearity.js';
import type { SeriesSource } from '../statistics/spectra.js';
import { trapezoidRule, type NormalRule } from '../theory/gaussian.js';

/** The quadrature rule for units of these variances of x (see the header). */
function ruleFor(variance: Float64Array): NormalRule {
  const maxSd = Math.sqrt(variance.reduce((m, v) => Math.max(m, v), 0));
  return trapezoidRule(8, Math.max(81, 2 * Math.ceil(16 * maxSd) + 1));
}

/** A unit's x is never taken narrower than this share of its observed variance (σ² near sᵢ²). */
const MIN_VARIANCE_SHARE = 1e-3;

export interface ObservationNoisePopulation {
  /** per unit: mean and variance of the observed x */
  mean: Float64Array;
  variance: Float64Array;
  /** mean over units of the data's variance of φ(x_obs) about each unit's mean */
  phiVariance: number;
  /** Σᵢ ⟨φ'⟩²_obs,ᵢ and mean vᵢ of φ under the Gaussian model of the observed x (σ-independent) */
  observedSlope2: number;
  observedPhiVariance: number;
}

/** The per-unit statistics of the observed x that the correction needs, per population of `groups`. */
export function observationNoiseModel(rec: SeriesSource, groups: Int32Array, P: number, phi: Nonlinearity): ObservationNoisePopulation[] {
  const N = rec.nUnits;
  const T = rec.nSamples;
  return Array.from({ length: P }, (_, p) => {
    const units = Array.from({ length: N }, (_, i) => i).filter((i) => groups[i] === p);
    const mean = new Float64Array(units.length);
    const variance = new Float64Array(units.length);
    let phiVariance = 0;
    units.forEach((i, u) => {
      let s = 0, s2 = 0, f = 0, f2 = 0;
      for (let t = 0; t < T; t++) {
        const x = rec.data[t * N + i];
        const v = phi.f(x);
        s += x;
        s2 += x * x;
        f += v;
        f2 += v * v;
      }
      mean[u] = s / T;
      variance[u] = Math.max(0, s2 / T - mean[u] ** 2);
      phiVariance += f2 / T - (f / T) ** 2;
    });
    const observed = gaussianMoments(mean, variance, 0, phi);
    return { mean, variance, phiVariance: phiVariance / units.length, observedSlope2: observed.slope2, observedPhiVariance: observed.phiVariance };
  });
}

/** Σᵢ⟨φ'⟩²ᵢ and the mean variance of φ over units with x ~ N(μᵢ, sᵢ² − σ²). */
function gaussianMoments(mean: Float64Array, variance: Float64Array, obs2: number, phi: Nonlinearity): { slope2: number; phiVariance: number } {
  const { z, w } = ruleFor(variance);
  let slope2 = 0;
  let phiVariance = 0;
  for (let i = 0; i < mean.length; i++) {
    const sd = Math.sqrt(Math.max(variance[i] - obs2, MIN_VARIANCE_SHARE * variance[i]));
    let d = 0, f = 0, f2 = 0;
    for (let k = 0; k < z.length; k++) {
      const x = mean[i] + sd * z[k];
      const v = phi.f(x);
      d += w[k] * phi.df(x);
      f += w[k] * v;
      f2 += w[k] * v * v;
    }
    slope2 += d * d;
    phiVariance += f2 - f * f;
  }
  return { slope2, phiVariance: phiVariance / mean.length };
}

/** The noise's lag-0 variance and lag-1 covariance per unit of σ²: white noise by default. */
export interface NoiseCovariance {
  lag0: number;
  lag1: number;
}
export const WHITE_NOISE: NoiseCovariance = { lag0: 1, lag1: 0 };

/** The correction P_φ(k) = r·P_obs(k) + w + c·cos ω_k of one population (see the header). */
export interface PhiPowerCorrection {
  r: number;
  w: number;
  c: number;
}

/** r, w and c per population at noise σ² = obs2 of covariance shape `noise`. */
export function observationNoiseCorrection(model: ObservationNoisePopulation[], obs2: number, phi: Nonlinearity, noise: NoiseCovariance = WHITE_NOISE): PhiPowerCorrection[] {
  return model.map((m) => {
    const network = gaussianMoments(m.mean, m.variance, noise.lag0 * obs2, phi);
    const r = network.slope2 / m.observedSlope2;
    return { r, w: (1 - r) * m.phiVariance - (m.observedPhiVariance - network.phiVariance), c: (-2 * network.slope2 * noise.lag1 * obs2) / m.mean.length };
  });
}

/** The network's φ-power in bin ω from the observed one, never below 0. */
export function networkPhiPower(observed: number, c: PhiPowerCorrection, omega: number): number {
  return Math.max(0, c.r * observed + c.w + c.c * Math.cos(omega));
}

/**
 * The same r, w and c as [P, 1] tensors of σ² (differentiable), for the loss under autodiff. `dispose`
 * releases the constants.
 */
export function observationNoiseCorrectionTensor(
  model: ObservationNoisePopulation[],
  phi: PhiName,
  noise: NoiseCovariance = WHITE_NOISE,
): { at: (obs2: tf.Scalar) => { r: tf.Tensor2D; w: tf.Tensor2D; c: tf.Tensor2D }; dispose: () => void } {
  const pops = model.map((m) => {
    const rule = ruleFor(m.variance);
    return {
      z: tf.tensor2d(Float32Array.from(rule.z), [1, rule.z.length]),
      w: tf.tensor2d(Float32Array.from(rule.w), [rule.w.length, 1]),
      mean: tf.tensor2d(Float32Array.from(m.mean), [m.mean.length, 1]),
      variance: tf.tensor2d(Float32Array.from(m.variance), [m.variance.length, 1]),
      m,
    };
  });
  const slope = (x: tf.Tensor) => (phi === 'tanh' ? tf.sub(1, tf.square(tf.tanh(x))) : tf.exp(tf.mul(tf.square(x), -Math.PI / 4)));
  const value = nonlinearity(phi).tensor;
  const at = (obs2: tf.Scalar) => {
    const rs: tf.Tensor[] = [];
    const ws: tf.Tensor[] = [];
    const cs: tf.Tensor[] = [];
    for (const p of pops) {
      const sd = tf.sqrt(tf.maximum(tf.sub(p.variance, tf.mul(obs2, noise.lag0)), tf.mul(p.variance, MIN_VARIANCE_SHARE)));
      const x = tf.add(p.mean, tf.matMul(sd, p.z)); // [units, nodes]
      const d = tf.matMul(slope(x), p.w);
      const v = value(x);
      const f = tf.matMul(v, p.w);
      const f2 = tf.matMul(tf.square(v), p.w);
      const r = tf.div(tf.sum(tf.square(d)), p.m.observedSlope2);
      const networkVariance = tf.mean(tf.sub(f2, tf.square(f)));
      rs.push(r);
      ws.push(tf.sub(tf.mul(tf.sub(1, r), p.m.phiVariance), tf.sub(p.m.observedPhiVariance, networkVariance)));
      cs.push(tf.mul(tf.mul(r, obs2), (-2 * p.m.observedSlope2 * noise.lag1) / p.m.mean.length));
    }
    const column = (ts: tf.Tensor[]) => tf.reshape(tf.stack(ts), [pops.length, 1]) as tf.Tensor2D;
    return { r: column(rs), w: column(ws), c: column(cs) };
  };
  return {
    at,
    dispose: () => {
      pops.forEach((p) => {
        p.z.dispose();
        p.w.dispose();
        p.mean.dispose();
        p.variance.dispose();
      });
    },
  };
}
