/**
 * Effective rank α·PR_D of the coupling matrix from activity (THEORY §5.3, random-mode model).
 * Single-unit statistics are those of an i.i.d. network with g = g_eff, so the rate function gives
 * ĝ_eff; the four-point function carries the rank: Ψ(0,0) is linear in 1/(α·PR_D), so
 *   1/PR = 1/PR_iid(g_eff) + 1/(K(g_eff)·α·PR_D)   ⇒   α·PR_D = 1 / (K (1/PR − 1/PR_iid)),
 * with PR_iid and the small-rank constant K from src/theory/participation.ts. PR comes from the data
 * (finite-sample bias removed by the 1/T extrapolation of §5.5) and the interval from a block
 * bootstrap over time (with ĝ drawn from its sampling distribution). A PR at or above PR_iid means no
 * evidence of a low effective rank: the estimate is then +∞ (an i.i.d.-like matrix).
 *
 * That inversion is the N → ∞ theory. With `calibrate`, the relation is instead measured on simulated
 * random-mode networks of the data's size (calibrateBySimulation below): finite networks have a larger
 * PR than the theory and a large network-to-network scatter, which the interval then includes.
 */
import { initBackend, tf } from '../backend.js';
import type { PhiName } from '../nonlinearity.js';
import { nonlinearity } from '../nonlinearity.js';
import { normalGenerator } from '../random.js';
import type { Recording } from '../recording/types.js';
import { Z95 } from '../statistics/normal.js';
import { participationRatioTheory } from '../theory/participation.js';
import { covarianceFromMoments, extrapolateToZero, prByTraces, sumMoments, timeMoments, type TimeMoments } from '../statistics/dimension.js';
import { yieldToEventLoop } from '../util/yield.js';
import { blockSums, sumBlocks, type BlockSums } from '../loss/lowRank.js';
import type { FitResult } from '../fit/fit.js';
import { stepCoefficients } from '../model/parameters.js';
import { choleskyFactor, choleskyInPlace, lowerTriangularInverse } from '../linalg/small.js';
import { iidNetwork } from '../simulate/network.js';
import { randomModeSpectrum } from '../simulate/randomMode.js';
import { simulate } from '../simulate/simulate.js';

export interface EffectiveRankOptions {
  phi: PhiName;
  /** ĝ_eff and its standard error, D̂ (from the rate-function fit). */
  g: { value: number; se: number };
  D: number;
  /** contiguous time blocks for the bootstrap and the bias extrapolation (multiple of 4; default 8) */
  blocks?: number;
  bootstrap?: number;
  seed?: number;
  /** Finite-size calibration by simulating random-mode networks like the data's (default: none). */
  calibrate?: CalibrationOptions;
}

export interface CalibrationOptions {
  /** Sampling interval of the recording in units of τ (the simulations use the same). */
  dt: number;
  /** Units in the whole network when the recording is a subsample (default: the recording is the whole network). */
  networkSize?: number;
  /** Leak shape s of the fitted model (default 0). */
  leak?: number;
  /** Simulated ranks as factors of the uncalibrated estimate; ∞ is an i.i.d. network (default 1/4, 1/2, 1, 2, 4, ∞). */
  factors?: number[];
  /** Networks per rank (default 3). */
  networks?: number;
  /**
   * Samples per simulated network (default: the recording's, at most 1000 τ worth: the network scatter
   * dwarfs the time noise of such runs, and the bias extrapolation leaves ≲ 2 % at 1000 τ).
   */
  samples?: number;
  /** Block-bootstrap resamples per simulated network, for its time-sampling variance (default 30). */
  bootstrap?: number;
  onProgress?: (done: number, total: number) => void;
}

/** How the estimate was calibrated, and what the simulations gave. */
export type EffectiveRankCalibration =
  | { method: 'none' }
  | {
      method: 'simulation';
      /** the §5.3 (N → ∞) inversion and its bootstrap interval */
      uncalibrated: { value: number; ci95: [number, number] };
      /** network size and samples per run of the simulations */
      networkSize: number;
      samples: number;
      /** per simulated network: its α·PR_D (∞: i.i.d.) and its bias-corrected PR_φ */
      ranks: number[];
      pr: number[];
      /** finite-N curve 1/PR = c0 + c1/(α·PR_D) */
      curve: { c0: number; c1: number };
      /** SD of log PR: network-to-network at fixed rank, residual about the curve, simulations' time noise */
      networkSd: number;
      residualSd: number;
      timeSd: number;
    };

export interface EffectiveRankEstimate {
  /** α·PR_D (Infinity: PR at or above the i.i.d. value) */
  value: number;
  ci95: [number, number];
  /** PR_φ of the data: as measured and bias-corrected */
  prData: number;
  prDataCorrected: number;
  /** theory at ĝ: i.i.d. PR_φ and the small-rank constant K_φ */
  prIid: number;
  K: number;
  bootstrapSamples: number;
  calibration: EffectiveRankCalibration;
  notes: string[];
}

/** Per-block moments of φ (sums of φ and φφᵀ, N×N) over `blocks` contiguous time blocks. */
export function blockMoments(rec: Recording, phiName: PhiName, blocks: number): TimeMoments[] {
  const n = rec.nUnits;
  const phi = nonlinearity(phiName);
  return Array.from({ length: blocks }, (_, b) => {
    const t0 = Math.floor((b * rec.nSamples) / blocks);
    const len = Math.floor(((b + 1) * rec.nSamples) / blocks) - t0;
    const P = new Float64Array(len * n);
    for (let q = 0; q < len * n; q++) P[q] = phi.f(rec.data[t0 * n + q]);
    return timeMoments(P, n, 0, len); // φ ∈ (−1, 1): no centring needed for float64 sums
  });
}

/** PR of the covariance pooled over the given blocks (with multiplicity): (tr C)²/(N ‖C‖²_F). */
export function pooledPr(m: readonly TimeMoments[], pick: number[], n: number): number {
  return prByTraces(covarianceFromMoments(sumMoments(pick.map((b) => m[b])), n), n);
}

/**
 * PR of the whole recording and its finite-T bias-corrected value (§5.5): the mean PR of segments of
 * 1, 1/2 and 1/4 of the recording is linear in 1/T and is extrapolated to 1/T = 0. The number of
 * blocks must be a multiple of 4.
 */
function biasCorrectedPr(m: readonly TimeMoments[], n: number): { prFull: number; prInf: number } {
  const blocks = m.length;
  const all = Array.from({ length: blocks }, (_, b) => b);
  const nSamples = m.reduce((a, b) => a + b.n, 0);
  const levels = [1, 2, 4].map((parts) => {
    const per = blocks / parts;
    let pr = 0;
    for (let p = 0; p < parts; p++) pr += pooledPr(m, all.slice(p * per, (p + 1) * per), n);
    return { invT: parts / nSamples, pr: pr / parts };
  });
  return { prFull: levels[0].pr, prInf: extrapolateToZero(levels.map((l) => l.invT), levels.map((l) => l.pr)).atZero };
}

/** Mean variance of the units' φ over the whole recording, tr C / n. */
function activityVariance(m: readonly TimeMoments[], n: number): number {
  const { n: T, s1, s2 } = sumMoments(m);
  let v = 0;
  for (let i = 0; i < n; i++) v += s2[i * n + i] / T - (s1[i] / T) ** 2;
  return v / n;
}

/** α·PR_D from PR through 1/PR = 1/PR_iid + 1/(K·α·PR_D) (∞ when PR ≥ PR_iid). */
export function rankFromPr(pr: number, prIid: number, K: number): number {
  const excess = 1 / pr - 1 / prIid;
  return excess > 0 ? 1 / (K * excess) : Infinity;
}

/** A deterministic block resampler (xorshift32); seed 0 would stay 0 forever, so it is remapped. */
function blockSampler(seed: number): (k: number) => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return (k: number) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % k;
  };
}

/** PR pooled over the blocks drawn with replacement (one block-bootstrap resample). */
function resampledPr(m: readonly TimeMoments[], n: number, nextInt: (k: number) => number): number {
  const k = m.length;
  return pooledPr(m, Array.from({ length: k }, () => nextInt(k)), n);
}

/** The p-quantile of sorted values (nearest rank). */
function quantile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
}

export async function effectiveRankFromActivity(rec: Recording, opts: EffectiveRankOptions): Promise<EffectiveRankEstimate> {
  const blocks = opts.blocks ?? 8;
  if (blocks % 4 !== 0 || blocks < 4) throw new RangeError(`blocks must be a multiple of 4, got ${blocks}`);
  const n = rec.nUnits;
  const m = blockMoments(rec, opts.phi, blocks);
  await yieldToEventLoop();
  const { prFull, prInf } = biasCorrectedPr(m, n);
  const shift = prInf - prFull;

  // Theory at ĝ and ĝ ± se (quadratic interpolation for the bootstrap's draws of g). A fit without a
  // finite standard error (e.g. D at its floor) contributes no g uncertainty.
  const se = Number.isFinite(opts.g.se) && opts.g.se > 0 && opts.g.se < opts.g.value / 2 ? opts.g.se : 0;
  const gs = [opts.g.value - se, opts.g.value, opts.g.value + se];
  const th = (se > 0 ? gs : [gs[1]]).map((g) => participationRatioTheory({ phi: opts.phi, g, D: opts.D }));
  if (se === 0) th.unshift(th[0]), th.push(th[0]);
  const interp = (g: number, f: (k: number) => number) => {
    const h = se;
    if (!(h > 0)) return f(1);
    const u = (g - gs[1]) / h;
    return f(1) + (u * (f(2) - f(0))) / 2 + (u * u * (f(2) - 2 * f(1) + f(0))) / 2;
  };
  const prIidAt = (g: number) => interp(g, (k) => th[k].pr_phi);
  const kAt = (g: number) => interp(g, (k) => th[k].k_phi);
  const prIid = th[1].pr_phi;
  const K = th[1].k_phi;
  const value = rankFromPr(prInf, prIid, K);

  // Block bootstrap of the data's PR (time-sampling noise) with ĝ drawn from its sampling distribution.
  const B = opts.bootstrap ?? 200;
  const normal = normalGenerator(opts.seed ?? 1);
  const nextInt = blockSampler(opts.seed ?? 1);
  const prBoot: number[] = [];
  const gBoot: number[] = [];
  for (let r = 0; r < B; r++) {
    prBoot.push(resampledPr(m, n, nextInt) + shift);
    gBoot.push(opts.g.value + se * normal());
    if (r % 20 === 19) await yieldToEventLoop();
  }
  const samples = prBoot.map((pr, b) => rankFromPr(pr, prIidAt(gBoot[b]), kAt(gBoot[b]))).sort((a, b) => a - b);
  const ci95: [number, number] = [quantile(samples, 0.025), quantile(samples, 0.975)];
  const base = { prData: prFull, prDataCorrected: prInf, prIid, K, bootstrapSamples: B };
  if (!opts.calibrate) return { value, ci95, ...base, calibration: { method: 'none' }, notes: [] };

  const { fit: cal, notes } = await calibrateBySimulation(rec, opts, opts.calibrate, { value, pr: prInf, variance: activityVariance(m, n), blocks });
  if (!cal) return { value, ci95, ...base, calibration: { method: 'none' }, notes: [...notes, 'too few usable simulated networks: the estimate is not calibrated'] };
  // Interval: each bootstrap draw of the data's PR (time noise) gets a network-to-network deviation and
  // a draw of the calibration curve (its finite-simulation uncertainty). Both are scaled by one
  // Student-t factor because their variance was estimated from few simulated networks. ĝ's uncertainty
  // moves the curve as it moves the theory (the finite-size correction is taken to vary slowly with g).
  const cn = normalGenerator(((opts.seed ?? 1) + 0x5bd1e995) % 0xfffffffe);
  const calSamples: number[] = [];
  for (let b = 0; b < B; b++) {
    let chi2 = 0;
    for (let k = 0; k < cal.dof; k++) chi2 += cn() ** 2;
    const t = Math.sqrt(cal.dof / chi2);
    const z0 = cn();
    const z1 = cn();
    const c0 = cal.c0 + t * cal.chol[0] * z0 + (1 / prIidAt(gBoot[b]) - 1 / prIid);
    const c1 = (cal.c1 + t * (cal.chol[2] * z0 + cal.chol[3] * z1)) * (K / kAt(gBoot[b]));
    const y = Math.exp(t * cal.networkSd * cn()) / prBoot[b];
    calSamples.push(invertCurve(y, c0, c1));
  }
  calSamples.sort((a, b) => a - b);
  const calValue = invertCurve(1 / prInf, cal.c0, cal.c1);
  // Inside the simulated range (up to ∞ when i.i.d. networks were simulated) the curve interpolates.
  const lo = Math.min(...cal.ranks);
  const hi = Math.max(...cal.ranks);
  const calCi: [number, number] = [quantile(calSamples, 0.025), quantile(calSamples, 0.975)];
  const range = `[${lo.toPrecision(3)}, ${Number.isFinite(hi) ? hi.toPrecision(3) : '∞'}]`;
  if (calValue < lo || calValue > hi) notes.push(`the calibrated estimate lies outside the simulated ranks ${range}: the finite-size curve is extrapolated`);
  else if (calCi[0] < lo || calCi[1] > hi) notes.push(`the interval reaches beyond the simulated ranks ${range}: its end there is an extrapolation of the finite-size curve`);
  return {
    value: calValue,
    ci95: calCi,
    ...base,
    calibration: {
      method: 'simulation',
      uncalibrated: { value, ci95 },
      networkSize: cal.networkSize,
      samples: cal.samples,
      ranks: cal.ranks,
      pr: cal.pr,
      curve: { c0: cal.c0, c1: cal.c1 },
      networkSd: cal.networkSd,
      residualSd: cal.residualSd,
      timeSd: cal.timeSd,
    },
    notes,
  };
}

/** α·PR_D from 1/PR = c0 + c1/(α·PR_D) (∞ when 1/PR ≤ c0, or when the curve has no rank dependence). */
function invertCurve(y: number, c0: number, c1: number): number {
  return c1 > 0 && y > c0 ? c1 / (y - c0) : Infinity;
}

/**
 * Finite-size calibration (indirect inference). At N ≈ 1000 the activity's PR is larger than the N → ∞
 * theory and scatters strongly from network to network: 42 independent networks (g_eff 2, α·PR_D 1/8
 * to 8, 1000 τ each) had an SD of log PR of 0.37 about the fitted curve below, against ~0.06 of time
 * noise per run; the activity has only PR·N ≈ 4–20 dimensions. So we simulate random-mode networks like the data's (same N, ĝ_eff, D̂, φ,
 * sampling interval), at ranks on a log grid around the uncalibrated estimate, measure their PR with
 * the same estimator as the data (blocks, bias extrapolation), and fit the §5.3 form
 *   1/PR = c0 + c1/(α·PR_D)
 * with free c0, c1 (the theory's 1/PR_iid and 1/K, corrected for finite N) by least squares on log PR,
 * because the scatter is roughly proportional to PR. The residual variance of log PR, less the
 * simulations' own time-sampling variance (block bootstrap of each run), is the network-to-network
 * scatter at fixed rank. Simulated runs may be shorter than the data: the 1/T bias extrapolation puts
 * both on the same footing, and their extra time noise is removed from the scatter.
 */
async function calibrateBySimulation(rec: Recording, opts: EffectiveRankOptions, c: CalibrationOptions, at: { value: number; pr: number; variance: number; blocks: number }) {
  const n = rec.nUnits;
  const notes: string[] = [];
  const N = c.networkSize ?? n;
  if (!(Number.isInteger(N) && N >= n)) throw new RangeError(`networkSize must be a whole number ≥ the ${n} recorded units, got ${N}`);
  if (c.networkSize === undefined) notes.push(`calibration assumed that the ${n} recorded units are the whole network (give the network size if the recording is a subsample)`);
  if (!(c.dt > 0) || !Number.isFinite(c.dt)) throw new RangeError(`calibration needs the sampling interval in units of τ, got ${c.dt}`);
  // Euler step ≤ 0.05 τ (the simulator's reference step); record every `every`-th step so that the
  // simulated sampling interval is the data's.
  const every = Math.max(1, Math.ceil(c.dt / 0.05 - 1e-9));
  const h = c.dt / every;
  const samples = Math.min(rec.nSamples, c.samples ?? Math.max(4 * at.blocks, Math.round(1000 / c.dt)));
  const steps = (samples - 1) * every;
  const burnIn = Math.ceil(100 / h);
  // Centre of the grid: the uncalibrated estimate, kept ≤ 2.5 so that the largest rank (×4) stays at
  // 10 (M = 10 N modes per draw; beyond, the PR is within ~8 % of the i.i.d. value and the scatter
  // makes ranks indistinguishable anyway).
  const centre = Math.min(Math.max(at.value, 0.01), 2.5);
  // The i.i.d. network is the α·PR_D → ∞ member of the family: it pins c0, which keeps the interval's
  // upper end finite more often than another finite rank would.
  const factors = c.factors ?? [0.25, 0.5, 1, 2, 4, Infinity];
  const networks = c.networks ?? 3;
  const ranks: number[] = [];
  for (const f of factors) for (let k = 0; k < networks; k++) ranks.push(centre * f);
  if (ranks.length < 3) throw new RangeError('calibration needs at least 3 simulated networks (factors × networks)');
  const total = ranks.length * (burnIn + steps + 1);
  const pr: number[] = [];
  const variance: number[] = [];
  const timeVar: number[] = [];
  const g = opts.g.value;
  const seed = opts.seed ?? 1;
  for (let j = 0; j < ranks.length; j++) {
    // Independent networks (a seed per simulation): the residual scatter is then network-to-network.
    const iid = iidNetwork({ N, g, D: opts.D, phi: opts.phi, s: c.leak ?? 0 });
    const spec = Number.isFinite(ranks[j]) ? { ...iid, randomModes: randomModeSpectrum(N, ranks[j], g) } : iid;
    const sim = await simulate(spec, {
      dt: h, steps, every, burnIn, observe: n, seed: (seed * 9973 + 17 + j) % 0xfffffffe,
      onProgress: (d) => c.onProgress?.(j * (burnIn + steps + 1) + d, total),
    });
    const ms = blockMoments(sim.recording, opts.phi, at.blocks);
    const p = biasCorrectedPr(ms, n);
    pr.push(p.prInf);
    variance.push(activityVariance(ms, n));
    // the run's own time-sampling variance of log PR (block bootstrap, as for the data)
    const next = blockSampler(seed * 31 + j + 1);
    const logs: number[] = [];
    for (let b = 0; b < (c.bootstrap ?? 30); b++) logs.push(Math.log(Math.max(1e-12, resampledPr(ms, n, next) + p.prInf - p.prFull)));
    const mean = logs.reduce((a, v) => a + v, 0) / logs.length;
    timeVar.push(logs.reduce((a, v) => a + (v - mean) ** 2, 0) / (logs.length - 1));
    await yieldToEventLoop();
  }
  // Small networks, at low rank and without noise, sometimes stop being chaotic: the activity dies out
  // (a fixed point: its variance vanishes and the PR of what is left means nothing) or settles on a
  // periodic orbit (dimension PR·n ≲ 1, a PR orders of magnitude below the rest). Such runs would
  // dominate a log-normal scatter model, and data with sustained, higher-dimensional activity could not
  // have come from them, so they are left out: the calibration is conditioned on the data's regime.
  const dead = (v: number) => !(v >= 0.1 * at.variance);
  const collapsed = (p: number) => !(p * n >= 1.5);
  const dataCollapsed = collapsed(at.pr);
  if (dataCollapsed) notes.push(`the recorded activity has dimension PR·n = ${(at.pr * n).toPrecision(2)} < 1.5 (fixed point or periodic orbit?): the theory of chaotic activity (§5.3) does not apply and the estimate is unreliable`);
  const keep = pr.map((p, j) => !dead(variance[j]) && p > 0 && Number.isFinite(p) && (dataCollapsed || !collapsed(p)));
  const dropped = keep.filter((k) => !k).length;
  if (dropped > 0) notes.push(`${dropped} of ${pr.length} simulated networks were left out of the calibration: their activity died out${dataCollapsed ? '' : ' or collapsed to dimension PR·n < 1.5'}, unlike the data's`);
  if (dropped > pr.length - 3) return { notes, fit: undefined };
  const used = (v: number[]) => v.filter((_, j) => keep[j]);
  const fit = fitFiniteSizeCurve(used(ranks).map((r) => 1 / r), used(pr).map((p) => 1 / p));
  if (!(fit.c1 > 0)) notes.push('the simulated PR does not decrease with lower rank at this N: no evidence either way (estimate ∞)');
  // median, not mean: one run caught in a slow transient can have a huge bootstrap variance
  const tv = used(timeVar).sort((a, b) => a - b);
  const timeVarTypical = tv[Math.floor((tv.length - 1) / 2)];
  const result = {
    ...fit,
    networkSd: Math.sqrt(Math.max(0, fit.s2 - timeVarTypical)),
    residualSd: Math.sqrt(fit.s2),
    timeSd: Math.sqrt(timeVarTypical),
    ranks,
    pr,
    networkSize: N,
    samples,
  };
  return { notes, fit: result };
}

/**
 * Fit y = c0 + c1·x by least squares on log y (Gauss–Newton from the relative-error linear fit).
 * Returns the coefficients, the residual variance of log y with its degrees of freedom, and the
 * Cholesky factor (row-major 2×2) of the coefficients' covariance s²(JᵀJ)⁻¹.
 */
export function fitFiniteSizeCurve(x: number[], y: number[]): { c0: number; c1: number; s2: number; dof: number; chol: Float64Array } {
  const k = x.length;
  // Normal equations of Σ w (y − c0 − c1 x)² (w = weights), solved in closed form.
  const wls = (w: number[], t: number[]) => {
    let s0 = 0, s1 = 0, s2 = 0, b0 = 0, b1 = 0;
    for (let i = 0; i < k; i++) {
      s0 += w[i];
      s1 += w[i] * x[i];
      s2 += w[i] * x[i] * x[i];
      b0 += w[i] * t[i];
      b1 += w[i] * x[i] * t[i];
    }
    const det = s0 * s2 - s1 * s1;
    return [(s2 * b0 - s1 * b1) / det, (s0 * b1 - s1 * b0) / det];
  };
  let [c0, c1] = wls(y.map((v) => 1 / (v * v)), y);
  const model = () => x.map((v) => c0 + c1 * v);
  for (let it = 0; it < 50; it++) {
    // Gauss–Newton on r = log y − log ŷ: Jacobian (1, x)/ŷ; a linear solve with weights 1/ŷ² on the
    // working response ŷ(1 + r).
    const yh = model();
    if (!yh.every((v) => v > 0)) break;
    const [n0, n1] = wls(yh.map((v) => 1 / (v * v)), yh.map((v, i) => v * (1 + Math.log(y[i] / v))));
    const done = Math.abs(n0 - c0) + Math.abs(n1 - c1) < 1e-10 * (Math.abs(c0) + Math.abs(c1));
    [c0, c1] = [n0, n1];
    if (done) break;
  }
  const yh = model();
  const dof = Math.max(1, k - 2);
  const s2 = yh.reduce((a, v, i) => a + (v > 0 ? Math.log(y[i] / v) ** 2 : Infinity), 0) / dof;
  // covariance s² (JᵀJ)⁻¹, J_i = (1, x_i)/ŷ_i
  let a = 0, b = 0, d = 0;
  for (let i = 0; i < k; i++) {
    const w = 1 / (yh[i] * yh[i]);
    a += w;
    b += w * x[i];
    d += w * x[i] * x[i];
  }
  const det = a * d - b * b;
  const cov = Float64Array.from([(s2 * d) / det, (-s2 * b) / det, (-s2 * b) / det, (s2 * a) / det]);
  if (!choleskyInPlace(cov, 2)) cov.fill(0);
  return { c0, c1, s2, dof, chol: cov };
}

export interface CouplingEffectiveRank {
  /** α·PR_D = PR_S/(1 − 2 PR_S) from the bias-corrected PR_S (Infinity when PR_S ≥ 1/2) */
  value: number;
  /** 95 % interval: jackknife standard error plus the size of the finite-T correction, mapped */
  ci95: [number, number];
  /** PR_S corrected for estimation noise and finite-T bias; its jackknife standard error */
  prS: number;
  prSSe: number;
  /** PR_S with the noise correction only: whole recording, and the mean over its two halves */
  prSNoiseCorrected: number;
  prSHalves: number;
  /** PR_S of the least-squares couplings as they are */
  prSRaw: number;
  /** time blocks of the jackknife */
  blocks: number;
}

/**
 * Noise-corrected PR_S of the least-squares couplings from one set of sums. The least-squares rows
 * μ_i = G⁻¹Φᵀy_i are J_i plus noise with covariance Σ = σ²G⁻¹ (the same for every row, independent
 * across rows), so for A = μᵀμ
 *   E tr A    = ‖J‖² + N tr Σ
 *   E tr A²   = tr (JᵀJ)² + (2N + 2) tr(JᵀJ Σ) + 2‖J‖² tr Σ + N(N + 1) tr Σ² + N (tr Σ)²
 *   E tr(AΣ)  = tr(JᵀJ Σ) + N tr Σ²
 * which are solved for tr JᵀJ and tr (JᵀJ)². With G = L Lᵀ (Cholesky, float64) and G⁻¹ = L⁻ᵀL⁻¹,
 * the rest are float32 matMuls (no transpose flag): Mᵀ = G⁻¹ΦᵀY (column i is μ_i), tr A = ‖Mᵀ‖²,
 * tr A² = ‖MMᵀ‖², tr(AΣ) = σ² Σ Mᵀ ⊙ G⁻¹Mᵀ, tr Σ = σ²‖L⁻¹‖², tr Σ² = σ⁴‖G⁻¹‖². No eigendecomposition:
 * the eleven calls of effectiveRankFromCouplings cost ≈ 1 s each at N = 1000.
 */
function noiseCorrectedPrS(sums: BlockSums, sigma2: number): { prS: number; prSRaw: number } {
  const N = sums.n;
  const L = choleskyFactor(sums.G, N);
  // a pivot below 1e-9 of its diagonal entry: ΦᵀΦ numerically singular (fewer independent samples than units)
  if (!L || L.some((_, q) => q % (N + 1) === 0 && !(L[q] * L[q] > 1e-9 * sums.G[q])))
    throw new RangeError('ΦᵀΦ is singular: the coupling estimate needs many more samples than units');
  const Li = lowerTriangularInverse(L, N);
  let trInv = 0; // tr G⁻¹ = ‖L⁻¹‖²
  for (let q = 0; q < N * N; q++) trInv += Li[q] * Li[q];
  const [trA, trA2, trAGinv, trInv2] = tf.tidy(() => {
    const LiT = tf.tensor2d(Float32Array.from(Li), [N, N]);
    const Ginv = tf.matMul(tf.transpose(LiT), LiT);
    const Mt = tf.matMul(Ginv, tf.tensor2d(Float32Array.from(sums.PhiY), [N, N]));
    const MtM = tf.matMul(tf.transpose(Mt), Mt);
    const sq = (t: tf.Tensor) => tf.sum(tf.mul(t, t)).dataSync()[0];
    return [sq(Mt), sq(MtM), tf.sum(tf.mul(Mt, tf.matMul(Ginv, Mt))).dataSync()[0], sq(Ginv)];
  });
  const trS = sigma2 * trInv;
  const trS2 = sigma2 * sigma2 * trInv2;
  const trASigma = sigma2 * trAGinv;
  const normJ = trA - N * trS;
  const trJJS = trASigma - N * trS2;
  const trJJ2 = trA2 - (2 * N + 2) * trJJS - 2 * normJ * trS - N * (N + 1) * trS2 - N * trS * trS;
  return { prS: (normJ * normJ) / (N * trJJ2), prSRaw: (trA * trA) / (N * trA2) };
}

/** α·PR_D = PR_S/(1 − 2 PR_S) (THEORY §1.3c); ∞ at and above the i.i.d. value 1/2. */
const rankFromPrS = (p: number) => (p <= 0 ? 0 : p < 0.5 ? p / (1 - 2 * p) : Infinity);

/** Time blocks of the coupling estimate's jackknife (even: the halves are whole blocks). */
export const COUPLING_BLOCKS = 8;

/**
 * Effective rank of a fully recorded network from its estimated couplings (THEORY §2.3, §2.8): PR_S
 * of the least-squares couplings with the estimation noise removed (noiseCorrectedPrS), from sums
 * over K consecutive time blocks. The noise formula assumes regressors independent of the noise;
 * φ(x_t) depends on earlier noise, which biases least squares by O(N/T) per entry (the finite-sample
 * bias of autoregressions), and at N = 1000 with 1000 τ that bias outweighs J itself. The bias of
 * PR_S, measured, has a 1/T² part that dominates short recordings (N = 500, 1000–4000 τ) and a 1/T part
 * that dominates long ones (N = 1000, 8000 τ), so it is extrapolated away from three lengths of the same
 * recording: θ(x) = θ∞ + a·x + b·x² with x = T/T' through the whole recording (x = 1), the mean of the
 * K leave-one-block-out recordings (x = K/(K − 1)) and the mean of its two halves (x = 2). The interval
 * adds the size of that correction (a bound on what it leaves, when the expansion converges) to 1.96
 * delete-one-block jackknife standard errors of θ, mapped through α·PR_D = PR_S/(1 − 2PR_S).
 */
export async function effectiveRankFromCouplings(blocks: BlockSums[], sigma2: number): Promise<CouplingEffectiveRank> {
  const K = blocks.length;
  if (K < 4 || K % 2) throw new RangeError('the coupling estimate needs an even number (≥ 4) of time blocks');
  const whole = noiseCorrectedPrS(sumBlocks(blocks), sigma2);
  const loo: number[] = [];
  for (let k = 0; k < K; k++) {
    await yieldToEventLoop();
    loo.push(noiseCorrectedPrS(sumBlocks(blocks, k), sigma2).prS);
  }
  await yieldToEventLoop();
  const halves = (noiseCorrectedPrS(sumBlocks(blocks.slice(0, K / 2)), sigma2).prS + noiseCorrectedPrS(sumBlocks(blocks.slice(K / 2)), sigma2).prS) / 2;
  const mean = loo.reduce((a, b) => a + b, 0) / K;
  const se = Math.sqrt(((K - 1) / K) * loo.reduce((a, v) => a + (v - mean) ** 2, 0));
  const prS = extrapolateToInfiniteT(whole.prS, mean, K / (K - 1), halves);
  const half = Z95 * se + Math.abs(whole.prS - prS);
  return {
    value: rankFromPrS(prS),
    ci95: [rankFromPrS(prS - half), rankFromPrS(prS + half)],
    prS,
    prSSe: se,
    prSNoiseCorrected: whole.prS,
    prSHalves: halves,
    prSRaw: whole.prSRaw,
    blocks: K,
  };
}

/** θ∞ of θ(x) = θ∞ + a x + b x² through (1, θ1), (x2, θ2), (2, θ3). */
function extrapolateToInfiniteT(theta1: number, theta2: number, x2: number, theta3: number): number {
  // differences from x = 1: d2 = a(x2 − 1) + b(x2² − 1), d3 = a + 3b
  const d2 = theta2 - theta1;
  const d3 = theta3 - theta1;
  const p = x2 - 1;
  const q = x2 * x2 - 1;
  const b = (d2 - p * d3) / (q - 3 * p);
  const a = d3 - 3 * b;
  return theta1 - a - b;
}

export interface FitEffectiveRankOptions {
  phi: PhiName;
  seed?: number;
  /** 'simulation' (default): calibrate on simulated networks of the data's size; 'none': N → ∞ theory */
  calibration?: 'simulation' | 'none';
  /** size of the whole network when the recording is a subsample (for the calibration) */
  networkSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * `value`/`ci95` are the coupling estimate when there is one from a recording of ≥ 5·N τ (where its
 * finite-T correction was measured; within 2 % at N = 1000, 8000 τ, in bench/effective-rank-couplings.ts),
 * else the activity estimate; `source` says which, and `fromActivity` keeps the activity estimate
 * when it is not the headline. The other top-level figures (prData, …, calibration) are the activity
 * estimate's.
 */
export type FitEffectiveRank = EffectiveRankEstimate & {
  source: 'activity' | 'couplings';
  fromCouplings?: CouplingEffectiveRank;
  fromActivity?: { value: number; ci95: [number, number] };
};

/** Recording length, in units of N·τ, from which the coupling estimate is the headline value. */
export const COUPLING_MIN_LENGTH = 5;

/**
 * The effective rank of a one-population rate-function fit (`connfit fit --effective-rank`): from the
 * activity's PR given ĝ_eff, and, when the fit used the exact loss (whole network recorded), also from
 * the least-squares couplings, which then give the headline value if the recording is long enough
 * (FitEffectiveRank). The simulations of the calibration run in model time: the recording's sampling
 * interval in units of the fitted τ.
 */
export async function effectiveRankOfFit(rec: Recording, fit: FitResult, opts: FitEffectiveRankOptions): Promise<FitEffectiveRank> {
  await initBackend(); // the default backend unless the caller chose one
  if (fit.natural.g2.length !== 1) throw new RangeError('the effective rank needs a one-population fit');
  if ((fit.natural.obsNoise2 ?? 0) > 0) throw new RangeError('the effective rank from the activity\'s PR does not model observation noise yet (it raises the PR): not available for a fit with σ_obs > 0');
  const calibrate = (opts.calibration ?? 'simulation') === 'simulation'
    ? { dt: fit.data.dt / fit.natural.tau, leak: fit.natural.leak, networkSize: opts.networkSize, onProgress: opts.onProgress }
    : undefined;
  const activity = await effectiveRankFromActivity(rec, { phi: opts.phi, g: fit.params.g, D: fit.params.D.value, seed: opts.seed, calibrate });
  const est: FitEffectiveRank = { ...activity, source: 'activity' };
  if (fit.loss.form === 'exact') {
    const k = stepCoefficients(fit.data.dt, fit.natural.tau, fit.model.discretisation);
    const bounds = Array.from({ length: COUPLING_BLOCKS + 1 }, (_, b) => Math.round((b * (rec.nSamples - 1)) / COUPLING_BLOCKS));
    const sums = blockSums(rec, { a: k.a, b: k.b, s: fit.natural.leak }, nonlinearity(opts.phi), bounds);
    try {
      const couplings = await effectiveRankFromCouplings(sums, k.c * fit.natural.D[0]);
      est.fromCouplings = couplings;
      const length = ((rec.nSamples - 1) * fit.data.dt) / fit.natural.tau;
      if (length >= COUPLING_MIN_LENGTH * rec.nUnits) {
        est.source = 'couplings';
        est.fromActivity = { value: activity.value, ci95: activity.ci95 };
        est.value = couplings.value;
        est.ci95 = couplings.ci95;
      } else
        est.notes.push(
          `the coupling estimate's finite-T correction is measured for recordings of ≥ ${COUPLING_MIN_LENGTH}·N τ; this one is ${(length / rec.nUnits).toFixed(1)}·N τ, ` +
            'so its interval may be too narrow and the value reported is the activity estimate',
        );
    } catch {
      // ΦᵀΦ singular (T ≲ N): the activity-based estimate stands alone
    }
  }
  return est;
}
