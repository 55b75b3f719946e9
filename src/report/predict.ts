/**
 * Everything the fitted network predicts about a recording, in one report (`connfit predict`):
 * the DMFT autocorrelation against the data's, regime and timescales (THEORY §4), the participation
 * ratio from data, theory (§5.2) and a simulation of the fitted network (§5.5), and a held-out forecast
 * evaluation (§3). Times are in the recording's unit (model time × the fitted τ).
 */
import { InputError } from '../errors.js';
import type { FitFile } from '../fitfile/schema.js';
import { canEvaluateForecast, evaluateForecast, sliceRecording, type EvaluationReport } from '../predict/forecast.js';
import { empiricalKernel, randomBulk, recordedStep, theoryKernel } from '../predict/kernels.js';
import type { Recording } from '../recording/types.js';
import { iidNetwork } from '../simulate/network.js';
import { simulate } from '../simulate/simulate.js';
import { participationRatio, prFiniteSampleBias } from '../statistics/dimension.js';
import { unitMeanStatistics } from '../statistics/unitMeans.js';
import { solveStationary } from '../theory/dmft.js';
import { participationRatioTheory, prFiniteSizeNote } from '../theory/participation.js';
import { subsampledParticipationRatio } from '../theory/subsample.js';

export interface PredictOptions {
  /** Largest lag of the autocorrelation comparison, in samples (default: 3 τ_1/e, at least 20). */
  maxLag?: number;
  /** Forecast evaluation: context and horizon in samples (defaults 60, 20); stride between windows. */
  context?: number;
  horizon?: number;
  stride?: number;
  /** Simulated time of the fitted network for PR (in units of τ; 0 skips the simulation). */
  simulationTime?: number;
  seed?: number;
  /** Units of the whole network when the recording is a subsample of it (default: the recorded units). */
  networkSize?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface PrComparison {
  /** The recorded units, and the network they are taken from (equal when the whole network is recorded). */
  units: number;
  networkSize: number;
  data: { pr_x: number; pr_phi: number; bias_x: number; bias_phi: number } | null;
  /** For the recorded units (subsampled from the network's N → ∞ theory when networkSize > units). */
  theory: {
    pr_x: number | null;
    pr_phi: number;
    network: { pr_x: number | null; pr_phi: number };
    /** PR_x of x as recorded, for a fit with observation noise or a calcium indicator (RecordedTrace, src/theory/participation.ts): through the indicator, plus the noise */
    recorded?: { pr_x: number | null; network: number | null; through: string };
  };
  simulation: { pr_x: number; pr_phi: number; bias_x: number; bias_phi: number; units: number; samples: number } | null;
  /** Caveats for reading the comparison (finite-size scatter around the N → ∞ theory). */
  notes: string[];
}

export interface PredictReport {
  /** obsNoise: σ_obs of a fit with observation noise (fit --obs-noise) */
  params: { phi: string; g: number; D: number; J0: number; tau: number; obsNoise?: number };
  dmft: {
    regime: string;
    delta0: number;
    tau_1e: number;
    tau_int: number;
    tau_inf: number;
    g_over_gc: number;
    J0_over_J0c: number;
  };
  autocorrelation: {
    lags: number[];
    theory: number[];
    data: number[];
    /** max |theory − data| over the lags, relative to the data's C(0) */
    maxRelativeDifference: number;
    theoryNote: string;
    slow: SlowActivity;
  };
  dimension: PrComparison;
  forecast: EvaluationReport | null;
  notes: string[];
}

/**
 * What is left of the autocovariance at the last compared lag (≈ 3 correlation times), data against
 * theory, and whether the units' time averages differ (src/statistics/unitMeans.ts). All fractions are
 * of the data's C(0).
 */
export interface SlowActivity {
  /** the lag, in the recording's time unit */
  lag: number;
  data: number;
  theory: number;
  /** variance across units of their time averages */
  staticFraction: number;
  /** correlation across units of the averages over the recording's two halves */
  halvesCorrelation: number;
}

/** Excess of the data's tail over the theory's (fraction of C(0)) above which predict says why. */
export const SLOW_EXCESS_NOTE = 0.1;

/**
 * The note for a data tail well above the theory's: finite networks keep slow collective activity
 * that the N → ∞ theory averages out. bench/slow-activity.ts, i.i.d. tanh networks at g 1.5, D 0.1 over
 * 1000 τ: the data's C at 3 τ_1/e is −0.08…0.67 of C(0) at 100 units (note on 3 of 6), 0.03–0.33 at 200
 * (4/6), −0.04…0.46 at 400 (1/4), 0.07–0.08 at 1000 (0/3), against 0.03 in theory; at g 0.8 (200 units)
 * 0.04–0.06 against 0.045 (0/4). The realised couplings' largest real eigenvalue does not predict which
 * networks keep it (100 units, seeds 1–6: seed 1 has none above 0 and flips between mirror patterns).
 */
export function slowActivityNote(s: SlowActivity, units: number): string | null {
  if (!(s.data - s.theory > SLOW_EXCESS_NOTE)) return null;
  const pct = (x: number) => `${Math.round(100 * x)} %`;
  const r = s.halvesCorrelation.toFixed(2);
  let kind: string;
  if (s.staticFraction >= 0.1 && s.halvesCorrelation >= 0.5) {
    kind = `here mostly a static pattern: the units' time averages differ (their variance is ${pct(s.staticFraction)} of C(0)) and hold over the recording (the two halves' averages correlate ${r}), as at a fixed point of the realised couplings`;
  } else if (s.halvesCorrelation <= -0.5) {
    kind = `here the units' averages over the recording's two halves are anticorrelated (${r}): the network flips between mirror patterns (±x*, φ odd) more slowly than the recording resolves`;
  } else {
    kind = `here slow fluctuations rather than a static pattern (the units' time averages vary by ${pct(s.staticFraction)} of C(0); the two halves' averages correlate ${r})`;
  }
  return (
    `the data's autocovariance is still ${pct(s.data)} of C(0) at lag ${s.lag.toPrecision(3)} (about 3 correlation times), the theory's ${pct(s.theory)}: ` +
    `slow collective activity of this one network of ${units} units, which the N → ∞ theory averages out (simulated networks at g 1.5, D 0.1 over 1000 τ: up to 67 % at 100 units, 33 % at 200, 46 % at 400, 7–8 % at 1000, against 3 % in theory); ${kind}. ` +
    'The fitted g and D describe the faster, bulk fluctuations; compare the theory with the data at lags below the slow part'
  );
}

/** The recording in model units, x_model = (x − offset)/scale (φ acts on model units). */
function modelUnits(fit: FitFile, rec: Recording): Recording {
  const { offset, scale } = fit.model.natural;
  if (offset === 0 && scale === 1) return rec;
  return { ...rec, data: rec.data.map((v) => (v - offset) / scale) };
}

export async function predictReport(fit: FitFile, rec: Recording, opts: PredictOptions = {}): Promise<PredictReport> {
  const nat = fit.model.natural;
  const { g, D, J0, obsNoise } = randomBulk(fit, 'predict');
  const dt = rec.dt;
  if (dt === undefined) throw new InputError('the sampling interval is unknown: give --dt (or a time column)', { field: '--dt' });
  const tau = nat.tau;
  const phi = fit.model.phi;
  const notes: string[] = [];

  const stat = solveStationary({ phi, g, D, J0 });
  // Three correlation times of the fitted network (through an indicator, of its trace: about the sum with
  // the indicator's decay); a short recording estimates fewer lags.
  const ind = fit.model.indicator;
  const wantedLags = opts.maxLag ?? Math.max(20, Math.ceil((3 * (stat.tau_1e * tau + (ind?.decay ?? 0))) / dt));
  const maxLag = Math.min(wantedLags, Math.ceil(rec.nSamples / 2) - 1);
  if (maxLag < 2) throw new InputError(`the recording has ${rec.nSamples} samples; comparing autocovariances needs at least 6`, { field: '--data' });
  if (maxLag < wantedLags) notes.push(`autocovariance compared over ${maxLag} lags, not the ${wantedLags} wanted (3 correlation times): the recording has only ${rec.nSamples} samples`);
  const theory = theoryKernel(fit, dt, maxLag);
  const data = empiricalKernel(rec, dt, maxLag);
  let maxDiff = 0;
  for (let k = 0; k <= maxLag; k++) maxDiff = Math.max(maxDiff, Math.abs(theory.cov[k] - data.cov[k]));
  const means = unitMeanStatistics(rec);
  const slow: SlowActivity = {
    lag: maxLag * dt,
    data: data.cov[maxLag] / data.cov[0],
    theory: theory.cov[maxLag] / data.cov[0],
    staticFraction: means.staticVariance / data.cov[0],
    halvesCorrelation: means.halvesCorrelation,
  };
  const slowNote = slowActivityNote(slow, rec.nUnits);
  if (slowNote) notes.push(slowNote);
  if (ind) notes.push(`the data were seen through a calcium indicator (decay ${ind.decay}): the theory autocovariance is the network's x through the indicator's low-pass, plus the noise on the trace; regime and timescales (DMFT) are the network's x's; the forecast evaluation leaves out the plug-in kernel, which needs x from the recording`);
  if (J0 !== 0) notes.push('PR theory is the J0 = 0 formula (§5.2); the mean coupling is ignored there');

  if (opts.networkSize === undefined) notes.push('PR data/theory/simulation compare like with like only when the recording is the whole network (PR is normalised by the number of units; for a subsample give --network-size)');
  const dimension = await dimensionComparison(fit, rec, { simulationTime: opts.simulationTime, seed: opts.seed, networkSize: opts.networkSize, onProgress: opts.onProgress });
  notes.push(...dimension.notes);
  const context = opts.context ?? 60;
  const horizon = opts.horizon ?? 20;
  const forecast = canEvaluateForecast(rec.nSamples, context, horizon)
    ? await evaluateForecast(fit, rec, { context, horizon, stride: opts.stride ?? 5, onProgress: opts.onProgress })
    : null;
  if (!forecast) notes.push('forecast evaluation skipped: the recording needs more than 4 × (context + horizon) samples (lower --context or --horizon for a short one)');
  return {
    params: { phi, g, D, J0, tau, ...(obsNoise > 0 ? { obsNoise } : {}) },
    dmft: {
      regime: stat.regime,
      delta0: stat.delta0 * nat.scale * nat.scale,
      tau_1e: stat.tau_1e * tau,
      tau_int: stat.tau_int * tau,
      tau_inf: stat.tau_inf * tau,
      g_over_gc: stat.gOverGc,
      J0_over_J0c: stat.J0OverJ0c,
    },
    autocorrelation: {
      lags: Array.from({ length: maxLag + 1 }, (_, k) => k * dt),
      theory: Array.from(theory.cov),
      data: Array.from(data.cov),
      maxRelativeDifference: maxDiff / data.cov[0],
      theoryNote: theory.note,
      slow,
    },
    dimension,
    forecast,
    notes,
  };
}

/**
 * PR of a fitted network three ways (THEORY §5): the recording's (with its finite-sample bias, when a
 * recording is given), the theory's at the fitted parameters (§5.2) and a simulation's of the fitted
 * network (`simulationTime` in τ, 0 skips it). All three are for the recorded units: with
 * `networkSize` N larger than the fit's n units, the theory is subsampled (src/theory/subsample.ts)
 * and the simulation has N units of which n are recorded; else the recording is taken for the network.
 */
export async function dimensionComparison(
  fit: FitFile,
  rec: Recording | undefined,
  opts: { simulationTime?: number; seed?: number; networkSize?: number; onProgress?: (stage: string, done: number, total: number) => void } = {},
): Promise<PrComparison> {
  const n = fit.data.units;
  const N = opts.networkSize ?? n;
  if (!(Number.isInteger(N) && N >= n)) throw new InputError(`must be a whole number ≥ the fit's ${n} units, got ${N}`, { field: '--network-size' });
  const { g, D, J0, obsNoise } = randomBulk(fit, 'the PR comparison of a fit', "for the recording's own PR, give the recording itself to connfit dimension");
  const phi = fit.model.phi;
  opts.onProgress?.('dimension', 0, 1);
  const dataPr = (r: Recording) => ({
    pr_x: participationRatio(r, { of: 'x' }).pr,
    pr_phi: participationRatio(r, { of: 'phi', phi }).pr,
    bias_x: prFiniteSampleBias(r, { of: 'x' }).relativeBias,
    bias_phi: prFiniteSampleBias(r, { of: 'phi', phi }).relativeBias,
  });
  const ind = fit.model.indicator;
  const nat = fit.model.natural;
  // as recorded: sampled at the recording's step through the indicator, with the noise in model units
  const trace = ind || obsNoise > 0 ? { step: recordedStep(fit) / nat.tau, pole: ind?.pole ?? 0, noise2: (obsNoise / nat.scale) ** 2 } : undefined;
  const network = participationRatioTheory({ phi, g, D, trace });
  const sub = (pr: number | null) => (pr === null ? null : subsampledParticipationRatio(pr, n, N));
  const theory: PrComparison['theory'] = {
    pr_x: sub(network.pr_x),
    pr_phi: subsampledParticipationRatio(network.pr_phi, n, N),
    network: { pr_x: network.pr_x, pr_phi: network.pr_phi },
    ...(trace ? { recorded: { pr_x: sub(network.pr_trace), network: network.pr_trace, through: ind ? "the indicator's low-pass and the fitted noise" : 'the fitted noise' } } : {}),
  };
  // the scatter of one network around the N → ∞ theory is set by the network's dimension N·PR
  const finiteSize = prFiniteSizeNote(network.pr_phi, N);
  let simulation: PrComparison['simulation'] = null;
  const simTime = opts.simulationTime ?? 2000;
  if (simTime > 0) {
    // Euler step ≈ 0.05 τ, sampled every τ: PR needs many independent samples (§5.5), not dense ones. Through an
    // indicator the trace is made at the recorded step, as the data's, and thinned to about τ afterwards.
    const recorded = ind ? recordedStep(fit) / nat.tau : 1;
    const every = Math.max(1, Math.ceil(recorded / 0.05 - 1e-9));
    const h = recorded / every;
    const thin = ind ? Math.max(1, Math.round(1 / recorded)) : 1;
    const steps = Math.ceil(simTime / (h * every * thin)) * every * thin;
    const sim = await simulate(iidNetwork({ N, g, D, J0, phi, tau: 1 }), {
      dt: h,
      steps,
      burnIn: Math.ceil(50 / h),
      every,
      observe: n,
      seed: opts.seed ?? 1,
      ...(obsNoise > 0 ? { obsNoise } : {}), // measured like the data
      ...(ind ? { indicatorDecay: ind.decay / nat.tau } : {}),
      onProgress: (d, t) => opts.onProgress?.('simulating the fitted network', d, t),
    });
    const seen = thin > 1 ? sliceRecording(sim.recording, 0, sim.recording.nSamples, thin) : sim.recording;
    simulation = { ...dataPr(seen), units: n, samples: seen.nSamples };
  }
  const notes = finiteSize ? [finiteSize] : [];
  // white noise of the same variance in every unit adds to the covariance's diagonal: the data's PR rises
  if (ind) {
    notes.push(
      `the data were seen through a calcium indicator (decay ${ind.decay}): the simulation's trace is made the same way (the indicator's low-pass, then the fitted noise σ_obs ${obsNoise.toPrecision(3)}), ` +
        "and the theory's \"as recorded\" PR_x likewise (its low-pass weighs slow, collective fluctuations up: the PR falls; the noise raises it), so these compare like with like with the data; " +
        "the theory's own row is the network's x; PR_φ of a trace is φ of the trace, not the network's φ(x)",
    );
  } else if (obsNoise > 0) notes.push(`the fitted observation noise (σ_obs ${obsNoise.toPrecision(3)}, white, the same in every unit) raises the PR of the data; it is added to the simulation's likewise and to the theory's "as recorded" PR_x; the theory's own row is the network's x without it`);
  return { units: n, networkSize: N, data: rec ? dataPr(modelUnits(fit, rec)) : null, theory, simulation, notes };
}

/** Text table of a PR comparison (data / theory / simulation). */
export function prComparisonLines(d: PrComparison): string[] {
  const f = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : String(Number(v.toPrecision(4))));
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  return [
    d.networkSize === d.units
      ? 'participation ratio (THEORY §5; normalised by the number of units; the recording taken for the whole network, else give --network-size):'
      : `participation ratio (THEORY §5; normalised by the number of units) of ${d.units} units recorded out of ${d.networkSize}:`,
    `  ${''.padEnd(12)} ${'PR_x'.padStart(8)} ${'PR_φ'.padStart(8)}   finite-sample bias x / φ`,
    d.data ? `  ${'data'.padEnd(12)} ${f(d.data.pr_x).padStart(8)} ${f(d.data.pr_phi).padStart(8)}   ${pct(d.data.bias_x)} / ${pct(d.data.bias_phi)}` : '  data         - (give --data)',
    `  ${'theory'.padEnd(12)} ${f(d.theory.pr_x).padStart(8)} ${f(d.theory.pr_phi).padStart(8)}` +
      (d.networkSize === d.units ? '' : `   (whole network: ${f(d.theory.network.pr_x)}, ${f(d.theory.network.pr_phi)})`),
    ...(d.theory.recorded
      ? [`  ${'as recorded'.padEnd(12)} ${f(d.theory.recorded.pr_x).padStart(8)} ${'-'.padStart(8)}   (theory: x through ${d.theory.recorded.through}${d.networkSize === d.units ? '' : `; whole network ${f(d.theory.recorded.network)}`})`]
      : []),
    d.simulation
      ? `  ${'simulation'.padEnd(12)} ${f(d.simulation.pr_x).padStart(8)} ${f(d.simulation.pr_phi).padStart(8)}   ${pct(d.simulation.bias_x)} / ${pct(d.simulation.bias_phi)}  (${d.simulation.units} ${d.networkSize === d.units ? '' : `of ${d.networkSize} `}units, ${d.simulation.samples} samples)`
      : '  simulation   skipped (--sim-time 0)',
  ];
}
