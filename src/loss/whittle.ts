/**
 * The stationary spectral (Whittle) form of the rate-function loss, THEORY §2.4 with the populations
 * of §2.5 and the mean term J0·m̄(t) of §2.2:
 *
 *   −log L = ½ Σ_α Σ_k [ n_α log s_α(k) + Σ_{i∈α} |Y_i(k) − μ_α(k)|² / (T s_α(k)) ] + Jacobian terms
 *   s_α(k) = σ_α² + Σ_β g²_αβ P̄_φβ(k),   σ² = c(h)·D,   μ_α(k) = Σ_β J0_αβ M_β(k)
 *
 * summed over the whole Fourier circle (bins 1..T/2 weighted 2, Nyquist 1, bin 0 once). Y is the DFT
 * of y = a·(x[t+1] − x[t]) + (a+b)·x[t] − s tanh x[t]; x is in model units x = (data − offset)/scale, so the
 * density of the data adds −T log a + T log scale per unit. No N×N work: O(T·units) once for the
 * spectra, O(T·P²) per evaluation.
 */
import { tf } from '../backend.js';
import type { Nonlinearity } from '../nonlinearity.js';
import { type ModelConfig, type ParamLayout, type TensorParams, stepCoefficients, unpack, unpackTensor } from '../model/parameters.js';
import { OFFSET_COEFFICIENT, phiSpectra, type BasisName, type PhiSpectra, type SeriesSource, type SpectralStatistics } from '../statistics/spectra.js';
import {
  networkPhiPower, observationNoiseCorrection, observationNoiseCorrectionTensor, type NoiseCovariance, type ObservationNoisePopulation, WHITE_NOISE,
} from '../model/observationNoise.js';
import { blockMeanNoiseShape, type IndicatorModel, indicatorNoiseCovariance, indicatorNoiseShape } from '../model/indicator.js';

export interface WhittleInputs {
  stats: SpectralStatistics;
  cfg: ModelConfig;
  layout: ParamLayout;
  /** σ² floor per population (THEORY §2.3 caveat 1), in y² units. */
  sigma2Floor: number[];
  /** Needed only when the observation scale/offset is fitted (φ statistics recomputed each step). */
  source?: SeriesSource;
  groups?: Int32Array;
  phi: Nonlinearity;
  /** With cfg.fitObsNoise: per population, the observed x's statistics that say how the noise reaches P̄_φ. */
  obsNoiseModel?: ObservationNoisePopulation[];
}

export type LossFunction = (theta: tf.Tensor1D) => tf.Scalar;

/** Pack φ statistics as [3, P, bins]: power, mean re, mean im. */
function packPhi(s: PhiSpectra, P: number, nb: number): Float32Array {
  const out = new Float32Array(3 * P * nb);
  for (let p = 0; p < P; p++) {
    out.set(s.power[p], (0 * P + p) * nb);
    out.set(s.meanRe[p], (1 * P + p) * nb);
    out.set(s.meanIm[p], (2 * P + p) * nb);
  }
  return out;
}

export function whittleLoss(inp: WhittleInputs): { loss: LossFunction; normaliser: number; dispose: () => void } {
  const { stats, cfg, layout } = inp;
  const P = layout.P;
  const nb = stats.nBins;
  const K1 = nb - 1;
  const T = stats.T;
  const names = stats.basis.names;
  const C = names.length;
  if (cfg.fitScale && names.includes('tanh')) throw new Error('fitting the leak shape together with the observation scale is not supported');

  const keep: tf.Tensor[] = [];
  const constant = <R extends tf.Tensor>(t: R): R => {
    keep.push(t);
    return t;
  };
  // Bin weights over k = 1..T/2 (the full circle counts each interior bin twice).
  const omegaArr = new Float32Array(K1).fill(2);
  omegaArr[K1 - 1] = 1;
  const omega = constant(tf.tensor1d(omegaArr));
  const pops = stats.populations.map((p) => ({
    n: p.n,
    cross: constant(tf.tensor2d(concat(p.cross.map((a) => a.subarray(1))), [p.cross.length, K1])),
    meanRe: constant(tf.tensor2d(concat(p.meanRe.map((a) => a.subarray(1))), [C, K1])),
    meanIm: constant(tf.tensor2d(concat(p.meanIm.map((a) => a.subarray(1))), [C, K1])),
    sumSS: p.sumSS,
    sumS: p.sumS,
    ownCross: constant(tf.tensor2d(concat(p.ownCross.map((a) => a.subarray(1))), [p.ownCross.length, K1])),
    ownSumRe: constant(tf.tensor2d(concat(p.ownSumRe.map((a) => a.subarray(1))), [C, K1])),
    ownSumIm: constant(tf.tensor2d(concat(p.ownSumIm.map((a) => a.subarray(1))), [C, K1])),
    ownCount: constant(tf.tensor1d(Float32Array.from(p.ownCount.subarray(1)))),
  }));
  const nTotal = pops.reduce((s, p) => s + p.n, 0);
  const normaliser = nTotal * T;

  // φ statistics: fixed, or recomputed (with forward-mode derivatives) when offset/scale move.
  let phiFixed: tf.Tensor3D | undefined;
  if (!cfg.fitScale) {
    if (!stats.phi) throw new Error('spectral statistics lack φ spectra');
    phiFixed = constant(tf.tensor3d(packPhi(stats.phi, P, nb), [3, P, nb]));
  }
  const phiOp = cfg.fitScale
    ? tf.customGrad(((offset: tf.Tensor, logScale: tf.Tensor) => {
        const o = offset.dataSync()[0];
        const ls = logScale.dataSync()[0];
        const sc = Math.exp(ls);
        const r = phiSpectra(inp.source!, inp.groups!, P, inp.phi, T, { shift: stats.shift, offset: o, scale: sc }, true);
        const value = tf.tensor3d(packPhi(r.value, P, nb), [3, P, nb]);
        const dO = packPhi(r.dOffset!, P, nb);
        const dS = packPhi(r.dScale!, P, nb);
        return {
          value,
          gradFunc: (dy: tf.Tensor) => {
            const g = dy.dataSync();
            let go = 0;
            let gs = 0;
            for (let k = 0; k < g.length; k++) {
              go += g[k] * dO[k];
              gs += g[k] * dS[k] * sc; // chain rule to log scale
            }
            return [tf.scalar(go), tf.scalar(gs)];
          },
        };
      }) as unknown as Parameters<typeof tf.customGrad>[0])
    : undefined;

  const pairMult = stats.pairs.map(([c, d]) => (c === d ? 1 : 2));
  const kappa = offsetCoefficients(names, cfg);
  // observation noise (see obsNoisePower): cos ω_k over bins 0..T/2, an undone indicator's colour, and the φ-spectrum's correction
  const omegaAt = (k: number) => (2 * Math.PI * k) / T;
  const cosOmega = cfg.fitObsNoise ? constant(tf.tensor1d(Float32Array.from({ length: nb }, (_, k) => Math.cos(omegaAt(k))))) : undefined;
  const ind = cfg.indicator;
  const colour = cfg.fitObsNoise && ind ? constant(tf.tensor1d(Float32Array.from({ length: nb }, (_, k) => indicatorNoiseShape(ind, omegaAt(k))))) : undefined;
  // the network noise's shape in y when x holds block means (1 for the recording itself)
  const blocks = cfg.indicator && cfg.indicator.block > 1 ? constant(tf.tensor1d(Float32Array.from({ length: nb }, (_, k) => blockMeanNoiseShape(cfg.indicator!.block, omegaAt(k))))) : undefined;
  const noiseCorrection = cfg.fitObsNoise ? observationNoiseCorrectionTensor(checkedNoiseModel(inp, P), cfg.phi, noiseCovariance(cfg)) : undefined;
  const loss: LossFunction = (theta) =>
    tf.tidy(() => {
      const tp = unpackTensor(theta, layout, cfg);
      const w = basisWeights(names, tp);
      const phiT = phiFixed ?? (phiOp!(tp.offset, tp.logScale) as tf.Tensor3D);
      const observed = tf.squeeze(tf.slice(phiT, [0, 0, 0], [1, P, nb]), [0]); // [P, nb]
      // P̄_φ of the network's x from the observed one (networkPhiPower, never below 0)
      let power: tf.Tensor = observed;
      if (noiseCorrection) {
        const { r, w: white, c } = noiseCorrection.at(tp.obsNoise2);
        power = tf.add(tf.mul(r, observed), white);
        if (colour) power = tf.add(power, tf.mul(c, cosOmega!));
        power = tf.relu(power);
      }
      const mRe = tf.squeeze(tf.slice(phiT, [1, 0, 0], [1, P, nb]), [0]);
      const mIm = tf.squeeze(tf.slice(phiT, [2, 0, 0], [1, P, nb]), [0]);
      const invScale = tf.exp(tf.neg(tp.logScale));
      let total: tf.Tensor = tf.scalar(0);
      pops.forEach((p, alpha) => {
        if (p.n === 0) return;
        // s_α(k), bins 0..T/2
        let s: tf.Tensor = tf.add(tf.mul(tf.mul(tp.D[alpha], tp.c), blocks ?? 1), inp.sigma2Floor[alpha]);
        if (cosOmega) {
          // σ_obs² |a e^{iω} + b|² = σ_obs² (a² + b² + 2ab cos ω), times the undone indicator's colour
          const ab = tf.mul(tf.mul(tp.a, tp.b), 2);
          const filter = tf.add(tf.add(tf.square(tp.a), tf.square(tp.b)), tf.mul(ab, cosOmega));
          s = tf.add(s, tf.mul(tp.obsNoise2, colour ? tf.mul(filter, colour) : filter));
        }
        for (let beta = 0; beta < P; beta++) {
          s = tf.add(s, tf.mul(tp.g2[alpha][beta], tf.squeeze(tf.slice(power, [beta, 0], [1, nb]), [0])));
        }
        const s0 = tf.slice(s, [0], [1]);
        const sK = tf.slice(s, [1], [K1]);
        // Σ_i |Y_i(k)|²/T for k ≥ 1: quadratic form in w of the cross-periodograms.
        const coef = tf.stack(stats.pairs.map(([c, d], q) => tf.mul(tf.mul(w[c], w[d]), pairMult[q])));
        const quad = tf.mul(tf.squeeze(tf.matMul(tf.reshape(coef, [1, -1]), p.cross), [0]), tf.square(invScale));
        // Σ_i Y_i(k) = n_α Σ_c w_c F̄_cα(k)/scale
        const wv = tf.reshape(tf.stack(w), [1, C]);
        const ysRe = tf.mul(tf.squeeze(tf.matMul(wv, p.meanRe), [0]), tf.mul(invScale, p.n));
        const ysIm = tf.mul(tf.squeeze(tf.matMul(wv, p.meanIm), [0]), tf.mul(invScale, p.n));
        let dK: tf.Tensor = quad;
        // Σ_i ρ_i |Y_i(k) − μ(k)|²/T (own-power-weighted residual power; the J0 part below).
        let ownD: tf.Tensor = p.n >= OWN_POWER_MIN_UNITS ? tf.mul(tf.squeeze(tf.matMul(tf.reshape(coef, [1, -1]), p.ownCross), [0]), tf.square(invScale)) : tf.scalar(0);
        let mu0: tf.Tensor = tf.scalar(0);
        if (cfg.fitJ0) {
          let muRe: tf.Tensor = tf.zeros([nb]);
          let muIm: tf.Tensor = tf.zeros([nb]);
          for (let beta = 0; beta < P; beta++) {
            const j0 = tp.J0[alpha][beta];
            muRe = tf.add(muRe, tf.mul(j0, tf.squeeze(tf.slice(mRe, [beta, 0], [1, nb]), [0])));
            muIm = tf.add(muIm, tf.mul(j0, tf.squeeze(tf.slice(mIm, [beta, 0], [1, nb]), [0])));
          }
          mu0 = tf.slice(muRe, [0], [1]);
          const muReK = tf.slice(muRe, [1], [K1]);
          const muImK = tf.slice(muIm, [1], [K1]);
          const cross = tf.add(tf.mul(muReK, ysRe), tf.mul(muImK, ysIm));
          const mu2 = tf.add(tf.square(muReK), tf.square(muImK));
          dK = tf.add(tf.sub(dK, tf.mul(cross, 2 / T)), tf.mul(mu2, p.n / T));
          if (p.n >= OWN_POWER_MIN_UNITS) {
            const ownYRe = tf.squeeze(tf.matMul(wv, p.ownSumRe), [0]);
            const ownYIm = tf.squeeze(tf.matMul(wv, p.ownSumIm), [0]);
            ownD = tf.sub(ownD, tf.mul(tf.add(tf.mul(muReK, ownYRe), tf.mul(muImK, ownYIm)), tf.mul(invScale, 2 / T)));
            ownD = tf.add(ownD, tf.mul(mu2, tf.div(p.ownCount, T)));
          }
        }
        let termsK = tf.add(tf.mul(tf.log(sK), p.n), tf.div(dK, sK));
        if (p.n >= OWN_POWER_MIN_UNITS) {
          // Each unit's own φ-periodogram scatter out of its bulk variance, to first order (see ownPowerTerm).
          const pK = tf.slice(tf.squeeze(tf.slice(power, [alpha, 0], [1, nb]), [0]), [1], [K1]);
          const eps = tf.div(tf.mul(tp.g2[alpha][alpha], pK), p.n);
          termsK = tf.add(termsK, tf.mul(tf.div(eps, sK), tf.sub(tf.div(ownD, sK), p.ownCount))); // no s²: it overflows float32
        }
        const nllK = tf.mul(0.5, tf.sum(tf.mul(omega, termsK)));
        // Bin 0 with the offset: Y_i(0) = Σ_c w_c (S_ci − κ_c·T·offset)/scale.
        const o = tp.offset;
        const To = tf.mul(o, T);
        let sumY2: tf.Tensor = tf.scalar(0);
        stats.pairs.forEach(([c, d], q) => {
          const [kc, kd] = [kappa[c], kappa[d]];
          const term = tf.add(
            tf.sub(p.sumSS[q], tf.mul(To, kd * p.sumS[c] + kc * p.sumS[d])),
            tf.mul(tf.square(To), p.n * kc * kd),
          );
          sumY2 = tf.add(sumY2, tf.mul(tf.mul(tf.mul(w[c], w[d]), pairMult[q]), term));
        });
        sumY2 = tf.mul(sumY2, tf.square(invScale));
        let sumY: tf.Tensor = tf.scalar(0);
        for (let c = 0; c < C; c++) sumY = tf.add(sumY, tf.mul(w[c], tf.sub(p.sumS[c], tf.mul(To, p.n * kappa[c]))));
        sumY = tf.mul(sumY, invScale);
        const d0 = tf.div(tf.add(tf.sub(sumY2, tf.mul(tf.mul(mu0, sumY), 2)), tf.mul(tf.square(mu0), p.n)), T);
        const nll0 = tf.mul(0.5, tf.sum(tf.add(tf.mul(tf.log(s0), p.n), tf.div(d0, s0))));
        // Density of the data: Jacobian of data → x → y, and the Gaussian constant.
        const jac = tf.mul(p.n * T, tf.add(tf.sub(tp.logScale, tf.log(tf.abs(tp.a))), 0.5 * Math.log(2 * Math.PI)));
        total = tf.add(total, tf.add(tf.add(nllK, nll0), jac));
      });
      return tf.div(total, normaliser) as tf.Scalar;
    });
  return {
    loss,
    normaliser,
    dispose: () => {
      keep.forEach((t) => t.dispose());
      noiseCorrection?.dispose();
    },
  };
}

/**
 * White observation noise on x (x_data = x + ε, var ε = σ_obs², `fit --obs-noise`; THEORY §2.3 caveats 1
 * and 4). It reaches y = a·x[t+1] + b·x[t] filtered: σ_obs² |a e^{iω} + b|² more power in bin ω, rising
 * to σ_obs² (a − b)² ≈ 4σ_obs²/h² at the Nyquist frequency, where the network's own noise σ² = 2D/h is
 * flat: so the two are told apart by the shape of y's spectrum. It also reaches the regressors: φ(x + ε)
 * is a smoothed φ plus white scatter, which the loss undoes (src/model/observationNoise.ts). Unit i's
 * own ε in both its Y_i and its Φ_i is the own-power term's kind of 1/n effect and is left to it.
 * With an indicator undone (src/model/indicator.ts) the noise on x is ε filtered by (1 − γe^{−iω})/(1 − γ)
 * (and block-averaged), and its power takes that filter's shape.
 */
export function obsNoisePower(obs2: number, a: number, b: number, omega: number, indicator: IndicatorModel | undefined): number {
  return obs2 * (a * a + b * b + 2 * a * b * Math.cos(omega)) * (indicator ? indicatorNoiseShape(indicator, omega) : 1);
}

/** The network noise's power in y per unit of its white level: blurred where x holds block means of an undone indicator. */
export function networkNoiseShape(indicator: IndicatorModel | undefined, omega: number): number {
  return indicator ? blockMeanNoiseShape(indicator.block, omega) : 1;
}

/** The covariance shape of the noise on the fitted x: white, or an undone indicator's MA(1). */
export function noiseCovariance(cfg: ModelConfig): NoiseCovariance {
  return cfg.indicator ? indicatorNoiseCovariance(cfg.indicator) : WHITE_NOISE;
}

function checkedNoiseModel(inp: WhittleInputs, P: number): ObservationNoisePopulation[] {
  if (!inp.obsNoiseModel || inp.obsNoiseModel.length !== P) throw new Error('observation noise needs the observed x\'s statistics per population');
  return inp.obsNoiseModel;
}

/**
 * |ε_i|/s ≤ |ρ_i|/n: below 20 units the expansion fails (on white-noise data of 5 units it traded the
 * term against g² → ∞), so smaller populations keep the plain P̄_φ and its bias.
 */
export const OWN_POWER_MIN_UNITS = 20;

/**
 * The own-power term. Unit i's φ_i is its own noise low-passed, so at one frequency its periodogram
 * |Φ_i(k)|², part of P̄_φ, scatters from bin to bin together with its input periodogram |Y_i(k)|². A
 * time-domain regression never sees this (φ_i[t] depends on earlier noise only); a periodogram fit with
 * P̄_φ in s(k) reads it as coupling: ĝ ≈ 0.17 on uncoupled networks of 100 units (g² bias ≈ σ²/n), +12–13 %
 * at g = 0.3, D = 0.02. Replacing unit i's periodogram in its own P̄_φ by its mean over neighbouring bins
 * (ownPowerScatter: the scatter goes, the unit's level and so the self-coupling's expected share stay),
 * s_i = s − ε_i, ε_i = g² P̄_φ ρ_i/n, and expanding to first order adds
 *   Σ_i [−ε_i/s + ε_i |Y_i − μ|²/(T s²)] = (g² P̄_φ/(n s)) · (ownD/s − Σ_i ρ_i)
 * to bin k's negative log-likelihood (second order O(1/n²) per unit). ρ_i is taken at offset 0, scale 1
 * (a fitted scale moves it only at the next order). Fully recorded i.i.d. networks of 100 units
 * (bench/whittle-weak.ts): ĝ 0–0.12 at g = 0, mean error +0.008 at g = 0.3.
 */
export function ownPowerTerm(g2Power: number, n: number, s: number, ownD: number, ownCount: number): number {
  return (g2Power / n / s) * (ownD / s - ownCount);
}

/**
 * κ_c of each basis series under the offset. Without a fitted offset (it is then 0) every κ is 0:
 * tanh has no κ (NaN, a shift moves it nonlinearly), and 0·NaN would make the loss NaN everywhere,
 * as it did for --fit-leak and for a fixed leak with --fit-tau.
 */
function offsetCoefficients(names: readonly BasisName[], cfg: ModelConfig): number[] {
  return names.map((n) => (cfg.fitScale ? OFFSET_COEFFICIENT[n] : 0));
}

/** w_c of y = Σ_c w_c B_c. */
export function basisWeights(names: readonly string[], tp: TensorParams): tf.Scalar[] {
  return names.map((n) => {
    switch (n) {
      case 'y': return tf.scalar(1);
      case 'dx': return tp.a;
      case 'x0': return tf.add(tp.a, tp.b) as tf.Scalar;
      case 'tanh': return tf.neg(tp.leak) as tf.Scalar;
      default: throw new Error(`unknown basis ${n}`);
    }
  });
}

function concat(arrays: Float64Array[]): Float32Array {
  const len = arrays.reduce((s, a) => s + a.length, 0);
  const out = new Float32Array(len);
  let off = 0;
  for (const a of arrays) {
    out.set(a, off);
    off += a.length;
  }
  return out;
}

/**
 * The same Whittle loss in float64, value only (nats). Reference for the tfjs version, and what the
 * final Newton polish and the curvature use: float32 cannot resolve a hundredth of a standard error
 * when n·T ~ 10⁷.
 */
export function whittleLossValue(inp: WhittleInputs, theta: Float64Array): number {
  const { stats, cfg, layout } = inp;
  const P = layout.P;
  const T = stats.T;
  const nb = stats.nBins;
  const nat = unpack(theta, layout, cfg);
  const k = stepCoefficients(cfg.dt, nat.tau, cfg.discretisation);
  const names = stats.basis.names;
  const w = names.map((n) => (n === 'y' ? 1 : n === 'dx' ? k.a : n === 'x0' ? k.a + k.b : -nat.leak));
  const kappa = offsetCoefficients(names, cfg);
  const phiS = cfg.fitScale
    ? phiSpectra(inp.source!, inp.groups!, P, inp.phi, T, { shift: stats.shift, offset: nat.offset, scale: nat.scale }).value
    : stats.phi!;
  const sc = nat.scale;
  const mult = stats.pairs.map(([c, d]) => (c === d ? 1 : 2) * w[c] * w[d]);
  let total = 0;
  const obs2 = cfg.fitObsNoise ? nat.obsNoise2! : 0;
  const correction = cfg.fitObsNoise && obs2 > 0 ? observationNoiseCorrection(checkedNoiseModel(inp, P), obs2, inp.phi, noiseCovariance(cfg)) : undefined;
  // P̄_φ of the network's x and the observation noise's share of y's power (see obsNoisePower)
  const power = phiS.power.map((pw, b) => (correction ? pw.map((v, kk) => networkPhiPower(v, correction[b], (2 * Math.PI * kk) / T)) : pw));
  const noiseAt = (kk: number) => (obs2 > 0 ? obsNoisePower(obs2, k.a, k.b, (2 * Math.PI * kk) / T, cfg.indicator) : 0);
  stats.populations.forEach((p, a) => {
    if (p.n === 0) return;
    const sigma2At = (kk: number) => inp.sigma2Floor[a] + k.c * nat.D[a] * networkNoiseShape(cfg.indicator, (2 * Math.PI * kk) / T);
    const J0 = cfg.fitJ0 ? nat.J0[a] : new Array<number>(P).fill(0);
    for (let kk = 1; kk < nb; kk++) {
      let s = sigma2At(kk) + noiseAt(kk);
      for (let b = 0; b < P; b++) s += nat.g2[a][b] * power[b][kk];
      let quad = 0;
      mult.forEach((m, q) => (quad += m * p.cross[q][kk]));
      quad /= sc * sc;
      let ysRe = 0;
      let ysIm = 0;
      w.forEach((wc, c) => {
        ysRe += wc * p.meanRe[c][kk];
        ysIm += wc * p.meanIm[c][kk];
      });
      ysRe *= p.n / sc;
      ysIm *= p.n / sc;
      let muRe = 0;
      let muIm = 0;
      for (let b = 0; b < P; b++) {
        muRe += J0[b] * phiS.meanRe[b][kk];
        muIm += J0[b] * phiS.meanIm[b][kk];
      }
      const dK = quad - (2 * (muRe * ysRe + muIm * ysIm)) / T + (p.n * (muRe * muRe + muIm * muIm)) / T;
      const omega = kk === nb - 1 ? 1 : 2;
      total += 0.5 * omega * (p.n * Math.log(s) + dK / s);
      if (p.n >= OWN_POWER_MIN_UNITS) {
        let ownQuad = 0;
        mult.forEach((m, q) => (ownQuad += m * p.ownCross[q][kk]));
        let ownRe = 0;
        let ownIm = 0;
        w.forEach((wc, c) => {
          ownRe += wc * p.ownSumRe[c][kk];
          ownIm += wc * p.ownSumIm[c][kk];
        });
        const V = p.ownCount[kk];
        const ownD = ownQuad / (sc * sc) - (2 * (muRe * ownRe + muIm * ownIm)) / (sc * T) + ((muRe * muRe + muIm * muIm) * V) / T;
        total += 0.5 * omega * ownPowerTerm(nat.g2[a][a] * power[a][kk], p.n, s, ownD, V);
      }
    }
    let s0 = sigma2At(0) + noiseAt(0);
    for (let b = 0; b < P; b++) s0 += nat.g2[a][b] * power[b][0];
    const To = nat.offset * T;
    let sumY2 = 0;
    stats.pairs.forEach(([c, d], q) => {
      const m = (c === d ? 1 : 2) * w[c] * w[d];
      sumY2 += m * (p.sumSS[q] - To * (kappa[d] * p.sumS[c] + kappa[c] * p.sumS[d]) + To * To * p.n * kappa[c] * kappa[d]);
    });
    sumY2 /= sc * sc;
    let sumY = 0;
    w.forEach((wc, c) => (sumY += wc * (p.sumS[c] - To * p.n * kappa[c])));
    sumY /= sc;
    let mu0 = 0;
    for (let b = 0; b < P; b++) mu0 += J0[b] * phiS.meanRe[b][0];
    const d0 = (sumY2 - 2 * mu0 * sumY + p.n * mu0 * mu0) / T;
    total += 0.5 * (p.n * Math.log(s0) + d0 / s0);
    total += p.n * T * (Math.log(sc) - Math.log(Math.abs(k.a)) + 0.5 * Math.log(2 * Math.PI));
  });
  return total;
}
