/**
 * The three kernels C_x(k·Δ) of THEORY §3.2 on the sampling grid of the data (step Δ = dt):
 *
 *  theory     DMFT at the fitted parameters. When the fit's model is the Euler network and Δ is a
 *             whole multiple of its step, the exact discrete recursion (§4.3) at the fit's step,
 *             read every m-th lag (that is the process the fit describes); otherwise the
 *             continuous stationary solution (§4.2) read at k·Δ/τ.
 *  plugin     S_x = (σ² + ĝ² Ŝ_φ) / |a e^{iθ} + b|²: the fitted regression y = a·x[k+1] + b·x[k]
 *             = Jφ[k] + noise (σ² = c·D̂) solved for x in discrete time at the data step, with the
 *             data's population-averaged φ-periodogram Ŝ_φ — no DMFT solve and no aliasing question,
 *             because everything lives on the same sampling grid.
 *  empirical  the population-averaged autocovariance of x (model-free).
 *
 * Units: the fit maps data to model units by x_model = (x_data − offset)/scale and measures time in
 * units of τ, so model kernels are scale²·Δ_model(k·Δ/τ) about the mean `offset` (the m = 0 state); past the
 * magnetic transition the theory kernel is the magnetised state's, about offset ± scale·μ (networkKernel).
 */
import { InputError } from '../errors.js';
import { fitFilePath, type FitFile } from '../fitfile/schema.js';
import { stepCoefficients } from '../model/parameters.js';
import { nonlinearity } from '../nonlinearity.js';
import type { Recording } from '../recording/types.js';
import { RealFFT, fftLength } from '../statistics/fft.js';
import { networkPhiPower, observationNoiseCorrection, observationNoiseModel } from '../model/observationNoise.js';
import { indicatorCovariance } from '../model/indicator.js';
import { dmftDiscrete, solveStationary, type DiscreteResult } from '../theory/dmft.js';
import { gainedLead, QUIESCENT as QUIESCENT_VARIANCE } from '../theory/participationPopulations.js';
import { empiricalAutocovariance } from '../theory/empirical.js';
import type { StationaryKernel } from './gaussian.js';

export type KernelName = 'theory' | 'plugin' | 'empirical';
export const KERNEL_NAMES: readonly KernelName[] = ['theory', 'plugin', 'empirical'];

/**
 * The kernels a fit supports: all but the plug-in for a fit through a calcium indicator (refuseIndicator),
 * with several populations (its φ-periodogram is pooled over one population) or past the magnetic transition.
 */
export function kernelsFor(fit: FitFile): readonly KernelName[] {
  return fit.model.indicator || fit.data.populations.length > 1 || isMagnetised(fit) ? KERNEL_NAMES.filter((k) => k !== 'plugin') : KERNEL_NAMES;
}

/** One population with J0⟨φ'⟩ ≥ 1 at m = 0: the fitted network sits in the magnetised state (THEORY §7). */
export function isMagnetised(fit: FitFile): boolean {
  const n = fit.model.natural;
  if (n.g2.length !== 1 || !(n.J0[0][0] > 0)) return false;
  const stat = solveStationary({ phi: fit.model.phi, g: Math.sqrt(n.g2[0][0]), D: n.D[0], J0: 0, skipThreshold: true, tauMax: 10 });
  return n.J0[0][0] * stat.meanGain >= 1;
}

export type TheorySolver = 'auto' | 'discrete' | 'stationary';

export interface TheoryKernelOptions {
  /** auto (default): the discrete recursion when it is the fit's model and affordable, else stationary. */
  solver?: TheorySolver;
  /** Burn-in of the discrete recursion in time units of τ (its slow approach to stationarity). */
  burnIn?: number;
  /** Largest number of recursion steps (cost ∝ steps²); beyond it auto falls back to stationary. */
  maxSteps?: number;
  /**
   * Past the magnetic transition, the branch the data are on: the sign of their mean less the fit's offset
   * (`magnetisedBranch`); the kernel's centre is offset + branch·scale·μ. Default +1.
   */
  branch?: number;
  onProgress?: (done: number, total: number) => void;
}

/** The branch (±1) of a magnetised state the recording `rec` is on, for TheoryKernelOptions.branch. */
export function magnetisedBranch(fit: FitFile, rec: Recording): number {
  return grandMeanOf(rec) >= fit.model.natural.offset ? 1 : -1;
}

/** Relative tolerance for "Δ is a whole multiple of the fit's step". */
const MULTIPLE_RTOL = 1e-6;

/** m with dt = m·dtFit, or undefined when dt is not a whole multiple. */
export function stepMultiple(dt: number, dtFit: number): number | undefined {
  const m = Math.round(dt / dtFit);
  return m >= 1 && Math.abs(dt - m * dtFit) <= MULTIPLE_RTOL * dt ? m : undefined;
}

/** The random bulk of a fit's populations: g²_ab (rows: target a), D_a and J0_ab, and the fitted σ_obs. */
export interface PopulationBulk {
  names: string[];
  g2: number[][];
  D: number[];
  J0: number[][];
  obsNoise: number;
}

/**
 * The parameters of a fit whose network is what the theory here describes (DMFT, the theory kernels):
 * random populations with the plain leak and without low-rank modes or a given coupling matrix.
 * Anything else is refused rather than silently reduced to its random bulk. `what` names the user of
 * the theory, `instead` (optional) what to use instead.
 */
export function populationBulk(fit: FitFile, what: string, instead = ''): PopulationBulk {
  const n = fit.model.natural;
  const file = fitFilePath(fit);
  const alternative = instead ? ` — ${instead}` : '';
  if (n.s !== 0) {
    throw new InputError(`${what} needs the leak U = x²/2 (s = 0), as the i.i.d. theory has it; this fit has s = ${n.s}${alternative}`, { file, field: 'model.natural.s' });
  }
  if (fit.structure && fit.structure.rank > 0) {
    throw new InputError(`${what} describes the random bulk (i.i.d. theory); this fit has ${fit.structure.rank} low-rank mode(s), which the theory here does not include${alternative}`, { file, field: 'structure.rank' });
  }
  if (fit.structure?.connectome) {
    throw new InputError(`${what} describes the random bulk (i.i.d. theory); this fit has a given coupling matrix (fit --connectome), which the theory here does not include — simulate it instead: connfit simulate --coupling F --coupling-scale a --bulk-g g${alternative ? `; or${alternative.slice(2)}` : ''}`, { file, field: 'structure.connectome' });
  }
  return { names: fit.data.populations.map((p) => p.name), g2: n.g2, D: n.D, J0: n.J0, obsNoise: n.obsNoise ?? 0 };
}

/** g, D, J0 of a one-population fit (populationBulk's checks first, so that a multiregion fit is named by its links). */
export function randomBulk(fit: FitFile, what: string, instead = ''): { g: number; D: number; J0: number; obsNoise: number } {
  const b = populationBulk(fit, what, instead);
  if (b.g2.length !== 1) {
    throw new InputError(
      `${what} needs a single-population fit; this fit has ${b.g2.length} populations (${b.names.join(', ')})${instead ? ` — ${instead}` : ''}; ` +
        'connfit forecast --kernel theory (also with --evaluate) predicts each unit from its own population, and connfit dmft --populations solves the populations\' DMFT',
      { file: fitFilePath(fit), field: 'model.natural.g2' },
    );
  }
  return { g: Math.sqrt(b.g2[0][0]), D: b.D[0], J0: b.J0[0][0], obsNoise: b.obsNoise };
}

/**
 * The population (index into data.populations) of each of the fit's units, in data.unitNames order:
 * all 0 for one population, else from data.populations[a].unitNames (fit files of connfit 0.x before
 * membership was written lack it: refit).
 */
export function unitPopulations(fit: FitFile): Int32Array {
  const pops = fit.data.populations;
  const groups = new Int32Array(fit.data.units);
  if (pops.length === 1) return groups;
  groups.fill(-1);
  const where = new Map(fit.data.unitNames.map((u, i) => [u, i] as const));
  pops.forEach((p, a) => {
    if (!p.unitNames) {
      throw new InputError(`the fit file does not say which units are in population '${p.name}' (written before fit files recorded it); refit the recording to predict per population`, { file: fitFilePath(fit), field: `data.populations[${a}].unitNames` });
    }
    for (const u of p.unitNames) groups[where.get(u)!] = a; // (the schema checked that every name is a recorded unit, once)
  });
  const missing = groups.indexOf(-1);
  if (missing >= 0) throw new InputError(`unit '${fit.data.unitNames[missing]}' is in none of the populations' unitNames; expected every unit in one`, { file: fitFilePath(fit), field: 'data.populations' });
  return groups;
}

/**
 * Refuse a fit of data seen through a calcium indicator (fit --indicator-decay) where `what` would need
 * the network's x itself from the recording (the plug-in kernel's φ-periodogram, the network ensemble's
 * regression): the trace is x low-passed and noisy, and undoing it there is not built. `instead` says what does take it.
 */
export function refuseIndicator(fit: FitFile, what: string, instead: string): void {
  const ind = fit.model.indicator;
  if (!ind) return;
  throw new InputError(
    `${what} needs the network's x from the recording, but this fit's data were seen through a calcium indicator (decay ${ind.decay}, undone only inside the fit): ${instead}`,
    { file: fitFilePath(fit), field: 'model.indicator' },
  );
}

function singlePopulation(fit: FitFile, kernel: string): ReturnType<typeof randomBulk> {
  return randomBulk(fit, `the ${kernel} kernel`, 'use --kernel empirical');
}

/**
 * Theory kernel C(k·dt), k = 0..maxLag, at the fitted parameters: of the recorded trace, that is the
 * network's x plus the fitted white observation noise at lag 0 or, for a fit through a calcium indicator,
 * x low-passed by the indicator at the recording's step (indicatorCovariance) plus the noise on the trace.
 */
export function theoryKernel(fit: FitFile, dt: number, maxLag: number, opt: TheoryKernelOptions = {}): StationaryKernel {
  const { g, D, obsNoise } = singlePopulation(fit, 'theory');
  const ind = fit.model.indicator;
  const noise = withNoise(obsNoise, ind !== undefined);
  if (!ind) {
    const x = networkKernel(fit, dt, maxLag, opt);
    x.cov[0] += obsNoise ** 2; // white observation noise: the data's kernel, not the network's
    const nat = fit.model.natural;
    const centre = nat.offset + (x.mean !== 0 ? (opt.branch ?? 1) * nat.scale * x.mean : 0);
    return { name: 'theory', dt, centre, cov: x.cov, note: `${x.note}; g ${g.toPrecision(4)}, D ${D.toPrecision(4)}${noise}` };
  }
  const step = recordedStep(fit);
  const m = stepMultiple(dt, step);
  if (m === undefined) {
    throw new InputError(`the indicator acts at the recording's step ${step} (the fit's, ${fit.data.dt}, over its blocks of ${ind.block}); the data step ${dt} is not a whole multiple of it`, { file: fitFilePath(fit), field: 'data.dt' });
  }
  // x's kernel well past its decay (the indicator sums x's past), then the indicator's filter on the recorded grid
  const stat = solveStationary({ phi: fit.model.phi, g, D, J0: 0, skipThreshold: true, dtau: 1, tauMax: 1 });
  const decayLags = Math.ceil((20 * Math.max(stat.tau_inf, 1) * fit.model.natural.tau) / step);
  const x = networkKernel(fit, step, maxLag * m + decayLags, opt);
  if (x.mean !== 0) {
    throw new InputError(`the fitted J0 = ${fit.model.natural.J0[0][0].toPrecision(4)} puts the network past its magnetic transition; its theory kernel through a calcium indicator is not built — use --kernel empirical`, { file: fitFilePath(fit), field: 'model.natural.J0' });
  }
  const c = indicatorCovariance(x.cov, ind.pole, maxLag * m);
  const cov = Float64Array.from({ length: maxLag + 1 }, (_, k) => c[k * m]);
  cov[0] += obsNoise ** 2;
  return {
    name: 'theory',
    dt,
    centre: fit.model.natural.offset,
    cov,
    note: `${x.note}; g ${g.toPrecision(4)}, D ${D.toPrecision(4)}; seen through the calcium indicator (decay ${ind.decay}, γ ${ind.pole.toFixed(4)} per recorded sample)${noise}`,
  };
}

/**
 * The Euler step (in τ) of a population fit, whose theory is the discrete-time DMFT of its Euler network
 * (THEORY §4.3; there is no continuous solver for populations): an exp-euler fit, a step above τ or a
 * fit through a calcium indicator is refused, naming `what` and `instead`.
 */
export function populationEulerStep(fit: FitFile, what: string, instead: string): number {
  const file = fitFilePath(fit);
  const P = fit.model.natural.g2.length;
  if (fit.model.indicator) {
    throw new InputError(`${what} of a fit with ${P} populations do not include a calcium indicator (fit --indicator-decay) — ${instead}`, { file, field: 'model.indicator' });
  }
  const h = fit.data.dt / fit.model.natural.tau;
  if (fit.model.discretisation !== 'euler' || h > 1) {
    throw new InputError(
      `${what} of a fit with several populations come from the discrete-time DMFT of the Euler network (THEORY §4.3): they need an Euler fit with step ≤ τ (this one: ${fit.model.discretisation}, step ${h.toPrecision(4)} τ) — ${instead}`,
      { file, field: 'model.discretisation' },
    );
  }
  return h;
}

/** Largest number of recursion steps for the theory kernels of a population fit (cost ∝ populations × steps²). */
const POPULATION_MAX_STEPS = 20000;

/**
 * Theory kernels of every population of the fit (index = population of data.populations; a unit's
 * kernel is its population's, unitPopulations). One population: [theoryKernel]. Several: x's kernel of
 * each population from the discrete-time DMFT of the Euler network with the fitted blocks g²_ab, D_a,
 * J0_ab (THEORY §4.3, as `dmft --populations`), read every m-th step when the data step is m fit
 * steps, plus the fitted σ_obs² at lag 0. There is no continuous solver for populations, so an
 * exp-euler fit or a data step off the fit's grid is refused.
 */
export function theoryKernels(fit: FitFile, dt: number, maxLag: number, opt: TheoryKernelOptions = {}): StationaryKernel[] {
  if (fit.model.natural.g2.length === 1) return [theoryKernel(fit, dt, maxLag, opt)];
  const b = populationBulk(fit, 'the theory kernel', 'use --kernel empirical');
  const file = fitFilePath(fit);
  const n = fit.model.natural;
  const hFit = populationEulerStep(fit, 'the theory kernels', 'use --kernel empirical');
  const dtFit = fit.data.dt;
  const m = stepMultiple(dt, dtFit);
  if (m === undefined) {
    throw new InputError(`the theory kernels of a fit with several populations are those of its Euler network on the fit's grid: the data step must be a whole multiple of the fit's step ${dtFit} (got ${dt}) — use --kernel empirical`, { file, field: 'data.dt' });
  }
  const { result: r, steps, drift } = populationStationary(fit, b, hFit, maxLag * m, opt, {
    lagsWhat: `${maxLag} lags of ${m} fit steps`,
    ask: 'ask for fewer lags (--context, --horizon)',
    instead: 'use --kernel empirical',
  });
  const P = b.names.length;
  const scale2 = n.scale * n.scale;
  return r.populations.map((p, a) => {
    const cov = Float64Array.from({ length: maxLag + 1 }, (_, k) => scale2 * p.delta[k * m]);
    cov[0] += b.obsNoise ** 2;
    const row = b.g2[a].map((v, c) => `g²[${b.names[a]}<-${b.names[c]}] ${v.toPrecision(4)}`).join(', ');
    return {
      name: 'theory',
      dt,
      centre: n.offset,
      cov,
      note: `population ${b.names[a]} (${row}, D ${b.D[a].toPrecision(4)}): discrete-time DMFT of the Euler network with ${P} populations (step ${hFit.toPrecision(4)} τ, ${steps} steps, drift ${drift.toExponential(1)})${m === 1 ? '' : `, read every ${m} steps`}${withNoise(b.obsNoise)}`,
    };
  });
}

/** The stationary discrete-time DMFT of a population fit's Euler network (populationStationary). */
export interface PopulationStationary {
  result: DiscreteResult;
  steps: number;
  /** largest relative change of a population's variance over the last quarter of the recursion */
  drift: number;
}

/**
 * The discrete-time DMFT of a population fit's Euler network at step hFit (τ), run `burnIn` (150 τ) past
 * its start plus lagSteps, with the checks every use of it needs: at most maxSteps (20000) steps
 * (`say.lagsWhat` and `say.ask` say what to reduce; `say.instead` what to use when it does not apply), not past the magnetic transition (the m = 0 state is the one
 * described: unstable once J0_ab⟨φ'⟩_b has an eigenvalue with real part ≥ 1), no quiescent population.
 */
export function populationStationary(
  fit: FitFile,
  b: PopulationBulk,
  hFit: number,
  lagSteps: number,
  opt: TheoryKernelOptions,
  say: { lagsWhat: string; ask: string; instead: string },
): PopulationStationary {
  const file = fitFilePath(fit);
  const steps = lagSteps + Math.ceil((opt.burnIn ?? 150) / hFit);
  const maxSteps = opt.maxSteps ?? POPULATION_MAX_STEPS;
  if (steps > maxSteps) {
    throw new InputError(`the population DMFT would need ${steps} recursion steps (${say.lagsWhat} after the burn-in), more than ${maxSteps}: ${say.ask}`, { field: '--context' });
  }
  const r = dmftDiscrete({ phi: fit.model.phi, dt: hFit, steps, maxLag: lagSteps, populations: { g2: b.g2, D: b.D, J0: b.J0, names: b.names }, onProgress: opt.onProgress });
  const lead = gainedLead(b.J0, r.populations.map((p) => p.meanGain));
  if (lead >= 1) {
    throw new InputError(`the fitted mean couplings J0 put the populations past their magnetic transition (leading eigenvalue of J0·⟨φ'⟩ ${lead.toPrecision(4)} ≥ 1): the m = 0 theory does not describe this state — ${say.instead}`, { file, field: 'model.natural.J0' });
  }
  r.populations.forEach((p, a) => {
    if (!(p.delta[0] > QUIESCENT_VARIANCE)) throw new InputError(`population '${b.names[a]}' of the fitted network is quiescent (its row of g² and its D are zero): the theory describes no activity there — ${say.instead}`, { file, field: 'model.natural' });
  });
  const q = Math.floor((3 * steps) / 4);
  const drift = Math.max(...r.populations.map((p) => Math.abs(p.variance[steps] - p.variance[q]) / Math.max(p.variance[steps], 1e-300)));
  return { result: r, steps, drift };
}

/** The step of the recorded samples: the fit's, or for a fit through an indicator its blocks' step over their length. */
export function recordedStep(fit: FitFile): number {
  return fit.data.dt / (fit.model.indicator?.block ?? 1);
}

/**
 * The network's own kernel scale²·Δ(k·dt) (THEORY §4.2/§4.3, see the module header), without observation noise,
 * and the mean μ of x (model units) it is about: 0 in the m = 0 state; past the magnetic transition (J0⟨φ'⟩ ≥ 1
 * at m = 0) the magnetised state of §7 on its positive branch, whose Δ about μ keeps the static part Δ∞ (the
 * units' quenched offsets) at every lag.
 */
function networkKernel(fit: FitFile, dt: number, maxLag: number, opt: TheoryKernelOptions): { cov: Float64Array; note: string; mean: number } {
  const n = fit.model.natural;
  const g = Math.sqrt(n.g2[0][0]);
  const D = n.D[0];
  const J0 = n.J0[0][0];
  const file = fitFilePath(fit);
  const phi = fit.model.phi;
  const stat = solveStationary({ phi, g, D, J0: 0, skipThreshold: true, tauMax: 10 });
  if (!(stat.delta0 > 0)) throw new InputError(`the fitted network (g = ${g.toPrecision(4)}, D = ${D}) is quiescent: its theory kernel is zero`, { file, field: 'model.natural' });
  const magnetised = J0 * stat.meanGain >= 1;
  const state = magnetised ? `; magnetised state (J0/J0c = ${(J0 * stat.meanGain).toPrecision(4)}), about its mean` : '';
  const scale2 = n.scale * n.scale;
  const cov = new Float64Array(maxLag + 1);
  const solver = opt.solver ?? 'auto';
  const dtFit = fit.data.dt;
  const hFit = dtFit / n.tau;
  const m = stepMultiple(dt, dtFit);
  const burnIn = opt.burnIn ?? 150;
  const steps = m === undefined ? Infinity : maxLag * m + Math.ceil(burnIn / hFit);
  const maxSteps = opt.maxSteps ?? 8000;
  // (an indicator fit over blocks never gets here with m defined: its recorded step is a fraction of the fit's)
  const discreteFits = fit.model.discretisation === 'euler' && m !== undefined && hFit <= 1;
  if (solver === 'discrete' && !discreteFits) {
    throw new InputError(
      `the discrete DMFT kernel needs an Euler fit (this one: ${fit.model.discretisation}) of the recorded samples themselves (not block means of an indicator's trace) and a data step that is a whole multiple of the fit's step ${dtFit} (got ${dt})`,
      { field: '--theory-solver' },
    );
  }
  if (solver === 'discrete' || (solver === 'auto' && discreteFits && steps <= maxSteps)) {
    // started at mean 1 past the transition, the recursion settles on the magnetised branch (at 0 it would stay on m = 0)
    const r = dmftDiscrete({ phi, g, D, J0: magnetised ? J0 : 0, mu0: magnetised ? 1 : 0, dt: hFit, steps, maxLag: maxLag * m!, onProgress: opt.onProgress });
    for (let k = 0; k <= maxLag; k++) cov[k] = scale2 * r.delta[k * m!];
    return {
      cov,
      mean: magnetised ? r.populations[0].mean[steps] : 0,
      note: `discrete-time DMFT of the Euler network (step ${hFit.toPrecision(4)} τ, ${steps} steps, drift ${r.drift.toExponential(1)})${m === 1 ? '' : `, read every ${m} steps (the data step is ${m} fit steps)`}${state}`,
    };
  }
  const why = solver === 'stationary' ? 'requested' : !discreteFits ? `fit ${fit.model.discretisation}, data step ${dt} vs fit step ${dtFit}${(fit.model.indicator?.block ?? 1) > 1 ? ' (block means)' : ''}` : `discrete recursion would need ${steps} steps`;
  if (magnetised) {
    // the magnetised profile on the data's grid (lags k·dt/τ, k = 0..maxLag)
    const mag = solveStationary({ phi, g, D, J0, dtau: dt / n.tau, tauMax: (maxLag * dt) / n.tau, maxPoints: maxLag + 1 }).magnetised!;
    for (let k = 0; k <= maxLag; k++) cov[k] = scale2 * mag.delta[k];
    return { cov, mean: mag.mu, note: `continuous stationary DMFT (${why}), Δ0 ${mag.delta0.toPrecision(5)}, static part Δ∞ ${mag.deltaInf.toPrecision(4)}${state}` };
  }
  for (let k = 0; k <= maxLag; k++) cov[k] = scale2 * stat.deltaAt((k * dt) / n.tau);
  return { cov, mean: 0, note: `continuous stationary DMFT (${why}), Δ0 ${stat.delta0.toPrecision(5)}` };
}

/** The kernel note's mention of the fitted observation noise, if any (on the indicator's trace: after its filter). */
function withNoise(obsNoise: number, onTrace = false): string {
  return obsNoise > 0 ? `; plus observation noise σ_obs² = ${(obsNoise ** 2).toPrecision(3)} at lag 0${onTrace ? ' (white on the trace)' : ''}` : '';
}

/** Grand mean of a recording (all units and samples). */
export function grandMeanOf(rec: Recording): number {
  let s = 0;
  for (let k = 0; k < rec.data.length; k++) s += rec.data[k];
  return s / rec.data.length;
}

/**
 * Plug-in kernel from the fit's ĝ², D̂ and the φ-periodogram of `rec` (sampled at `dt`), in discrete
 * time. At the fit's own step it is the fitted regression itself; at another step the exponential-
 * Euler form (exact for the leak and the noise when the input is constant within a bin, THEORY §2.3
 * caveat 3). Bin 0 of Ŝ_φ (the units' quenched means, dropped by the spectral fit) is replaced by bin 1.
 */
export function pluginKernel(fit: FitFile, rec: Recording, dt: number, maxLag: number): StationaryKernel {
  const { g, D, obsNoise } = singlePopulation(fit, 'plugin');
  refuseIndicator(fit, 'the plug-in kernel', 'use --kernel theory (which takes the indicator) or empirical');
  if (isMagnetised(fit)) {
    // its spectrum leaves out bin 0 (the units' quenched offsets) and is centred on the m = 0 state's mean
    throw new InputError('the plug-in kernel describes fluctuations about the m = 0 state, but the fitted J0 puts the network past its magnetic transition: use --kernel theory (the magnetised state) or empirical', { file: fitFilePath(fit), field: 'model.natural.J0' });
  }
  const n = fit.model.natural;
  const same = Math.abs(dt - fit.data.dt) <= MULTIPLE_RTOL * dt;
  const disc = same ? fit.model.discretisation : 'exp-euler';
  const k = stepCoefficients(dt, n.tau, disc);
  const T = fftLength(rec.nSamples);
  if (maxLag >= T / 2) throw new InputError(`the plug-in kernel needs more than ${2 * maxLag} samples to estimate ${maxLag} lags, got ${rec.nSamples}`, { field: '--context' });
  const phi = nonlinearity(fit.model.phi);
  const fft = new RealFFT(T);
  const bins = T / 2 + 1;
  const sphi = new Float64Array(bins);
  const series = new Float64Array(T);
  const spec = new Float64Array(T + 2);
  const N = rec.nUnits;
  for (let i = 0; i < N; i++) {
    for (let t = 0; t < T; t++) series[t] = phi.f((rec.data[t * N + i] - n.offset) / n.scale);
    fft.forward(series, spec);
    for (let b = 0; b < bins; b++) sphi[b] += (spec[2 * b] ** 2 + spec[2 * b + 1] ** 2) / (N * T);
  }
  fft.dispose();
  sphi[0] = sphi[1];
  // the network's φ-spectrum from the data's (the observation noise smooths φ and adds white scatter)
  if (obsNoise > 0) {
    const model = observationNoiseModel(rec, new Int32Array(N), 1, phi); // (offset 0, scale 1: no --fit-scale with it)
    const [c] = observationNoiseCorrection(model, obsNoise ** 2, phi);
    for (let b = 0; b < bins; b++) sphi[b] = networkPhiPower(sphi[b], c, (2 * Math.PI * b) / T);
  }
  const sigma2 = k.c * D;
  const g2 = g * g;
  // S_x(θ_b) = (σ² + g² Ŝ_φ) / |a e^{iθ} + b|²  (per-sample spectrum of the model x)
  const sx = new Float64Array(bins);
  for (let b = 0; b < bins; b++) {
    const th = (2 * Math.PI * b) / T;
    const re = k.a * Math.cos(th) + k.b;
    const im = k.a * Math.sin(th);
    sx[b] = (sigma2 + g2 * sphi[b]) / (re * re + im * im);
  }
  // C[n] = (1/T) Σ_b S(θ_b) cos(θ_b n) over the full circle (bins 1..T/2−1 count twice)
  const cov = new Float64Array(maxLag + 1);
  const scale2 = n.scale * n.scale;
  for (let lag = 0; lag <= maxLag; lag++) {
    let s = sx[0] + sx[bins - 1] * (lag % 2 === 0 ? 1 : -1);
    for (let b = 1; b < bins - 1; b++) s += 2 * sx[b] * Math.cos((2 * Math.PI * b * lag) / T);
    cov[lag] = (scale2 * s) / T;
  }
  cov[0] += obsNoise ** 2;
  return { name: 'plugin', dt, centre: n.offset, cov, note: `discrete-time plug-in (${disc} at step ${(dt / n.tau).toPrecision(4)} τ), φ-periodogram of ${N} units × ${T} samples${withNoise(obsNoise)}` };
}

/** Population-averaged autocovariance of x about the grand mean of `rec`. */
export function empiricalKernel(rec: Recording, dt: number, maxLag: number): StationaryKernel {
  if (maxLag >= rec.nSamples / 2) throw new InputError(`the empirical kernel needs more than ${2 * maxLag} samples to estimate ${maxLag} lags, got ${rec.nSamples}`, { field: '--context' });
  const centre = grandMeanOf(rec);
  const centred = new Float64Array(rec.data.length);
  for (let k = 0; k < centred.length; k++) centred[k] = rec.data[k] - centre;
  const cov = empiricalAutocovariance(centred, rec.nSamples, rec.nUnits, maxLag);
  return { name: 'empirical', dt, centre, cov, note: `autocovariance of ${rec.nUnits} units × ${rec.nSamples} samples about the grand mean` };
}
