/**
 * `connfit predict`: what a fitted network predicts about a recording — autocorrelation, regime and
 * timescales (DMFT), dimension (data / theory / simulation) and a held-out forecast evaluation.
 */
import { Option, type Command } from 'commander';
import { readFitFile } from '../../src/fitfile/schema.js';
import { checkAgainstFit } from '../../src/predict/forecast.js';
import { readRecording, type RecordingLayout } from '../../src/recording/read.js';
import { predictReport, prComparisonLines, type PredictReport } from '../../src/report/predict.js';
import { prepareEigensolver } from '../../src/linalg/eigh.js';
import { action, parseNumber, printJson, progressBar, refuseGivenOptions, startBackend } from '../common.js';
import { evaluationTable } from './forecast.js';

interface PredictCliOptions {
  data: string;
  dt?: number;
  layout?: RecordingLayout;
  header: boolean;
  context: number;
  horizon: number;
  stride: number;
  simTime: number;
  networkSize?: number;
  seed: number;
  json?: boolean;
  quiet?: boolean;
}

const f = (v: number | null | undefined, d = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : String(Number(v.toPrecision(d))));
const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

function summary(r: PredictReport): string {
  const a = r.autocorrelation;
  const picks = [0, 1, 2, 5, 10, 20, 50, 100].filter((k) => k < a.lags.length);
  const d = r.dimension;
  const noise = r.params.obsNoise !== undefined ? `; observation noise σ_obs = ${f(r.params.obsNoise)}` : '';
  const pops = r.populations ?? [];
  const lines = [
    ...(pops.length
      ? [
          `fitted network: φ = ${r.params.phi}, ${pops.length} populations, τ = ${f(r.params.tau)}${noise}`,
          ...pops.map((p) => `  ${p.name} (${p.units} units): ${Object.entries(p.params.g2).map(([b, v]) => `g²[${p.name}<-${b}] ${f(v)}`).join(', ')}, D ${f(p.params.D)}` +
            (Object.values(p.params.J0).some((v) => v !== 0) ? `, ${Object.entries(p.params.J0).map(([b, v]) => `J0[${p.name}<-${b}] ${f(v)}`).join(', ')}` : '')),
          '',
          `DMFT (THEORY §4.3, the fit's Euler network): regime ${r.dmft.regime} (mean-field λ_max ${f(r.dmft.lyapunov, 3)} per τ, chaotic above 0; local expansion: leading eigenvalue of g²_ab⟨φ'²⟩_b ${f(r.dmft.chaos_eigenvalue, 3)})`,
          ...pops.map((p) => `  ${p.name}: variance Δ0 ${f(p.dmft.delta0)}, ⟨φ'⟩ ${f(p.dmft.meanGain, 3)}; timescales τ_1/e ${f(p.dmft.tau_1e)}, τ_int ${f(p.dmft.tau_int)}; autocovariance against its units' at most ${pct(p.autocorrelation.maxRelativeDifference)} of their C(0) apart`),
          `  all units: variance Δ0 ${f(r.dmft.delta0)}; timescales τ_1/e ${f(r.dmft.tau_1e)}, τ_int ${f(r.dmft.tau_int)} (time units of the recording)`,
        ]
      : [
          `fitted network: φ = ${r.params.phi}, g = ${f(r.params.g)}, D = ${f(r.params.D)}, J0 = ${f(r.params.J0)}, τ = ${f(r.params.tau)}${noise}`,
          '',
          `DMFT (THEORY §4): regime ${r.dmft.regime}${r.dmft.lyapunov === null ? '' : ` (mean-field λ_max ${f(r.dmft.lyapunov, 3)} per τ)`}, g/g_c = ${f(r.dmft.g_over_gc, 3)} (g_c: local expansion), J0/J0c = ${f(r.dmft.J0_over_J0c, 3)}`,
          `  variance Δ0 ${f(r.dmft.delta0)}; timescales τ_1/e ${f(r.dmft.tau_1e)}, τ_int ${f(r.dmft.tau_int)}, τ_∞ ${f(r.dmft.tau_inf)} (time units of the recording)`,
        ]),
    '',
    `autocovariance${pops.length ? ' of all units' : ''}, theory against data (max |difference| = ${pct(a.maxRelativeDifference)} of the data's C(0)):`,
    `  ${'lag'.padStart(8)} ${'theory'.padStart(10)} ${'data'.padStart(10)}`,
    ...picks.map((k) => `  ${f(a.lags[k]).padStart(8)} ${f(a.theory[k]).padStart(10)} ${f(a.data[k]).padStart(10)}`),
    `  (${a.theoryNote})`,
    '',
    ...prComparisonLines(d),
    '',
  ];
  return lines.join('\n') + '\n' + (r.forecast ? evaluationTable(r.forecast) : '') + r.notes.map((n) => `note: ${n}\n`).join('');
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .summary('what a fitted network predicts: autocorrelation, regime, timescales, dimension, forecasts')
    .description(
      'Compare a fitted network with a recording: the DMFT autocovariance at the fitted parameters against the ' +
        "data's (per population for a fit with several), the regime (quiescent / noise-driven / chaotic) and timescales, the participation ratio from the " +
        'data, from theory (THEORY §5.2) and from a simulation of the fitted network, and a held-out forecast ' +
        'evaluation of the GP kernels against persistence, AR(p) and a squared-exponential GP (THEORY §3).',
    )
    .argument('<fit.json>', 'fitted-model file written by connfit fit --out')
    .requiredOption('--data <recording>', 'the recording (usually the one that was fitted)')
    .option('--dt <dt>', 'sampling interval of the recording (default: from its time column)', parseNumber('--dt', { positive: true }))
    .addOption(new Option('--layout <layout>', 'time-by-unit: rows are samples; unit-by-time: rows are units').choices(['time-by-unit', 'unit-by-time']))
    .option('--no-header', 'CSV without unit names')
    .option('--context <n>', 'forecast evaluation: past samples conditioned on', parseNumber('--context', { positive: true, integer: true }), 60)
    .option('--horizon <n>', 'forecast evaluation: future samples predicted', parseNumber('--horizon', { positive: true, integer: true }), 20)
    .option('--stride <n>', 'forecast evaluation: window step in samples', parseNumber('--stride', { positive: true, integer: true }), 5)
    .option('--sim-time <t>', 'simulated time of the fitted network for its PR, in units of τ (0: skip)', parseNumber('--sim-time', { nonNegative: true }), 2000)
    .option('--seed <n>', 'seed of that simulation', parseNumber('--seed', { integer: true, nonNegative: true }), 1)
    .option('--network-size <N>', 'units of the whole network when the recording is a subsample of it: the PR theory and simulation then describe the recorded units of that network (default: the recording is the network)', parseNumber('--network-size', { positive: true, integer: true }))
    .option('--json', 'print everything as JSON')
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Example (run in order):
  $ connfit simulate --N 200 --g 1.5 --D 0.1 --dt 0.05 --steps 10000 --seed 1 --out rec.csv
  $ connfit fit rec.csv --out fit.json
  $ connfit predict fit.json --data rec.csv --sim-time 500
JSON: {params, dmft: {regime, lyapunov, delta0, tau_1e, tau_int, tau_inf, g_over_gc, J0_over_J0c},
autocorrelation: {lags, theory, data, maxRelativeDifference, slow}, dimension: {data, theory, simulation},
forecast: {kernels, baselines, setup}, notes}. A fit with several populations (fit --populations, Euler)
is described by its Euler network's discrete-time DMFT: params.g/D/J0 and dmft.g_over_gc, J0_over_J0c are null,
dmft.tau_inf is the populations' common asymptotic decay, dmft.chaos_eigenvalue (local expansion) is added, autocorrelation is over all units, and populations:
[{name, units, params: {g2, J0, D}, dmft: {delta0, meanGain, tau_1e, tau_int}, autocorrelation}] gives each one.`,
    )
    .action(
      action(async (fitPath: string, opts: PredictCliOptions, cmd: Command) => {
        if (opts.simTime === 0) refuseGivenOptions(cmd, [['--seed', 'seed']], 'seeds the simulation of the fitted network, which --sim-time 0 skips; drop it, or give a --sim-time');
        const fit = readFitFile(fitPath);
        const rec = await readRecording(opts.data, { layout: opts.layout, header: opts.header, dt: opts.dt });
        checkAgainstFit(fit, rec, fitPath);
        await startBackend(cmd);
        await prepareEigensolver();
        const bar = progressBar('predict', opts.quiet || opts.json);
        const report = await predictReport(fit, rec, {
          context: opts.context,
          horizon: opts.horizon,
          stride: opts.stride,
          simulationTime: opts.simTime,
          seed: opts.seed,
          networkSize: opts.networkSize,
          onProgress: (_s, d, t) => bar.update(d, t),
        });
        bar.stop();
        if (opts.json) printJson(report);
        else process.stdout.write(summary(report));
      }),
    );
}
