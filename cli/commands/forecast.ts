import { Option, type Command } from 'commander';
import { readFitFile } from '../../src/fitfile/schema.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import type { ForecastScores } from '../../src/predict/evaluate.js';
import {
  buildPredictors, checkAgainstFit, evaluateForecast, evaluationCsv, forecastCsv, forecastUnits, type EvaluationReport,
} from '../../src/predict/forecast.js';
import { KERNEL_NAMES, kernelsFor, type KernelName, type TheorySolver } from '../../src/predict/kernels.js';
import { ensembleNotes, networkForecastCsv, networkForecastFromEnd } from '../../src/predict/network.js';
import { readRecording, type RecordingLayout } from '../../src/recording/read.js';
import { action, checkOutputPath, parseChoice, parseNumber, printJson, progressBar, refuseGivenOptions, startBackend } from '../common.js';

/** Networks in the ensemble of --kernel network when --network-members is not given. */
const DEFAULT_MEMBERS = 50;
/** Seed of the network ensemble when --seed is not given. */
const DEFAULT_SEED = 1;

interface ForecastCliOptions {
  data: string;
  dt?: number;
  layout?: RecordingLayout;
  header: boolean;
  context: number;
  horizon: number;
  kernel?: KernelName | 'network';
  networkMembers: number;
  networkWindows: number;
  theorySolver: TheorySolver;
  out?: string;
  evaluate?: boolean;
  trainFraction: number;
  stride: number;
  arMaxOrder: number;
  json?: boolean;
  seed?: number;
  quiet?: boolean;
}

const SOLVERS: readonly TheorySolver[] = ['auto', 'discrete', 'stationary'];

export function registerForecast(program: Command): void {
  program
    .command('forecast')
    .description(
      'Bayesian (Gaussian-process) forecast of every recorded unit from its recent past (THEORY §3), with the ' +
        'kernel from the fitted network (theory: DMFT at the fit), the plug-in spectrum or the data (empirical); ' +
        '--evaluate scores all kernels and baselines (persistence, AR(p), squared-exponential GP) on held-out windows',
    )
    .argument('<fit.json>', 'fit file written by connfit fit')
    .requiredOption('--data <recording>', 'recording to forecast (same units as the fit; step a whole multiple of the fit\'s)')
    .option('--dt <dt>', 'sampling interval of the recording (default: from its time column)', parseNumber('--dt', { positive: true }))
    .addOption(new Option('--layout <layout>', 'time-by-unit: rows are samples; unit-by-time: rows are units').choices(['time-by-unit', 'unit-by-time']))
    .option('--no-header', 'CSV without unit names')
    .option('--context <n>', 'past samples the GP kernels and baselines condition on (the network ensemble starts from the last sample alone)', parseNumber('--context', { positive: true, integer: true }), 60)
    .option('--horizon <n>', 'future samples predicted jointly', parseNumber('--horizon', { positive: true, integer: true }), 20)
    .option('--kernel <name>', `kernel: ${KERNEL_NAMES.join(', ')}, or network: the network-aware ensemble (THEORY §3.3, fully recorded ` +
      'Euler fits, --loss exact: coupling rows sampled from their posterior and simulated forward) (forecast default theory, per population for a fit with several; --evaluate default: all GP kernels, but the plug-in for a fit through a calcium indicator or with several populations)', parseChoice('--kernel', [...KERNEL_NAMES, 'network'] as const))
    .option('--network-members <K>', `networks in the ensemble (0: ${DEFAULT_MEMBERS} with --kernel network; --evaluate adds the ensemble when K > 0)`, parseNumber('--network-members', { integer: true, nonNegative: true }), 0)
    .option('--network-windows <n>', '--evaluate: windows scored for the network ensemble (it simulates K networks per window)', parseNumber('--network-windows', { integer: true, positive: true }), 100)
    .option('--theory-solver <name>', 'theory kernel: auto (discrete DMFT of the fit\'s Euler network when the steps match), discrete, stationary', parseChoice('--theory-solver', SOLVERS), 'auto' as TheorySolver)
    .option('--out <file>', 'write the forecast CSV (unit,time,step,mean,sd,lower95,upper95) here, atomically; with --evaluate the ' +
      'scores per predictor and horizon step (kind,predictor,step,time,predicted_var,mse,mse_over_var,coverage50,coverage95,lpd; ' +
      'the overall scores are their means over the steps)')
    .option('--evaluate', 'score kernels and baselines on held-out windows instead of forecasting')
    .option('--train-fraction <f>', '--evaluate: leading fraction of the data that trains the data-driven kernels and baselines', parseNumber('--train-fraction', { positive: true }), 0.5)
    .option('--stride <n>', '--evaluate: window step in samples', parseNumber('--stride', { positive: true, integer: true }), 1)
    .option('--ar-max-order <p>', '--evaluate: largest AR order (chosen by AIC)', parseNumber('--ar-max-order', { positive: true, integer: true }), 20)
    .option('--json', 'print JSON ({kernels: {theory: {mse, mse_over_var, coverage50, coverage95, lpd, perHorizon}, ...}, baselines: {...}, setup})')
    .option('--seed <n>', `seed of the network ensemble (--kernel network, or --evaluate with --network-members K > 0; default ${DEFAULT_SEED}, ` +
      'reported as "seed" in --json); the GP forecasts are deterministic and take none', parseNumber('--seed', { integer: true, nonNegative: true }))
    .option('--quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Examples (run in order):
  $ connfit simulate --N 200 --g 1.5 --D 0.1 --dt 0.05 --steps 8000 --seed 1 --out rec.csv
  $ connfit fit rec.csv --dt 0.05 --loss exact --out fit.json
  $ connfit forecast fit.json --data rec.csv --context 60 --horizon 20 --out forecast.csv
  $ connfit forecast fit.json --data rec.csv --context 60 --horizon 20 --evaluate --stride 5 --json
  $ connfit forecast fit.json --data rec.csv --kernel network --network-members 20 --out network.csv

The GP conditions each unit on its last --context samples: mean x̂ = c + K_fp K_pp⁻¹ (x_p − c),
covariance K_ff − K_fp K_pp⁻¹ K_pf, with the kernel in data units (x = offset + scale·x_model).
--evaluate reports per kernel/baseline mse, mse_over_var (mean err²/σ², 1 when calibrated), coverage50,
coverage95 (central intervals) and lpd (mean Gaussian log predictive density per value).
A fit with several populations (fit --populations, Euler) gives each unit its own population's theory
kernel, from the discrete-time DMFT of the fitted blocks g²_ab, D_a; --json then reports sd per population.`,
    )
    .action(
      action(async (fitPath: string, opts: ForecastCliOptions, cmd: Command) => {
        refuseIdleOptions(opts, cmd);
        if (opts.out !== undefined) checkOutputPath(opts.out, '--out', [fitPath, opts.data]);
        const fit = readFitFile(fitPath);
        const rec = await readRecording(opts.data, { layout: opts.layout, header: opts.header, dt: opts.dt, minSamples: opts.context + opts.horizon });
        checkAgainstFit(fit, rec, fitPath);
        // the network ensemble forms ΦᵀΦ with tensors; the GP forecasts need none
        const ensemble = usesEnsemble(opts);
        const seed = opts.seed ?? DEFAULT_SEED;
        if (ensemble) await startBackend(cmd);
        const bar = progressBar('forecast', opts.quiet || opts.json);
        const theory = { solver: opts.theorySolver, onProgress: (d: number, t: number) => bar.update(d, t) };
        if (opts.evaluate) {
          const gpKernels = opts.kernel === 'network' ? [] : opts.kernel ? [opts.kernel] : kernelsFor(fit);
          const members = opts.networkMembers || (opts.kernel === 'network' ? DEFAULT_MEMBERS : 0);
          const notes = members > 0 ? ensembleNotes(fit) : [];
          if (opts.kernel === undefined && fit.model.indicator) notes.push("the plug-in kernel is left out: it needs the network's x from the recording, which this fit saw through a calcium indicator");
          const report = await evaluateForecast(fit, rec, {
            context: opts.context,
            horizon: opts.horizon,
            kernels: gpKernels,
            arMaxOrder: opts.arMaxOrder,
            trainFraction: opts.trainFraction,
            stride: opts.stride,
            theory,
            network: { members, windows: opts.networkWindows, seed },
            onProgress: (_s, d, t) => bar.update(d, t),
          });
          bar.stop();
          if (opts.out) await writeFileAtomic(opts.out, evaluationCsv(report));
          if (opts.json) printJson({ ...report, notes, seed: members > 0 ? seed : null });
          else process.stdout.write(evaluationTable(report) + noteLines(notes) + (opts.out ? `scores written to ${opts.out}\n` : ''));
          return;
        }
        if (opts.kernel === 'network') {
          const members = opts.networkMembers || DEFAULT_MEMBERS;
          const notes = ensembleNotes(fit);
          const f = networkForecastFromEnd(fit, rec, { horizon: opts.horizon, members, seed });
          bar.stop();
          if (opts.out) await writeFileAtomic(opts.out, networkForecastCsv(f, rec.unitNames));
          if (opts.json) {
            printJson({ kernel: 'network', members, time: f.time, units: Object.fromEntries(rec.unitNames.map((u, i) => [u, { mean: Array.from(f.mean[i]), sd: Array.from(f.sd[i]) }])), notes, seed });
            return;
          }
          process.stdout.write(
            `connfit forecast: ${rec.nUnits} units, ${opts.horizon} samples ahead, network ensemble of ${members} sampled couplings (seed ${seed})\n` +
              noteLines(notes) +
              (opts.out ? `forecast written to ${opts.out}\n` : 'give --out forecast.csv to write the per-unit means and 95 % intervals\n'),
          );
          return;
        }
        const name = opts.kernel ?? 'theory';
        const preds = buildPredictors(fit, rec, { context: opts.context, horizon: opts.horizon, kernels: [name], theory });
        bar.stop();
        const { names: popNames, groups } = preds.populations;
        const f = forecastUnits(preds.kernels[name]!, rec, groups);
        const note = preds.kernelValues[name]!.map((k) => k.note).join(' | ');
        // one sd per population (a population fit's theory kernels), else one for all units
        const perPopulation = preds.kernels[name]!.length > 1;
        const bySd = popNames.map((pop, a) => ({ name: pop, index: a, first: groups.indexOf(a) })).filter((p) => p.first >= 0);
        if (opts.out) await writeFileAtomic(opts.out, forecastCsv(f, rec.unitNames));
        if (opts.json) {
          const populations = perPopulation
            ? { populations: bySd.map((p) => ({ name: p.name, units: rec.unitNames.filter((_, i) => groups[i] === p.index), sd: Array.from(f.sd[p.first]) })) }
            : {};
          printJson({ kernel: name, note, time: f.time, sd: perPopulation ? null : Array.from(f.sd[0]), ...populations, units: Object.fromEntries(rec.unitNames.map((u, i) => [u, Array.from(f.mean[i])])), seed: null });
          return;
        }
        const sdLine = (s: Float64Array, who: string) => `  predictive sd${who}: step 1 ${s[0].toPrecision(4)}, step ${opts.horizon} ${s[opts.horizon - 1].toPrecision(4)}`;
        const lines = [
          `connfit forecast: ${rec.nUnits} units, ${opts.horizon} samples after t = ${(f.time[0] - (rec.dt ?? 1)).toPrecision(6)} from the last ${opts.context}, kernel ${name}`,
          ...preds.kernelValues[name]!.map((k) => `  ${k.note}`),
          ...(perPopulation ? bySd.map((p) => sdLine(f.sd[p.first], ` of ${p.name}`)) : [sdLine(f.sd[0], '')]),
          opts.out ? `forecast written to ${opts.out}` : 'give --out forecast.csv to write the per-unit means and 95 % intervals',
        ];
        process.stdout.write(lines.join('\n') + '\n');
      }),
    );
}

/** Whether a network ensemble runs: --kernel network, or --evaluate with --network-members K > 0. */
function usesEnsemble(opts: ForecastCliOptions): boolean {
  return opts.kernel === 'network' || (opts.evaluate === true && opts.networkMembers > 0);
}

/** Refuse options given on the command line that this mode would not use. */
function refuseIdleOptions(opts: ForecastCliOptions, cmd: Command): void {
  if (!opts.evaluate) {
    refuseGivenOptions(cmd, [['--train-fraction', 'trainFraction'], ['--stride', 'stride'], ['--ar-max-order', 'arMaxOrder'], ['--network-windows', 'networkWindows']],
      'applies to --evaluate only (it sets how the held-out windows are scored); add --evaluate, or drop it');
    if (opts.kernel !== 'network') {
      refuseGivenOptions(cmd, [['--network-members', 'networkMembers']], 'applies with --kernel network or --evaluate (a GP forecast has no ensemble); add --kernel network, or drop it');
    } else {
      refuseGivenOptions(cmd, [['--context', 'context']], 'does not apply to --kernel network (the ensemble simulates forward from the last sample, it conditions on no window); drop it');
    }
  } else if (!usesEnsemble(opts)) {
    refuseGivenOptions(cmd, [['--network-windows', 'networkWindows']], 'applies when --evaluate scores the network ensemble (--kernel network or --network-members K > 0); add one, or drop it');
  }
  if (!usesEnsemble(opts)) {
    refuseGivenOptions(cmd, [['--seed', 'seed']], 'seeds the network ensemble (--kernel network, or --evaluate with --network-members K > 0); the GP forecasts are deterministic and take no seed: drop it');
  }
  if (opts.kernel !== undefined && opts.kernel !== 'theory') {
    refuseGivenOptions(cmd, [['--theory-solver', 'theorySolver']], `applies to the theory kernel only (--kernel ${opts.kernel} does not use it); drop it`);
  }
}

function noteLines(notes: string[]): string {
  return notes.map((n) => `note: ${n}\n`).join('');
}

export function evaluationTable(r: EvaluationReport): string {
  const rows: [string, ForecastScores][] = [
    ...Object.entries(r.kernels).map(([k, v]) => [`kernel ${k}`, v!] as [string, ForecastScores]),
    ...Object.entries(r.baselines).map(([k, v]) => [k, v!] as [string, ForecastScores]),
  ];
  const s = r.setup;
  let out = `connfit forecast --evaluate: ${s.units} units, trained on ${s.trainSamples} samples, scored on ${s.testSamples} (${s.windows} windows per unit, context ${s.context}, horizon ${s.horizon}, dt ${s.dt})\n\n`;
  out += `  ${'predictor'.padEnd(18)} ${'mse'.padStart(9)} ${'mse/var'.padStart(8)} ${'cov50'.padStart(6)} ${'cov95'.padStart(6)} ${'lpd'.padStart(8)}\n`;
  for (const [name, v] of rows) {
    out += `  ${name.padEnd(18)} ${v.mse.toPrecision(4).padStart(9)} ${v.mse_over_var.toFixed(3).padStart(8)} ${v.coverage50.toFixed(3).padStart(6)} ${v.coverage95.toFixed(3).padStart(6)} ${v.lpd.toFixed(4).padStart(8)}\n`;
  }
  out += '\n' + rows.map(([name, v]) => `  ${name}: ${v.note}`).join('\n') + '\n';
  return out;
}
