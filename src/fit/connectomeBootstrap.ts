/**
 * Network bootstrap of a connectome fit (`fit --connectome W --bootstrap-networks B`), calibrated by
 * simulation when some of the connectome's cells are not recorded.
 *
 * Networks. J = a·W + J0/N + g·Z/√N over the whole connectome (every cell, recorded or not, plus any
 * recorded unit that is not a cell, with the bulk only), simulated like the data (src/fit/networkBootstrap.ts
 * `simulateLikeFit`), the recorded cells observed under their names, and refitted as the data were.
 *
 * Whole connectome recorded: the fit is unbiased (bench/connectome-fit.ts), and this is the plain network
 * bootstrap: each estimate's bias and spread against the simulated networks' own values.
 *
 * Some cells unrecorded: the recorded activity stands in for the unrecorded cells' correlated input, so â,
 * ĝ and Ĵ0 come out high (â +14 % and +21 % with a half and a quarter of the C. elegans cells recorded,
 * bench/connectome-fit.ts), and the bias grows faster than a (slope of mean â(a) 1.2–1.7), so the plain
 * bootstrap's estimate − bias overshoots. Instead θ = (a, g, J0) is calibrated (indirect inference): find θ*
 * whose simulated networks' refits give on average the data's estimates, E[θ̂ | θ*] = θ̂_data. Every
 * evaluation simulates the same B networks (the same seeds: the same bulk Z and noise, scaled), so the
 * mean is a smooth function of θ and the steps are not thrown by simulation noise. Steps: θ̂, then the
 * plain bias correction θ̂ − bias, a finite-difference Jacobian at the better of the two, then Newton steps
 * with Broyden updates, halved when the misfit does not fall; every trial point within a factor 1.5 of the
 * last for a and g. An evaluation whose refits scatter far more than at θ̂ has crossed into another regime
 * (a strong mean coupling can saturate the network) and is not used. Intervals: the delta method,
 * cov θ* = J⁻¹ S J⁻ᵀ with S the refits' covariance of θ̂ at θ*, half-width t·sd·√(1 + 1/B) as in the plain
 * bootstrap. D (and τ, scale, offset when fitted) keep the plain bootstrap's treatment at θ*.
 *
 * The B networks are also the calibration's reference: with few of them their mean may sit away from the
 * model's (5 networks of a 120-unit test teacher put Ĵ0 0.08 above the mean of 10 others), which moves θ*
 * by as much; 10–20 networks make that small against the interval.
 */
import type { Connectome } from '../connectome/connectome.js';
import { InputError } from '../errors.js';
import type { Recording } from '../recording/types.js';
import type { NetworkSpec } from '../simulate/network.js';
import { couplingNetwork } from '../simulate/network.js';
import { solveInPlace } from '../linalg/small.js';
import { yieldToEventLoop } from '../util/yield.js';
import { alignConnectome, fitWithConnectome, type ConnectomeFitResult } from './connectome.js';
import type { FitOptions } from './fit.js';
import {
  bootstrapSeed,
  bootstrapInterval,
  checkNetworkCount,
  digits,
  estimateFromErrors,
  mergeBootstrap,
  predictionHalfWidth,
  simulateLikeFit,
  type BootstrapEstimate,
  type NetworkBootstrap,
  type NetworkBootstrapOptions,
} from './networkBootstrap.js';

/** What the calibration solved and how well (NetworkBootstrap.calibration). */
export interface ConnectomeCalibration {
  method: 'indirect inference';
  /** the calibrated quantities (fit-file names): connectomeScale, and g unless the fit held it at zero */
  parameters: string[];
  /** the data's estimates, which the refits' mean reproduces at `calibrated` */
  raw: Record<string, number>;
  calibrated: Record<string, number>;
  /** data estimate − the refits' mean at `calibrated`, per parameter, in units of the refits' sd */
  residual: Record<string, number>;
  /** evaluations of the refits' mean (each B simulations and fits) */
  evaluations: number;
  converged: boolean;
  /** ∂ mean θ̂ / ∂ θ at the calibrated values (rows: estimates, columns: parameters) */
  jacobian: number[][];
}

/** What a partial recording's calibration solves for, when the fit estimated it. */
const CALIBRATED = ['connectomeScale', 'g', 'J0'];
/** Most rounds of B simulations and fits a calibration takes (θ̂, its bias correction, a Jacobian of 3, Newton steps). */
export const MAX_EVALUATIONS = 10;
/** Stop when every residual is below this fraction of the refits' sd at θ̂ (the estimate's own spread; an interval is ±2–3 sd). */
const TOLERANCE_SD = 0.2;
/** An evaluation whose refits scatter more than this many times as much as at θ̂ has crossed into another regime. */
const UNSTABLE_SD = 4;
/** Relative step of the finite-difference Jacobian. */
const JACOBIAN_STEP = 0.15;

/** The network a connectome fit describes, at trial values of a and g, and which of its units are observed. */
function connectomeNetwork(rec: Recording, c: Connectome, fit: ConnectomeFitResult): { at: (a: number, g: number, J0: number) => NetworkSpec; observe: number[]; size: number } {
  const aligned = alignConnectome(c, rec.unitNames);
  const index = new Map(c.names.map((name, i) => [name.trim(), i]));
  // recorded units that are not cells join the network with the bulk only (zero rows and columns of W)
  const extra = aligned.unmatchedUnits;
  const N = c.N + extra.length;
  let W = c.J;
  if (extra.length > 0) {
    W = new Float64Array(N * N);
    for (let i = 0; i < c.N; i++) W.set(c.J.subarray(i * c.N, (i + 1) * c.N), i * N);
  }
  const names = [...c.names, ...extra];
  const observe = rec.unitNames.map((u) => index.get(u.trim()) ?? c.N + extra.indexOf(u));
  // the simulated recording carries the recording's own unit names, so the refit matches them alike
  observe.forEach((cell, k) => (names[cell] = rec.unitNames[k]));
  const nat = fit.natural;
  return {
    at: (a, g, J0) => couplingNetwork({ J: W, N, names }, { scale: a, bulkG: g, D: nat.D[0], J0, phi: fit.model.phi, tau: nat.tau, s: nat.leak }),
    observe,
    size: N,
  };
}

interface Evaluation {
  at: number[];
  /** per network b: the refit's estimates */
  estimates: Record<string, number>[];
  /** per network b: the simulated network's own values of the estimates it has one for */
  truths: Record<string, number>[];
  mean: number[];
  sd: number[];
}

/**
 * Bootstrap (and, for a partial recording, calibrate) the connectome fit `fit` of `rec` obtained with
 * `opts`. Returns the bootstrap record; `withConnectomeBootstrap` puts it into the fit.
 */
export async function connectomeNetworkBootstrap(
  rec: Recording,
  c: Connectome,
  fit: ConnectomeFitResult,
  opts: FitOptions,
  boot: NetworkBootstrapOptions,
): Promise<NetworkBootstrap & { calibration?: ConnectomeCalibration }> {
  const B = boot.networks;
  checkNetworkCount(B);
  if (boot.networkSize !== undefined) throw new InputError('a connectome fit is bootstrapped over the whole connectome; drop --network-size', { field: '--network-size' });
  const net = connectomeNetwork(rec, c, fit);
  const info = fit.structure.connectome!;
  const partial = info.unrecordedCells > 0;
  const raw = fit.params;
  const gHat = raw.g?.value ?? 0;
  // g and J0 are calibrated with a (the unrecorded cells' input through W raises both), unless the fit held
  // them fixed or at zero
  const held = new Set(fit.weakIntervals ?? []);
  const names = partial ? CALIBRATED.filter((k) => raw[k] !== undefined && !held.has(k) && (k !== 'g' || gHat > 0)) : ['connectomeScale'];
  const target = names.map((k) => raw[k].value);
  const j0Hat = raw.J0?.value ?? fit.natural.J0[0][0];
  const normW = info.norm; // ‖W‖_F/√n among the recorded cells: gW = a·normW
  const maxEvaluations = partial ? MAX_EVALUATIONS : 1;
  let evaluations = 0;

  const evaluate = async (theta: number[]): Promise<Evaluation> => {
    const at = (k: string, otherwise: number) => (names.includes(k) ? theta[names.indexOf(k)] : otherwise);
    const a = theta[0];
    const spec = net.at(a, at('g', gHat), at('J0', j0Hat));
    const estimates: Record<string, number>[] = [];
    const truths: Record<string, number>[] = [];
    for (let b = 0; b < B; b++) {
      const step = evaluations * B + b;
      const sim = await simulateLikeFit(fit, spec, net.observe, bootstrapSeed(boot.seed, b), (d, t) => boot.onProgress?.(step * t + d, maxEvaluations * B * t));
      const r = await fitWithConnectome(sim.recording, c, { ...opts, dt: sim.recording.dt, onProgress: undefined });
      estimates.push(Object.fromEntries(Object.entries(r.params).map(([k, e]) => [k, e.value])));
      const t: Record<string, number> = { connectomeScale: a, gW: a * normW, g: sim.realised.g[0][0], g2: sim.realised.g[0][0] ** 2, J0: sim.realised.J0[0][0], D: spec.D[0], tau: spec.tau, s: spec.s };
      truths.push({ ...t, scale: fit.natural.scale, offset: fit.natural.offset });
      await yieldToEventLoop();
    }
    evaluations++;
    const column = (k: string) => estimates.map((e) => e[k]);
    return { at: theta, estimates, truths, mean: names.map((k) => meanOf(column(k))), sd: names.map((k) => sdOf(column(k))) };
  };

  const base = await evaluate(target);
  let current = base;
  let calibration: ConnectomeCalibration | undefined;
  let jacobian: number[][] = [];
  if (partial) {
    // Residuals in units of the refits' sd at θ̂ (a fixed yardstick for comparing trial points). An
    // evaluation whose refits scatter far more than there has crossed into another regime (e.g. a
    // saturated fixed point): it is not used.
    const unit = base.sd.map((v, q) => (v > 0 ? v : 1e-3 * Math.abs(target[q]) || 1e-6));
    const misfit = (e: Evaluation) => Math.hypot(...names.map((_, q) => (target[q] - e.mean[q]) / unit[q]));
    const stable = (e: Evaluation) => e.mean.every(Number.isFinite) && e.sd.every((v, q) => v <= UNSTABLE_SD * unit[q]);
    const converged = (e: Evaluation) => names.every((_, q) => Math.abs(target[q] - e.mean[q]) <= TOLERANCE_SD * unit[q]);
    const scaleOf = (theta: number[], p: number) => (names[p] === 'J0' ? Math.max(Math.abs(theta[p]), gHat, 0.1) : Math.abs(theta[p]));
    // a trial point at most a factor 1.5 from the current a and g (signs kept) and one J0 scale away
    const within = (from: number[], to: number[]) =>
      to.map((v, p) => {
        if (names[p] === 'J0') return Math.min(from[p] + scaleOf(from, p), Math.max(from[p] - scaleOf(from, p), v));
        const lo = Math.abs(from[p]) / 1.5;
        return Math.sign(from[p]) * Math.min(1.5 * Math.abs(from[p]), Math.max(lo, Math.sign(from[p]) * v));
      });
    let best = base;
    const consider = (e: Evaluation) => {
      if (stable(e) && misfit(e) < misfit(best)) best = e;
    };
    // 1. the plain bootstrap correction θ̂ − bias: often most of the way, and a Jacobian taken there sees
    //    the regime of the solution rather than that of θ̂
    if (!converged(base)) consider(await evaluate(within(target, target.map((t, q) => t - (base.mean[q] - t)))));
    // 2. finite-difference Jacobian at the best point so far (a step into another regime is taken
    //    backwards); taken even when already converged, as the intervals need it
    const J = names.map(() => names.map(() => 0));
    const from = best;
    for (let p = 0; p < names.length; p++) {
      let column: number[] | undefined;
      for (const sign of [1, -1]) {
        const theta = [...from.at];
        theta[p] += sign * JACOBIAN_STEP * scaleOf(from.at, p);
        const e = await evaluate(theta);
        consider(e);
        if (!stable(e)) continue;
        column = names.map((_, q) => (e.mean[q] - from.mean[q]) / (theta[p] - from.at[p]));
        break;
      }
      // both ways unstable: assume the estimate follows its own parameter only
      names.forEach((_, q) => (J[q][p] = column ? column[q] : q === p ? 1 : 0));
    }
    // 3. Newton steps from the best point, halved after a step that does not reduce the misfit; Broyden
    //    updates of J from every stable evaluation
    let damping = 1;
    while (evaluations < maxEvaluations && !converged(best)) {
      const step = solve(J, target.map((t, q) => t - best.mean[q]));
      if (!step) break;
      const start = best;
      const e = await evaluate(within(start.at, start.at.map((v, p) => v + damping * step[p])));
      if (stable(e)) broyden(J, start, e);
      consider(e);
      damping = best === start ? damping / 2 : 1;
    }
    current = best;
    jacobian = J;
    calibration = {
      method: 'indirect inference',
      parameters: names,
      raw: Object.fromEntries(names.map((k, q) => [k, target[q]])),
      calibrated: Object.fromEntries(names.map((k, q) => [k, current.at[q]])),
      residual: Object.fromEntries(names.map((k, q) => [k, (target[q] - current.mean[q]) / unit[q]])),
      evaluations,
      converged: converged(current),
      jacobian,
    };
  }

  const estimates: Record<string, BootstrapEstimate> = {};
  const sampling: NetworkBootstrap['sampling'] = {};
  // calibrated: the delta method through the Jacobian, about θ*
  const calibratedSd = calibration ? deltaMethodSd(jacobian, names.map((k) => current.estimates.map((e) => e[k]))) : undefined;
  // a calibrated quantity (or one that follows from them): its centre θ* and its delta-method sd
  const calibrated = (k: string): { centre: number; sd: number } | undefined => {
    if (!calibration || !calibratedSd) return undefined;
    const q = names.indexOf(k);
    if (q >= 0) return { centre: current.at[q], sd: calibratedSd[q] };
    if (k === 'gW') return { centre: current.at[0] * normW, sd: calibratedSd[0] * Math.abs(normW) };
    const qg = names.indexOf('g');
    if (k === 'g2' && qg >= 0) return { centre: current.at[qg] ** 2, sd: 2 * current.at[qg] * calibratedSd[qg] };
    return undefined;
  };
  for (const k of Object.keys(raw)) {
    const value = raw[k].value;
    const c = calibrated(k);
    const e = c
      ? { bias: value - c.centre, sd: c.sd, ci95: bootstrapInterval(k, c.centre, c.sd, B) }
      : estimateFromErrors(k, value, current.estimates.flatMap((refit, b) => (refit[k] !== undefined && current.truths[b][k] !== undefined ? [refit[k] - current.truths[b][k]] : [])));
    if (!e || !Number.isFinite(e.sd)) continue;
    estimates[k] = e;
    sampling[k] = { se: raw[k].se, ci95: raw[k].ci95 };
  }
  return {
    method: 'networks',
    networks: B,
    networkSize: net.size,
    seed: boot.seed,
    estimates,
    sampling,
    ...(calibration ? { calibration } : {}),
  };
}

/**
 * The connectome fit with the bootstrap's intervals, and with a calibration's values in place of the
 * fit's own for the calibrated quantities (and gW, g2 that follow from them), here and in the structure.
 */
export function withConnectomeBootstrap(fit: ConnectomeFitResult, boot: NetworkBootstrap & { calibration?: ConnectomeCalibration }): ConnectomeFitResult & { bootstrap: NetworkBootstrap } {
  const cal = boot.calibration;
  const moved = new Set(cal ? [...cal.parameters, 'gW', ...(cal.parameters.includes('g') ? ['g2'] : [])] : []);
  const { params, estimates, sampling, outside } = mergeBootstrap(fit, boot, (k, e) => (moved.has(k) ? fit.params[k].value - e.bias : fit.params[k].value));
  const notes = [...fit.notes];
  const share = `${fit.structure.connectome!.matched} of the connectome's ${fit.structure.connectome!.cells} cells recorded`;
  if (cal) {
    // how far the fit's own value was off, relative for a and g; J0 may be near zero, so as a difference
    const off = (k: string) => {
      if (k === 'J0') return `${digits(cal.raw[k] - cal.calibrated[k], 4)} off`;
      const r = (cal.raw[k] / cal.calibrated[k] - 1) * 100;
      return `${Math.abs(r).toFixed(0)} % ${r >= 0 ? 'above' : 'below'}`;
    };
    // the note on the partial-recording bias is replaced by what the calibration did about it
    const i = notes.findIndex((t) => /cells are not recorded: their input through the connectome is not modelled/.test(t));
    if (i >= 0) notes.splice(i, 1);
    notes.push(
      `connectome calibration (${share}): the unrecorded cells' input biases the fit's ${listed(cal.parameters)}; ` +
        `${boot.networks} networks of the whole connectome simulated at trial values and refitted the same way give on average the data's estimates at ` +
        cal.parameters.map((k) => `${k} ${digits(cal.calibrated[k], 4)} (the fit's own ${digits(cal.raw[k], 4)}, ${off(k)})`).join(', ') +
        `, after ${cal.evaluations} rounds of ${boot.networks} simulations${cal.converged ? '' : ' — NOT converged (residuals ' + cal.parameters.map((k) => `${k} ${cal.residual[k].toFixed(2)} sd`).join(', ') + '): more networks or a longer recording may help'}; ` +
        'these values, gW with a, and intervals from the refits\' spread through the calibration\'s Jacobian are reported. ' +
        'The calibration assumes the model: the unrecorded cells behave as the simulated ones (bench/connectome-bias.ts measures it on the C. elegans connectome)',
    );
  }
  notes.push(
    `network bootstrap: ${boot.networks} networks of the whole connectome (${boot.networkSize} units, ${share}) simulated and refitted; ` +
      `standard errors and 95 % intervals of ${Object.keys(estimates).join(', ')} from the refits (estimate − bias ± ${predictionHalfWidth(boot.networks).toFixed(2)} sd, so the scatter from network to network is included)`,
  );
  if (outside) notes.push(outside);
  const c = fit.structure.connectome!;
  const structure = { ...fit.structure, connectome: { ...c, scale: params.connectomeScale ?? c.scale, gW: params.gW ?? c.gW } };
  // the model the commands predict from carries the calibrated values too
  const natural = {
    ...fit.natural,
    ...(cal?.parameters.includes('g') ? { g2: [[params.g.value ** 2]] } : {}),
    ...(cal?.parameters.includes('J0') ? { J0: [[params.J0.value]] } : {}),
    ...(cal && params.gW ? { gW: params.gW.value } : {}),
  };
  return { ...fit, params, natural, notes, structure, bootstrap: { ...boot, estimates, sampling } };
}

/** "a", "a and b", "a, b and c" */
function listed(items: string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}` : items.join('');
}

function meanOf(v: number[]): number {
  return v.reduce((s, x) => s + x, 0) / v.length;
}

function sdOf(v: number[]): number {
  const m = meanOf(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
}

/** Solve the k×k system A x = y; undefined when singular. */
function solve(A: number[][], y: number[]): number[] | undefined {
  const k = A.length;
  const x = Float64Array.from(y);
  return solveInPlace(Float64Array.from(A.flat()), x, k) ? [...x] : undefined;
}

/** Broyden's update of the Jacobian J from the step between two evaluations: J += (Δmean − J Δθ) Δθᵀ / |Δθ|². */
function broyden(J: number[][], from: Evaluation, to: Evaluation): void {
  const dt = to.at.map((v, p) => v - from.at[p]);
  const dm = to.mean.map((v, q) => v - from.mean[q]);
  const norm2 = dt.reduce((s, v) => s + v * v, 0);
  if (!(norm2 > 0)) return;
  for (let q = 0; q < J.length; q++) {
    const r = dm[q] - J[q].reduce((s, v, p) => s + v * dt[p], 0);
    for (let p = 0; p < J.length; p++) J[q][p] += (r * dt[p]) / norm2;
  }
}

/** sd of θ* = J⁻¹ θ̂ (delta method): the square roots of diag(J⁻¹ S J⁻ᵀ), S the refits' covariance of the estimates. */
function deltaMethodSd(J: number[][], columns: number[][]): number[] | undefined {
  const means = columns.map(meanOf);
  const S = columns.map((x, p) => columns.map((y, q) => x.reduce((s, v, b) => s + (v - means[p]) * (y[b] - means[q]), 0) / (x.length - 1)));
  // rows of J⁻¹: solve Jᵀ r = e_p
  const Jt = J.map((_, p) => J.map((row) => row[p]));
  const sd: number[] = [];
  for (let p = 0; p < J.length; p++) {
    const r = solve(Jt, J.map((_, q) => (q === p ? 1 : 0)));
    if (!r) return undefined;
    sd.push(Math.sqrt(r.reduce((s, v, i) => s + v * r.reduce((t, w, j) => t + S[i][j] * w, 0), 0)));
  }
  return sd;
}
