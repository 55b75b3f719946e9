/**
 * Everything the fitted network predicts about a recording, in one report (`connfit predict`):
 * the DMFT autocorrelation against the data's, regime and timescales (THEORY §4), the participation
 * ratio from data, theory (§5.2) and a simulation of the fitted network (§5.5), and a held-out forecast
 * evaluation (§3). Times are in the recording's unit (model time × the fitted τ).
 */
import { InputError } from '../errors.js';
import { fitFilePath, type FitFile } from '../fitfile/schema.js';
import { canEvaluateForecast, evaluateForecast, sliceRecording, type EvaluationReport } from '../predict/forecast.js';
import { empiricalKernel, isMagnetised, magnetisedBranch, populationBulk, populationEulerStep, populationStationary, randomBulk, recordedStep, stepMultiple, theoryKernel, unitPopulations, type PopulationBulk } from '../predict/kernels.js';
import { selectUnits, type Recording } from '../recording/types.js';
import { profileTimescales } from '../theory/dmftDiscrete.js';
import { meanFieldLyapunov } from '../theory/lyapunov.js';
import { iidNetwork, type NetworkSpec } from '../simulate/network.js';
import { evenlySpacedUnits, simulate } from '../simulate/simulate.js';
import { participationRatio, prFiniteSampleBias } from '../statistics/dimension.js';
import { unitMeanStatistics } from '../statistics/unitMeans.js';
import { solveStationary } from '../theory/dmft.js';
import { participationRatioTheory, prFiniteSizeNote } from '../theory/participation.js';
import { subsampledParticipationRatio } from '../theory/subsample.js';
import { populationParticipationRatio, populationTauInf, type PopulationPrResult } from '../theory/participationPopulations.js';

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
  /** obsNoise: σ_obs of a fit with observation noise (fit --obs-noise); g, D, J0 null for several populations (see `populations`) */
  params: { phi: string; g: number | null; D: number | null; J0: number | null; tau: number; obsNoise?: number };
  /**
   * The regime from the mean-field maximal Lyapunov exponent `lyapunov` (per τ; > 0 chaotic; null at D = 0,
   * where the regime follows g). g_over_gc is g over the local-expansion threshold (g²⟨φ'²⟩ = 1), which
   * chaos needs but, with noise, does not reach: it sets in at larger g (src/theory/lyapunov.ts).
   * For several populations: λ_max of the fit's Euler network, chaos_eigenvalue the leading eigenvalue of
   * g²_ab⟨φ'²⟩_b (local expansion above 1), delta0, tau_1e and tau_int of the unit-weighted mean
   * autocovariance, tau_inf the asymptotic decay of the population DMFT (all populations share it; Perron root
   * of g²_ab⟨φ'⟩_b²); g_over_gc and J0_over_J0c are null there.
   */
  dmft: {
    regime: string;
    lyapunov: number | null;
    delta0: number;
    tau_1e: number;
    tau_int: number;
    tau_inf: number | null;
    g_over_gc: number | null;
    J0_over_J0c: number | null;
    chaos_eigenvalue?: number;
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
  /** A fit with several populations: each one's parameters (rows: into it), DMFT and autocovariance against its units' */
  populations?: PopulationPrediction[];
  notes: string[];
}

export interface PopulationPrediction {
  name: string;
  units: number;
  /** g²_ab and J0_ab from every population b into this one, by name; its D */
  params: { g2: Record<string, number>; J0: Record<string, number>; D: number };
  dmft: { delta0: number; meanGain: number; tau_1e: number; tau_int: number };
  autocorrelation: { theory: number[]; data: number[]; maxRelativeDifference: number };
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

/** The tails of the data's and the theory's autocovariance at their last lag, and the units' averages; the note, if any, goes to `notes`. */
function slowActivity(rec: Recording, lag: number, data: ArrayLike<number>, theory: ArrayLike<number>, notes: string[]): SlowActivity {
  const last = data.length - 1;
  const means = unitMeanStatistics(rec);
  const slow: SlowActivity = {
    lag,
    data: data[last] / data[0],
    theory: theory[last] / data[0],
    staticFraction: means.staticVariance / data[0],
    halvesCorrelation: means.halvesCorrelation,
  };
  const note = slowActivityNote(slow, rec.nUnits);
  if (note) notes.push(note);
  return slow;
}

/** The recording in model units, x_model = (x − offset)/scale (φ acts on model units). */
function modelUnits(fit: FitFile, rec: Recording): Recording {
  const { offset, scale } = fit.model.natural;
  if (offset === 0 && scale === 1) return rec;
  return { ...rec, data: rec.data.map((v) => (v - offset) / scale) };
}

export async function predictReport(fit: FitFile, rec: Recording, opts: PredictOptions = {}): Promise<PredictReport> {
  if (fit.model.natural.g2.length > 1) return populationPredictReport(fit, rec, opts);
  const nat = fit.model.natural;
  const { g, D, J0, obsNoise } = randomBulk(fit, 'predict');
  const dt = rec.dt;
  if (dt === undefined) throw new InputError('the sampling interval is unknown: give --dt (or a time column)', { field: '--dt' });
  const tau = nat.tau;
  const phi = fit.model.phi;
  const notes: string[] = [];

  const stat = solveStationary({ phi, g, D, J0 });
  // past the magnetic transition the network is in the magnetised state (§7): its regime, variance and timescales
  const mag = stat.magnetised;
  const state = mag
    ? { regime: mag.regime, lyapunov: mag.lyapunov, delta0: mag.delta0, tau_1e: mag.tau_1e, tau_int: mag.tau_int, tau_inf: mag.tau_inf }
    : { regime: stat.regime, lyapunov: stat.lyapunov, delta0: stat.delta0, tau_1e: stat.tau_1e, tau_int: stat.tau_int, tau_inf: stat.tau_inf };
  // Three correlation times of the fitted network (through an indicator, of its trace: about the sum with
  // the indicator's decay); a short recording estimates fewer lags.
  const ind = fit.model.indicator;
  const wantedLags = opts.maxLag ?? Math.max(20, Math.ceil((3 * (state.tau_1e * tau + (ind?.decay ?? 0))) / dt));
  const maxLag = Math.min(wantedLags, Math.ceil(rec.nSamples / 2) - 1);
  if (maxLag < 2) throw new InputError(`the recording has ${rec.nSamples} samples; comparing autocovariances needs at least 6`, { field: '--data' });
  if (maxLag < wantedLags) notes.push(`autocovariance compared over ${maxLag} lags, not the ${wantedLags} wanted (3 correlation times): the recording has only ${rec.nSamples} samples`);
  const theory = theoryKernel(fit, dt, maxLag, { branch: magnetisedBranch(fit, rec) });
  const data = empiricalKernel(rec, dt, maxLag);
  let maxDiff = 0;
  for (let k = 0; k <= maxLag; k++) maxDiff = Math.max(maxDiff, Math.abs(theory.cov[k] - data.cov[k]));
  const slow = slowActivity(rec, maxLag * dt, data.cov, theory.cov, notes);
  if (ind) notes.push(`the data were seen through a calcium indicator (decay ${ind.decay}): the theory autocovariance is the network's x through the indicator's low-pass, plus the noise on the trace; regime and timescales (DMFT) are the network's x's; the forecast evaluation leaves out the plug-in kernel, which needs x from the recording`);
  if (mag) {
    notes.push(
      `the fitted network is magnetised (J0/J0c = ${stat.J0OverJ0c.toPrecision(4)}: population mean m = ±${mag.m.toPrecision(4)}, mean input ±${mag.mu.toPrecision(4)}); ` +
        `regime, timescales (of Δ − Δ∞) and the theory kernel are that state's, the kernel about its mean with the units' static offsets (Δ∞ ${(mag.deltaInf * nat.scale * nat.scale).toPrecision(4)}) at every lag`,
    );
  } else if (J0 !== 0) notes.push('PR theory is the J0 = 0 formula (§5.2); the mean coupling is ignored there');

  const { dimension, forecast } = await dimensionAndForecast(fit, rec, opts, notes);
  return {
    params: { phi, g, D, J0, tau, ...(obsNoise > 0 ? { obsNoise } : {}) },
    dmft: {
      regime: state.regime,
      lyapunov: Number.isFinite(state.lyapunov) ? state.lyapunov : null,
      delta0: state.delta0 * nat.scale * nat.scale,
      tau_1e: state.tau_1e * tau,
      tau_int: state.tau_int * tau,
      tau_inf: state.tau_inf * tau,
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

/** The PR comparison and the held-out forecast evaluation of a predict report; their notes go to `notes`. */
async function dimensionAndForecast(fit: FitFile, rec: Recording, opts: PredictOptions, notes: string[]): Promise<{ dimension: PrComparison; forecast: EvaluationReport | null }> {
  if (opts.networkSize === undefined) notes.push('PR data/theory/simulation compare like with like only when the recording is the whole network (PR is normalised by the number of units; for a subsample give --network-size)');
  const dimension = await dimensionComparison(fit, rec, { simulationTime: opts.simulationTime, seed: opts.seed, networkSize: opts.networkSize, onProgress: opts.onProgress });
  notes.push(...dimension.notes);
  const context = opts.context ?? 60;
  const horizon = opts.horizon ?? 20;
  const forecast = canEvaluateForecast(rec.nSamples, context, horizon)
    ? await evaluateForecast(fit, rec, { context, horizon, stride: opts.stride ?? 5, onProgress: opts.onProgress })
    : null;
  if (!forecast) notes.push('forecast evaluation skipped: the recording needs more than 4 × (context + horizon) samples (lower --context or --horizon for a short one)');
  return { dimension, forecast };
}

/** Longest stationary window of the population DMFT that predict asks for, in τ (its cost grows with its square). */
const POPULATION_WINDOW_MAX = 300;

/**
 * `predict` for a fit with several populations: each population's discrete-time DMFT (the fit's Euler
 * network, as the theory kernels) against its units' autocovariance, the unit-weighted mean against the
 * recording's, the regime from the Euler network's mean-field λ_max, the population PR theory and simulation, and the forecast
 * evaluation with each unit's population kernel.
 */
async function populationPredictReport(fit: FitFile, rec: Recording, opts: PredictOptions): Promise<PredictReport> {
  const nat = fit.model.natural;
  const b = populationBulk(fit, 'predict');
  const dt = rec.dt;
  if (dt === undefined) throw new InputError('the sampling interval is unknown: give --dt (or a time column)', { field: '--dt' });
  const instead = 'connfit forecast --kernel empirical and connfit dimension rec.csv take any fit';
  const h = populationEulerStep(fit, 'the predictions', instead);
  const m = stepMultiple(dt, fit.data.dt);
  if (m === undefined) {
    throw new InputError(`the predictions of a fit with several populations are those of its Euler network on the fit's grid: the data step must be a whole multiple of the fit's step ${fit.data.dt} (got ${dt})`, { file: fitFilePath(fit), field: 'data.dt' });
  }
  const P = b.names.length;
  const groups = unitPopulations(fit);
  const members = b.names.map((_, a) => Array.from(groups.keys()).filter((i) => groups[i] === a));
  const f = members.map((u) => u.length / rec.nUnits);
  const notes: string[] = [];

  // The stationary window: three correlation times of the slowest population (or maxLag), from 20 τ up.
  const lagsOf = (len: number, step: number) => Array.from({ length: len }, (_, k) => k * step);
  let window = opts.maxLag !== undefined ? (opts.maxLag * dt) / nat.tau : 20;
  let st: ReturnType<typeof populationStationary>;
  let scales: { tau_1e: number; tau_int: number }[];
  for (;;) {
    const lagSteps = Math.ceil(window / (h * m)) * m;
    st = populationStationary(fit, b, h, lagSteps, { onProgress: (d, t) => opts.onProgress?.('population DMFT', d, t) }, {
      lagsWhat: `${window.toPrecision(3)} τ of lags`,
      ask: 'the correlation times are too long for the population DMFT here (lower --context, --horizon, or use a coarser fit step)',
      instead,
    });
    scales = st.result.populations.map((p) => profileTimescales(lagsOf(p.delta.length, h), p.delta));
    const wanted = 3 * Math.max(...scales.map((t) => (Number.isFinite(t.tau_1e) ? t.tau_1e : Infinity)));
    if (opts.maxLag !== undefined || wanted <= window || window >= POPULATION_WINDOW_MAX) break;
    window = Math.min(POPULATION_WINDOW_MAX, 1.2 * wanted);
  }
  const pops = st.result.populations;
  const wantedLags = opts.maxLag ?? Math.max(20, Math.ceil((3 * Math.max(...scales.map((t) => t.tau_1e)) * nat.tau) / dt));
  const maxLag = Math.min(wantedLags, Math.floor((pops[0].delta.length - 1) / m), Math.ceil(rec.nSamples / 2) - 1);
  if (maxLag < 2) throw new InputError(`the recording has ${rec.nSamples} samples; comparing autocovariances needs at least 6`, { field: '--data' });
  if (maxLag < wantedLags) notes.push(`autocovariance compared over ${maxLag} lags, not the ${wantedLags} wanted (3 correlation times): ${maxLag * 2 + 2 > rec.nSamples ? `the recording has only ${rec.nSamples} samples` : `the population DMFT's window is ${POPULATION_WINDOW_MAX} τ`}`);
  const scale2 = nat.scale * nat.scale;
  const theoryOf = (a: number) => Float64Array.from({ length: maxLag + 1 }, (_, k) => scale2 * pops[a].delta[k * m] + (k === 0 ? b.obsNoise ** 2 : 0));
  const maxRel = (t: ArrayLike<number>, d: ArrayLike<number>) => {
    let worst = 0;
    for (let k = 0; k <= maxLag; k++) worst = Math.max(worst, Math.abs(t[k] - d[k]));
    return worst / d[0];
  };
  const populations: PopulationPrediction[] = b.names.map((name, a) => {
    const theory = theoryOf(a);
    const data = empiricalKernel(selectUnits(rec, members[a]), dt, maxLag).cov;
    return {
      name,
      units: members[a].length,
      params: { g2: Object.fromEntries(b.names.map((c, k) => [c, b.g2[a][k]])), J0: Object.fromEntries(b.names.map((c, k) => [c, b.J0[a][k]])), D: b.D[a] },
      dmft: { delta0: scale2 * pops[a].delta[0], meanGain: pops[a].meanGain, tau_1e: scales[a].tau_1e * nat.tau, tau_int: scales[a].tau_int * nat.tau },
      autocorrelation: { theory: Array.from(theory), data: Array.from(data), maxRelativeDifference: maxRel(theory, data) },
    };
  });
  // the unit-weighted mean of the populations' kernels is the recording's pooled autocovariance
  const pooled = Float64Array.from({ length: maxLag + 1 }, (_, k) => populations.reduce((s, p, a) => s + f[a] * p.autocorrelation.theory[k], 0));
  const data = empiricalKernel(rec, dt, maxLag);
  const slow = slowActivity(rec, maxLag * dt, data.cov, pooled, notes);

  // Regime: two copies under the same noise separate (chaos) when the mean-field λ_max is positive; that needs,
  // but does not follow from, local expansion (g²_ab⟨φ'²⟩_b with an eigenvalue ≥ 1).
  const lyap = meanFieldLyapunov({ phi: fit.model.phi, g2: b.g2, pops: pops.map((p) => ({ delta: p.delta, mean: p.mean[p.mean.length - 1] })), h, time: 'euler' });
  const regime = lyap.exponent > 0 ? 'chaotic' : b.D.some((d) => d > 0) ? 'noise-driven' : 'quiescent';
  const pooledModel = Float64Array.from({ length: pops[0].delta.length }, (_, k) => pops.reduce((s, p, a) => s + f[a] * p.delta[k], 0));
  const pooledScales = profileTimescales(lagsOf(pooledModel.length, h), pooledModel);

  const { dimension, forecast } = await dimensionAndForecast(fit, rec, opts, notes);
  return {
    params: { phi: fit.model.phi, g: null, D: null, J0: null, tau: nat.tau, ...(b.obsNoise > 0 ? { obsNoise: b.obsNoise } : {}) },
    dmft: {
      regime,
      delta0: scale2 * pooledModel[0],
      tau_1e: pooledScales.tau_1e * nat.tau,
      tau_int: pooledScales.tau_int * nat.tau,
      tau_inf: populationTauInf(h, b.g2, pops.map((p) => p.meanGain)) * nat.tau,
      g_over_gc: null,
      J0_over_J0c: null,
      lyapunov: lyap.exponent,
      chaos_eigenvalue: lyap.localExpansion,
    },
    autocorrelation: {
      lags: lagsOf(maxLag + 1, dt),
      theory: Array.from(pooled),
      data: Array.from(data.cov),
      maxRelativeDifference: maxRel(pooled, data.cov),
      theoryNote: `unit-weighted mean of ${P} populations' discrete-time DMFT (the fit's Euler network, step ${h.toPrecision(4)} τ, ${st.steps} steps, drift ${st.drift.toExponential(1)})${m === 1 ? '' : `, read every ${m} steps`}`,
      slow,
    },
    dimension,
    forecast,
    populations,
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
  const what = 'the PR comparison of a fit';
  const instead = "for the recording's own PR, give the recording itself to connfit dimension";
  const bulk = populationBulk(fit, what, instead);
  const phi = fit.model.phi;
  opts.onProgress?.('dimension', 0, 1);
  const dataPr = (r: Recording) => ({
    pr_x: participationRatio(r, { of: 'x' }).pr,
    pr_phi: participationRatio(r, { of: 'phi', phi }).pr,
    bias_x: prFiniteSampleBias(r, { of: 'x' }).relativeBias,
    bias_phi: prFiniteSampleBias(r, { of: 'phi', phi }).relativeBias,
  });
  const model = bulk.g2.length > 1 ? populationPrModel(fit, bulk, N, what, instead) : onePopulationPrModel(fit, N, what, instead);
  const network = model.theory;
  const sub = (pr: number | null) => (pr === null ? null : subsampledParticipationRatio(pr, n, N));
  const theory: PrComparison['theory'] = {
    pr_x: sub(network.pr_x),
    pr_phi: subsampledParticipationRatio(network.pr_phi, n, N),
    network: { pr_x: network.pr_x, pr_phi: network.pr_phi },
    ...(model.recorded ? { recorded: { pr_x: sub(model.recorded.pr), network: model.recorded.pr, through: model.recorded.through } } : {}),
  };
  // the scatter of one network around the N → ∞ theory is set by the network's dimension N·PR
  const finiteSize = prFiniteSizeNote(network.pr_phi, N);
  let simulation: PrComparison['simulation'] = null;
  const simTime = opts.simulationTime ?? 2000;
  if (simTime > 0) {
    const { spec, dt: h, every, thin, observe, indicatorDecay } = model.simulation;
    const steps = Math.ceil(simTime / (h * every * thin)) * every * thin;
    const sim = await simulate(spec, {
      dt: h,
      steps,
      burnIn: Math.ceil(50 / h),
      every,
      observe,
      seed: opts.seed ?? 1,
      ...(bulk.obsNoise > 0 ? { obsNoise: bulk.obsNoise } : {}), // measured like the data
      ...(indicatorDecay !== undefined ? { indicatorDecay } : {}),
      onProgress: (d, t) => opts.onProgress?.('simulating the fitted network', d, t),
    });
    const seen = thin > 1 ? sliceRecording(sim.recording, 0, sim.recording.nSamples, thin) : sim.recording;
    simulation = { ...dataPr(seen), units: n, samples: seen.nSamples };
  }
  const notes = [...model.notes, ...(finiteSize ? [finiteSize] : [])];
  return { units: n, networkSize: N, data: rec ? dataPr(modelUnits(fit, rec)) : null, theory, simulation, notes };
}

/** What the PR comparison takes from the fitted model: its theory, how to simulate it, and notes. */
interface PrModel {
  theory: { pr_x: number | null; pr_phi: number };
  /** PR_x as recorded (through an indicator and/or with the fitted noise), when the fit has either */
  recorded?: { pr: number | null; through: string };
  /** The fitted network of N units (n of them observed, as recorded), simulated at step dt (τ), sampled every `every` steps, thinned by `thin`. */
  simulation: { spec: NetworkSpec; dt: number; every: number; thin: number; observe: number | number[]; indicatorDecay?: number };
  notes: string[];
}

/** One population: the continuous-time theory (§5.2) and an i.i.d. network at step ≈ 0.05 τ. */
function onePopulationPrModel(fit: FitFile, N: number, what: string, instead: string): PrModel {
  const { g, D, J0, obsNoise } = randomBulk(fit, what, instead);
  const phi = fit.model.phi;
  const ind = fit.model.indicator;
  const nat = fit.model.natural;
  // as recorded: sampled at the recording's step through the indicator, with the noise in model units
  const trace = ind || obsNoise > 0 ? { step: recordedStep(fit) / nat.tau, pole: ind?.pole ?? 0, noise2: (obsNoise / nat.scale) ** 2 } : undefined;
  const network = participationRatioTheory({ phi, g, D, trace });
  // Euler step ≈ 0.05 τ, sampled every τ: PR needs many independent samples (§5.5), not dense ones. Through an
  // indicator the trace is made at the recorded step, as the data's, and thinned to about τ afterwards.
  const recorded = ind ? recordedStep(fit) / nat.tau : 1;
  const every = Math.max(1, Math.ceil(recorded / 0.05 - 1e-9));
  const notes: string[] = [];
  if (isMagnetised(fit)) notes.push('the fitted network is past its magnetic transition: the PR theory is the m = 0 formula (§5.2) and does not describe the magnetised state; compare the data with the simulation');
  // white noise of the same variance in every unit adds to the covariance's diagonal: the data's PR rises
  if (ind) {
    notes.push(
      `the data were seen through a calcium indicator (decay ${ind.decay}): the simulation's trace is made the same way (the indicator's low-pass, then the fitted noise σ_obs ${obsNoise.toPrecision(3)}), ` +
        "and the theory's \"as recorded\" PR_x likewise (its low-pass weighs slow, collective fluctuations up: the PR falls; the noise raises it), so these compare like with like with the data; " +
        "the theory's own row is the network's x; PR_φ of a trace is φ of the trace, not the network's φ(x)",
    );
  } else if (obsNoise > 0) notes.push(noiseNote(obsNoise));
  return {
    theory: network,
    ...(trace ? { recorded: { pr: network.pr_trace, through: ind ? "the indicator's low-pass and the fitted noise" : 'the fitted noise' } } : {}),
    simulation: {
      spec: iidNetwork({ N, g, D, J0, phi, tau: 1 }),
      dt: recorded / every,
      every,
      thin: ind ? Math.max(1, Math.round(1 / recorded)) : 1,
      observe: fit.data.units,
      ...(ind ? { indicatorDecay: ind.decay / nat.tau } : {}),
    },
    notes,
  };
}

function noiseNote(obsNoise: number): string {
  return `the fitted observation noise (σ_obs ${obsNoise.toPrecision(3)}, white, the same in every unit) raises the PR of the data; it is added to the simulation's likewise and to the theory's "as recorded" PR_x; the theory's own row is the network's x without it`;
}

/**
 * Several populations: the discrete-time theory of the fit's Euler network (src/theory/participationPopulations.ts)
 * with the recorded units' population sizes (N_a ∝ the recorded counts when the network is larger), and
 * that network simulated at the fit's step.
 */
function populationPrModel(fit: FitFile, bulk: PopulationBulk, N: number, what: string, instead: string): PrModel {
  const h = populationEulerStep(fit, 'the PR theory and simulation', instead);
  const groups = unitPopulations(fit);
  const P = bulk.names.length;
  const counts = new Array<number>(P).fill(0);
  for (const a of groups) counts[a]++;
  const n = fit.data.units;
  // the network's populations in the recorded proportions (largest remainders), each recorded evenly within its block
  const exact = counts.map((c) => (c * N) / n);
  const sizes = exact.map(Math.floor);
  const order = exact.map((e, a) => [e - Math.floor(e), a] as const).sort((x, y) => y[0] - x[0]);
  for (let k = 0; k < N - sizes.reduce((s, v) => s + v, 0); k++) sizes[order[k][1]]++;
  const observe: number[] = [];
  let start = 0;
  sizes.forEach((size, a) => {
    observe.push(...evenlySpacedUnits(size, counts[a]).map((i) => start + i));
    start += size;
  });
  let th: PopulationPrResult;
  try {
    th = populationParticipationRatio({ phi: fit.model.phi, g2: bulk.g2, D: bulk.D, J0: bulk.J0, sizes: counts, dt: h, names: bulk.names });
  } catch (e) {
    if (e instanceof RangeError) throw new InputError(`${what}: ${e.message} — ${instead}`, { file: fitFilePath(fit), field: 'model.natural' });
    throw e;
  }
  const s2 = (bulk.obsNoise / fit.model.natural.scale) ** 2;
  const notes = [
    `PR theory of ${P} populations (${bulk.names.map((name, a) => `${name} ${counts[a]}`).join(', ')} recorded units): the discrete-time theory of the fit's Euler network at its step ${h.toPrecision(4)} τ, simulated at the same step`,
  ];
  if (bulk.J0.some((row) => row.some((v) => v !== 0))) notes.push("PR theory leaves out the mean couplings' rank-P part (O(1/N) away from the magnetic transition); they enter only through the populations' means");
  if (bulk.obsNoise > 0) notes.push(noiseNote(bulk.obsNoise));
  return {
    theory: { pr_x: th.pr_x, pr_phi: th.pr_phi },
    // white noise adds σ² to every unit's variance: C(0) → C(0) + σ², Ψ → Ψ + 2σ²C(0) + σ⁴
    ...(s2 > 0 ? { recorded: { pr: (th.cx0 + s2) ** 2 / (th.psi_x + 2 * s2 * th.cx0 + s2 * s2), through: 'the fitted noise' } } : {}),
    simulation: {
      spec: { phi: fit.model.phi, sizes, names: bulk.names, g2: bulk.g2, J0: bulk.J0, D: bulk.D, tau: 1, s: 0 },
      dt: h,
      every: Math.max(1, Math.round(1 / h)),
      thin: 1,
      observe,
    },
    notes,
  };
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
