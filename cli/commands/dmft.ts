import type { Command } from 'commander';
import { InputError } from '../../src/errors.js';
import { PHI_NAMES, type PhiName } from '../../src/phi.js';
import { readPopulationsFile } from '../../src/simulate/network.js';
import { chaosThreshold, dmftDiscrete, solveStationary, type Regime, type DiscretePopulations } from '../../src/theory/dmft.js';
import { meanFieldLyapunov } from '../../src/theory/lyapunov.js';
import { gainedLead, populationTauInf } from '../../src/theory/participationPopulations.js';
import { profileTimescales, timescaleLag } from '../../src/theory/dmftDiscrete.js';
import { action, parseChoice, parseNumber, printJson, progressBar, refuseGivenOptions } from '../common.js';

interface DmftOptions {
  phi: PhiName;
  g?: number;
  D: number;
  J0: number;
  json?: boolean;
  discrete?: boolean;
  dt: number;
  steps?: number;
  var0: number;
  dtau: number;
  tauMax?: number;
  populations?: string;
  quiet?: boolean;
}

const fmt = (v: number, digits = 5): string => (Number.isFinite(v) ? v.toPrecision(digits) : String(v));

function readPopulations(path: string, D: number, var0: number): DiscretePopulations {
  const file = readPopulationsFile(path);
  const P = file.populations.length;
  return {
    g2: file.g2,
    J0: file.J0 ?? Array.from({ length: P }, () => new Array<number>(P).fill(0)),
    D: file.populations.map((p) => p.D ?? D),
    var0: new Array<number>(P).fill(var0),
    names: file.populations.map((p) => p.name),
  };
}

function printTable(title: string, rows: [string, string][], lags: number[], delta: number[], cphi: number[]): void {
  const w = Math.max(...rows.map((r) => r[0].length));
  let out = `${title}\n`;
  for (const [k, v] of rows) out += `  ${k.padEnd(w)}  ${v}\n`;
  if (lags.length > 1) {
    out += `\n  ${'lag'.padStart(8)}  ${'Δ(τ)'.padStart(12)}  ${'C_φ(τ)'.padStart(12)}\n`;
    const step = lags[1] - lags[0];
    const want = [0, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500];
    for (const t of want) {
      const i = Math.round(t / step);
      if (i >= lags.length) break;
      out += `  ${lags[i].toFixed(2).padStart(8)}  ${delta[i].toExponential(5).padStart(12)}  ${cphi[i].toExponential(5).padStart(12)}\n`;
    }
  }
  process.stdout.write(out);
}

export function registerDmft(program: Command): void {
  program
    .command('dmft')
    .description(
      'dynamical mean-field theory of the random rate network: stationary autocorrelation Δ(τ) = <x(t)x(t+τ)>, ' +
        'C_φ(τ), timescales, regime and the chaos / magnetic transitions (energy method, THEORY §4); with ' +
        '--discrete the exact large-N theory of the Euler-discretised network (step --dt, §4.3)',
    )
    .option('--phi <name>', 'nonlinearity: tanh or erf', parseChoice('--phi', PHI_NAMES), 'tanh' as PhiName)
    .option('--g <value>', 'coupling gain g (J_ij = J0/N + g z_ij/√N); required unless --populations', parseNumber('--g', { nonNegative: true }))
    .option('--D <value>', 'noise intensity D (noise term sqrt(2D) ξ, time in units of τ)', parseNumber('--D', { nonNegative: true }), 0)
    .option('--J0 <value>', 'mean coupling J0', parseNumber('--J0'), 0)
    .option('--discrete', 'use the discrete-time recursion of the Euler-discretised network (matches Euler simulations at finite --dt; past J0c, one population, it follows the magnetised branch)')
    .option('--dt <value>', 'Euler step for --discrete', parseNumber('--dt', { positive: true }), 0.05)
    .option('--steps <n>', 'recursion steps for --discrete (default: 200 time units; cost grows as steps²)', parseNumber('--steps', { positive: true, integer: true }))
    .option('--var0 <value>', 'initial variance Var(x_0) for --discrete', parseNumber('--var0', { nonNegative: true }), 1)
    .option('--populations <file.json>', 'several populations (--discrete only): {"populations":[{"name","size","D"?}], "g2":[[..]], "J0"?:[[..]]}')
    .option('--dtau <value>', 'output lag step of the continuous solution', parseNumber('--dtau', { positive: true }), 0.05)
    .option('--tau-max <value>', 'longest output lag; the timescales do not depend on it (default: where Δ has decayed to 1e-4·Δ0; --discrete: 50 time units)', parseNumber('--tau-max', { positive: true }))
    .option('--json', 'print JSON {delta0, cphi0, tau_1e, tau_int, tau_inf, regime, lags, delta, ...}')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples:
  $ connfit dmft --phi tanh --g 1.5 --D 0.1
  $ connfit dmft --phi erf --g 2 --json > dmft.json
  $ connfit dmft --phi tanh --g 1.5 --D 0.1 --J0 0.5
  $ connfit dmft --phi tanh --g 1.5 --D 0.1 --discrete --dt 0.05 --json`,
    )
    .action(
      action(async (opts: DmftOptions, cmd: Command) => {
        if (!opts.discrete) refuseGivenOptions(cmd, [['--dt', 'dt'], ['--steps', 'steps'], ['--var0', 'var0']], 'applies to --discrete only (the stationary solution is continuous-time)');
        else refuseGivenOptions(cmd, [['--dtau', 'dtau']], 'applies to the stationary solution only (the lags of --discrete are multiples of --dt); drop it');
        if (opts.populations) {
          if (!opts.discrete) throw new InputError('--populations needs --discrete (the stationary energy method is single-population)', { field: '--populations' });
          refuseGivenOptions(cmd, [['--g', 'g'], ['--J0', 'J0']], `does not apply with --populations (the "g2" and "J0" blocks of ${opts.populations} set the couplings); drop it`);
          runDiscrete(opts);
          return;
        }
        if (opts.g === undefined) throw new InputError('missing --g (the coupling gain)', { field: '--g' });
        if (opts.discrete) runDiscrete(opts);
        else runStationary(opts);
      }),
    );
}

function runStationary(opts: DmftOptions): void {
  const g = opts.g as number;
  const sol = solveStationary({ phi: opts.phi, g, D: opts.D, J0: opts.J0, dtau: opts.dtau, tauMax: opts.tauMax });
  const mag = sol.magnetised;
  // When J0 exceeds J0c the realised state is the magnetised one: report it as the primary result.
  const primary = mag
    ? {
        delta0: mag.delta0,
        cphi0: mag.cphi0,
        tau_1e: mag.tau_1e,
        tau_int: mag.tau_int,
        tau_inf: mag.tau_inf,
        lags: mag.lags,
        delta: mag.delta,
        cphi: mag.cphi,
      }
    : {
        delta0: sol.delta0,
        cphi0: sol.cphi0,
        tau_1e: sol.tau_1e,
        tau_int: sol.tau_int,
        tau_inf: sol.tau_inf,
        lags: sol.lags,
        delta: sol.delta,
        cphi: sol.cphi,
      };
  if (opts.json) {
    printJson({
      mode: 'stationary',
      phi: sol.phi,
      g: sol.g,
      D: sol.D,
      J0: sol.J0,
      delta0: primary.delta0,
      cphi0: primary.cphi0,
      tau_1e: primary.tau_1e,
      tau_int: primary.tau_int,
      tau_inf: primary.tau_inf,
      regime: mag ? mag.regime : sol.regime,
      lyapunov: mag ? mag.lyapunov : sol.lyapunov,
      meanGain: mag ? mag.meanGain : sol.meanGain,
      meanGain2: mag ? mag.meanGain2 : sol.meanGain2,
      nu: sol.nu,
      gChaos: sol.gChaos,
      gOverGc: sol.gOverGc,
      J0c: sol.J0c,
      J0OverJ0c: sol.J0OverJ0c,
      magneticStable: sol.magneticStable,
      magnetised: mag
        ? { m: mag.m, mu: mag.mu, deltaInf: mag.deltaInf, delta0: mag.delta0, static: mag.static, meanGain: mag.meanGain }
        : null,
      unmagnetised: mag ? { delta0: sol.delta0, cphi0: sol.cphi0, meanGain: sol.meanGain, tau_1e: sol.tau_1e } : undefined,
      lags: primary.lags,
      delta: primary.delta,
      cphi: primary.cphi,
    });
    return;
  }
  const rows: [string, string][] = [
    ['regime', `${mag ? mag.regime : sol.regime}   (${mag ? 'm = 0 state: ' : ''}g/g_c = ${fmt(sol.gOverGc)}, g_c = ${fmt(sol.gChaos)}: local expansion g²<φ'²> = 1)`],
  ];
  const lyapunov = mag ? mag.lyapunov : sol.lyapunov;
  if (Number.isFinite(lyapunov)) rows.push(['λ_max (mean field)', `${fmt(lyapunov, 4)}   (chaotic when > 0; noise moves the onset above g_c)`]);
  if (mag) {
    rows.push(
      ['state', `magnetised (J0/J0c = ${fmt(sol.J0OverJ0c)} > 1): m = ${fmt(mag.m)}, mean input J0·m = ${fmt(mag.mu)}`],
      ['Δ0 (about the mean)', fmt(mag.delta0)],
      ['Δ∞ (static part)', fmt(mag.deltaInf)],
      ['C_φ(0) = <φ²>', fmt(mag.cphi0)],
      ["<φ'>", fmt(mag.meanGain)],
      ['τ_1/e', fmt(mag.tau_1e, 4)],
      ['τ_int', fmt(mag.tau_int, 4)],
      ['τ_∞', fmt(mag.tau_inf, 4)],
      ['m = 0 state (unstable)', `Δ0 = ${fmt(sol.delta0)}, J0c = 1/<φ'> = ${fmt(sol.J0c)}`],
    );
  } else {
    rows.push(
      ['Δ0 = <x²>', fmt(sol.delta0)],
      ['C_φ(0) = <φ²>', fmt(sol.cphi0)],
      ["<φ'>", fmt(sol.meanGain)],
      ["ν = g²<φ'>²", fmt(sol.nu)],
      ['τ_1/e', fmt(sol.tau_1e, 4)],
      ['τ_int', fmt(sol.tau_int, 4)],
      ['τ_∞ = 1/sqrt(1−ν)', fmt(sol.tau_inf, 4)],
      ["J0c = 1/<φ'>", `${fmt(sol.J0c)}   (m = 0 ${sol.magneticStable ? 'stable' : 'UNSTABLE'}, J0/J0c = ${fmt(sol.J0OverJ0c)})`],
    );
    if (sol.regime === 'quiescent') rows.push(['note', 'Δ ≡ 0; timescales are the D → 0⁺ limit 1/sqrt(1 − g²)']);
  }
  printTable(`DMFT, stationary (energy method): phi=${sol.phi} g=${sol.g} D=${sol.D} J0=${sol.J0}`, rows, primary.lags, primary.delta, primary.cphi);
}

function runDiscrete(opts: DmftOptions): void {
  const dt = opts.dt;
  if (!(dt <= 1)) throw new InputError(`--dt must be <= 1 for the Euler recursion, got ${dt}`, { field: '--dt' });
  const steps = opts.steps ?? Math.ceil(200 / dt);
  const tauMax = opts.tauMax ?? 50;
  const maxLag = Math.min(steps, Math.round(tauMax / dt));
  // --tau-max only trims the printed profile: the timescales (and a magnetised plateau) are read
  // off the solver's own lag range, so a short output range cannot cut τ_1/e or τ_int short.
  const tsLag = timescaleLag(steps, dt);
  const populations = opts.populations ? readPopulations(opts.populations, opts.D, opts.var0) : undefined;
  const bar = progressBar('dmft recursion', opts.quiet || opts.json);
  const solve = (mu0: number) =>
    dmftDiscrete({
      phi: opts.phi,
      g: opts.g,
      D: opts.D,
      J0: opts.J0,
      mu0,
      populations: populations && { ...populations, mu0: populations.D.map(() => mu0) },
      dt,
      steps,
      var0: opts.var0,
      maxLag: Math.max(maxLag, tsLag),
      onProgress: (d, t) => bar.update(d, t),
    });
  let res = solve(0);
  // Started at μ = 0 the recursion stays there by symmetry, also where that state is unstable to the mean
  // mode and the network magnetises: then follow it from mean 1 (in every population), if it settles there.
  const branchNotes: string[] = [];
  const meanMode = gainedLead(populations ? (populations.J0 ?? populations.g2.map((r) => r.map(() => 0))) : [[opts.J0]], res.populations.map((p) => p.meanGain));
  if (meanMode >= 1 && res.populations.every((p) => Math.abs(p.mean[res.steps]) < 1e-12)) {
    const moved = solve(1);
    const q = Math.floor((3 * moved.steps) / 4);
    const settled = moved.populations.every((p) => Math.abs(p.mean[moved.steps] - p.mean[q]) <= 1e-6 * Math.max(1, Math.abs(p.mean[moved.steps])));
    const away = moved.populations.some((p) => Math.abs(p.mean[moved.steps]) > 1e-6);
    if (settled && away) {
      res = moved;
      branchNotes.push(
        populations
          ? `the μ = 0 state is unstable to the mean mode (leading eigenvalue of J0_ab<φ'>_b ${fmt(meanMode, 4)} ≥ 1): the recursion was started at mean 1 in every population and settled on the state shown (from other starts the network may settle elsewhere)`
          : `J0<φ'> = ${fmt(meanMode, 4)} ≥ 1 at m = 0: that state is unstable and the network magnetises, so the recursion was started at mean μ0 = 1 to follow the magnetised branch (−m is equivalent)`,
      );
    } else {
      branchNotes.push(`the μ = 0 state shown is unstable to the mean mode (leading eigenvalue of J0_ab<φ'>_b ${fmt(meanMode, 4)} ≥ 1): the network leaves it; started at mean 1 the recursion did not settle on a stationary state in ${moved.steps} steps`);
    }
  }
  bar.stop();
  // m = 0: the exact asymptotic decay of the recursion, shared by all populations (ν the Perron root of
  // g²_ab⟨φ'⟩_b²); a magnetised state's timescales come from the profile alone
  const g2 = populations ? populations.g2 : [[(opts.g ?? 0) ** 2]];
  const nu = gainedLead(g2, res.populations.map((p) => p.meanGain ** 2));
  const tauInf = res.populations.every((p) => Math.abs(p.mean[res.steps]) < 1e-12) ? populationTauInf(dt, g2, res.populations.map((p) => p.meanGain)) : NaN;
  const magnetisedState = res.populations.some((p) => Math.abs(p.mean[res.steps]) > 1e-12);
  const perPop = res.populations.map((p) => {
    const mean = p.mean[res.steps];
    // a magnetised state's static part Δ∞ (also in a population without a mean of its own, from the others' quenched means)
    const plateau = magnetisedState ? p.delta[tsLag] : 0;
    const shifted = p.delta.slice(0, tsLag + 1).map((d) => d - plateau);
    const ts = profileTimescales(res.lags.slice(0, tsLag + 1), shifted, Number.isFinite(tauInf) ? tauInf : 0);
    return { name: p.name, delta0: p.delta[0], cphi0: p.cphi[0], meanGain: p.meanGain, nu, mean, m: p.m[res.steps], tau_1e: ts.tau_1e, tau_int: ts.tau_int, tau_inf: tauInf, delta: p.delta.slice(0, maxLag + 1), cphi: p.cphi.slice(0, maxLag + 1) };
  });
  const lags = res.lags.slice(0, maxLag + 1);
  const tsRange = tsLag * dt;
  // NaN would read as a failed solve: say that Δ stayed above Δ0/e over the whole measured range.
  const notes = [
    ...branchNotes,
    ...perPop
      .filter((p) => !Number.isFinite(p.tau_1e))
      .map((p) => `τ_1/e${populations ? ` of ${p.name}` : ''} > ${fmt(tsRange, 4)}: Δ stays above Δ0/e over the solver's lag range 0–${fmt(tsRange, 4)} (raise --steps to extend it)`),
  ];
  const first = perPop[0];
  // the Euler network's own criterion: its mean-field λ_max at the last step's statistics
  const lyap = meanFieldLyapunov({
    phi: opts.phi,
    g2: populations ? populations.g2 : [[(opts.g ?? 0) ** 2]],
    pops: res.populations.map((p) => ({ delta: p.delta, mean: p.mean[res.steps] })),
    h: dt,
    time: 'euler',
  });
  const noisy = populations ? populations.D.some((d) => d > 0) : opts.D > 0;
  const regime: Regime = lyap.exponent > 0 ? 'chaotic' : noisy ? 'noise-driven' : 'quiescent';
  const gChaos = !populations && opts.g !== undefined ? chaosThreshold(opts.phi, opts.D) : NaN;
  const J0c = first.meanGain !== 0 ? 1 / first.meanGain : Infinity;
  if (opts.json) {
    printJson({
      mode: 'discrete',
      phi: opts.phi,
      g: opts.g ?? null,
      D: opts.D,
      J0: opts.J0,
      dt,
      steps,
      drift: res.drift,
      delta0: first.delta0,
      cphi0: first.cphi0,
      tau_1e: first.tau_1e,
      tau_int: first.tau_int,
      tau_inf: first.tau_inf,
      regime,
      lyapunov: lyap.exponent,
      localExpansion: lyap.localExpansion,
      meanGain: first.meanGain,
      nu: first.nu,
      gChaos,
      J0c: populations ? undefined : J0c,
      mean: first.mean,
      m: first.m,
      populations: populations ? perPop.map(({ delta: _d, cphi: _c, ...rest }) => rest) : undefined,
      timescaleRange: tsRange,
      notes: notes.length ? notes : undefined,
      lags,
      delta: first.delta,
      cphi: first.cphi,
      ...(populations ? { deltaByPopulation: perPop.map((p) => p.delta), cphiByPopulation: perPop.map((p) => p.cphi) } : {}),
    });
    return;
  }
  for (const p of perPop) {
    const rows: [string, string][] = [];
    rows.push(['regime (all populations)', `${regime}   (mean-field λ_max ${fmt(lyap.exponent, 4)}; local expansion ${fmt(lyap.localExpansion, 4)}${Number.isFinite(gChaos) ? `, g_c = ${fmt(gChaos)}` : ''})`]);
    rows.push(
      ['Δ_TT (stationary Δ0)', fmt(p.delta0, 6)],
      ['C_φ(0)', fmt(p.cphi0)],
      ["<φ'>", fmt(p.meanGain)],
      ['mean input μ, m', `${fmt(p.mean)}, ${fmt(p.m)}`],
      ['τ_1/e', Number.isFinite(p.tau_1e) ? fmt(p.tau_1e, 4) : `> ${fmt(tsRange, 4)} (not reached, see note)`],
      ['τ_int', fmt(p.tau_int, 4)],
      ['τ_∞ (discrete linearisation)', fmt(p.tau_inf, 4)],
      ['timescales measured over lags', `0–${fmt(tsRange, 4)}`],
      ['stationarity drift (last quarter)', res.drift.toExponential(2)],
    );
    if (!populations) rows.push(["J0c = 1/<φ'>", fmt(J0c)]);
    printTable(
      `DMFT, discrete-time recursion (Euler step ${dt}, ${steps} steps): phi=${opts.phi}${populations ? ` population ${p.name}` : ` g=${opts.g} J0=${opts.J0}`} D=${populations ? populations.D[perPop.indexOf(p)] : opts.D}`,
      rows,
      lags,
      p.delta,
      p.cphi,
    );
  }
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
}
