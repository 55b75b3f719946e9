/**
 * `connfit dimension`: participation ratio of a recording's activity (THEORY §5.1, §5.5), the
 * spectrum statistics of a coupling matrix (§2.8), a fit file's PR from data, theory and simulation of
 * the fitted network (§5), or with --theory the PR predicted by DMFT and the two-site cavity (§5.2, §5.3).
 */
import { Option, type Command } from 'commander';
import { InputError } from '../../src/errors.js';
import { couplingFileIfAny } from '../../src/connectome/couplingFile.js';
import { prepareEigensolver } from '../../src/linalg/eigh.js';
import { PHI_NAMES, type PhiName } from '../../src/phi.js';
import { readRecording, type ReadOptions, type RecordingFormat, type RecordingLayout } from '../../src/recording/read.js';
import { LARGE_PR_BIAS, matrixSpectrumStats, participationRatio, prFiniteSampleBias, type PrBiasEstimate } from '../../src/statistics/dimension.js';
import { participationRatioTheory, prFiniteSizeNote } from '../../src/theory/participation.js';
import { action, parseChoice, parseNumber, printJson, refuseGivenOptions, startBackend } from '../common.js';
import { isFitFile, readFitFile } from '../../src/fitfile/schema.js';
import { checkAgainstFit } from '../../src/predict/forecast.js';
import { dimensionComparison, prComparisonLines } from '../../src/report/predict.js';
import { couplingStatisticsJson, couplingStatisticsLines } from '../../src/report/coupling.js';

interface DimensionOptions {
  layout?: RecordingLayout;
  format?: RecordingFormat;
  header: boolean;
  dt?: number;
  phi: PhiName;
  zscore?: boolean;
  json?: boolean;
  theory?: boolean;
  g?: number;
  D?: number;
  effectiveRank?: number;
  N?: number;
  data?: string;
  simTime: number;
  networkSize?: number;
  seed: number;
}

/** `--theory`: PR_x and PR_φ from theory; no file, --g required. */
function theoryCommand(opts: DimensionOptions): void {
  if (opts.g === undefined) throw new InputError('required with --theory (coupling strength, or g_eff with --effective-rank)', { field: '--g' });
  if (opts.zscore) throw new InputError('applies to recordings only (theory units are statistically identical)', { field: '--zscore' });
  const D = opts.D ?? 0;
  const res = participationRatioTheory({ phi: opts.phi, g: opts.g, D, effectiveRank: opts.effectiveRank });
  const N = opts.N;
  const r = opts.effectiveRank ?? null;
  const note = N !== undefined ? prFiniteSizeNote(res.pr_phi, N) : null;
  if (opts.json) {
    printJson({
      pr_x: res.pr_x,
      pr_phi: res.pr_phi,
      ...(N !== undefined ? { N, dimension_x: res.pr_x === null ? null : res.pr_x * N, dimension_phi: res.pr_phi * N, note } : {}),
      kind: 'theory',
      phi: opts.phi,
      g: opts.g,
      D,
      effective_rank: r,
      pr_x_iid: res.pr_x_iid,
      pr_phi_iid: res.pr_phi_iid,
      cx0: res.cx0,
      cphi0: res.cphi0,
      nu: res.nu,
    });
    return;
  }
  const dim = (pr: number | null) => (N !== undefined && pr !== null ? `, dimension ${fmt(pr * N)} of ${N}` : '');
  process.stdout.write(
    `theory: ${opts.phi}, g = ${opts.g}, D = ${D}, ${r === null ? 'i.i.d. couplings' : `random-mode couplings, effective rank α·PR_D = ${r}`}\n` +
      `x: PR ${fmt(res.pr_x)}${dim(res.pr_x)}   (C_x(0) = Δ0 = ${fmt(res.cx0)})\n` +
      `φ(x): PR ${fmt(res.pr_phi)}${dim(res.pr_phi)}   (C_φ(0) = ${fmt(res.cphi0)})\n` +
      (r !== null ? `i.i.d. couplings at the same g: PR_x ${fmt(res.pr_x_iid)}, PR_φ ${fmt(res.pr_phi_iid)}\n` : '') +
      'PR is normalised by N (dimension = PR·N; N → ∞ limit)\n' +
      (note ? `note: ${note}\n` : ''),
  );
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '-' : String(Number(v.toPrecision(digits)));
}

/** Options that describe how a recording is read. */
const RECORDING_OPTIONS = [['--layout', 'layout'], ['--format', 'format'], ['--no-header', 'header'], ['--dt', 'dt']] as const;
/** Options of the fit-file comparison. */
const FIT_OPTIONS = [['--data', 'data'], ['--network-size', 'networkSize'], ['--sim-time', 'simTime'], ['--seed', 'seed']] as const;

function biasJson(b: PrBiasEstimate) {
  return {
    pr_full: b.prFull,
    pr_infinite: b.prInfinite,
    pr_infinite_linear: b.prInfiniteLinear,
    bias: b.bias,
    relative_bias: b.relativeBias,
    levels: b.levels.map((l) => ({ segments: l.segments, samples_per_segment: l.samplesPerSegment, pr: l.pr })),
  };
}

export function registerDimension(program: Command): void {
  program
    .command('dimension')
    .summary('participation ratio (dimension) of a recording, or spectrum statistics of a coupling matrix')
    .description(
      // One line per paragraph (commander wraps them to the terminal); the formula keeps its own line.
      'With --theory (no file): PR_x and PR_φ predicted for an i.i.d. network (DMFT + two-site ' +
        'cavity, THEORY §5.2) or a random-mode network of effective rank α·PR_D (§5.3).\n' +
        'For a recording: the participation ratio (normalised by N) of the equal-time covariance of x and of φ(x)\n' +
        '  PR = (Σλ)² / (N Σλ²) ∈ (0, 1],  dimension = PR·N   (THEORY §5.1)\n' +
        'with a finite-sample bias estimate: PR of contiguous halves and quarters extrapolated ' +
        'linearly in 1/T to T → ∞ (bias = PR(full) − PR(∞), THEORY §5.5).\n' +
        'For a JSON file with a square "J" array of rows (e.g. the --save-network output of ' +
        'connfit simulate): ĝ = sqrt(N Var J_ij), Ĵ0 = N mean J_ij, g_eff = ‖J‖_F/√N, ' +
        'PR_S = (Σs²)²/(N Σs⁴) of the singular values and the effective rank ' +
        'α·PR_D = PR_S/(1 − 2 PR_S) (only when PR_S < 1/2; THEORY §2.8, §1.3c).',
    )
    .argument('[file]', 'recording (.csv/.tsv/.txt, .npy, .json), a JSON file with a coupling matrix "J", or a fit file')
    .addOption(new Option('--layout <layout>', 'time-by-unit: rows are samples; unit-by-time: rows are units').choices(['time-by-unit', 'unit-by-time']))
    .addOption(new Option('--format <format>', 'recording file format (default: from the extension)').choices(['csv', 'npy', 'json']))
    .option('--no-header', 'CSV without unit names (a bare numeric matrix); units are named u0, u1, ...')
    .option('--dt <dt>', 'sampling interval (checked against a time column if the file has one)', parseNumber('--dt', { positive: true }))
    .option('--phi <name>', `nonlinearity for PR_φ of a recording or --theory: ${PHI_NAMES.join(' or ')} (a fit file uses its own)`, parseChoice('--phi', PHI_NAMES), 'tanh' as PhiName)
    .option('--zscore', 'use correlations (each unit scaled to unit variance) instead of covariances')
    .option('--data <recording>', 'with a fit file: the recording whose PR is compared with theory and simulation')
    .option('--sim-time <t>', 'with a fit file: simulated time of the fitted network, in τ (0: skip)', parseNumber('--sim-time', { nonNegative: true }), 2000)
    .option('--network-size <N>', 'with a fit file: units of the whole network when the recording is a subsample of it (theory and simulation then describe the recorded units of that network; default: the recording is the network)', parseNumber('--network-size', { positive: true, integer: true }))
    .option('--seed <n>', 'with a fit file: seed of that simulation', parseNumber('--seed', { integer: true, nonNegative: true }), 1)
    .option('--json', 'print JSON')
    .option('--theory', 'PR from theory instead of a file (needs --g; uses --phi, --D, --effective-rank, --N)')
    .option('--g <g>', 'with --theory: coupling strength g (g_eff for random-mode couplings)', parseNumber('--g', { nonNegative: true }))
    .option('--D <D>', 'with --theory: noise intensity D (sqrt(2D)ξ convention, default 0)', parseNumber('--D', { nonNegative: true }))
    .option('--effective-rank <r>', 'with --theory: effective rank α·PR_D of random-mode couplings (default: i.i.d.)', parseNumber('--effective-rank', { positive: true }))
    .option('--N <N>', 'with --theory: network size, to report the dimension PR·N', parseNumber('--N', { positive: true, integer: true }))
    .addHelpText(
      'after',
      '\nExamples (run in order):\n' +
        '  $ connfit simulate --N 200 --g 1.5 --D 0.1 --dt 0.05 --steps 10000 --seed 1 --out rec.csv --save-network net.json\n' +
        '  $ connfit dimension rec.csv\n' +
        '  $ connfit dimension net.json          # coupling matrix: g, J0, g_eff, PR_S, effective rank\n' +
        '  Real data (unit-by-time ΔF/F, no header), with $CONNFIT_DATA the data directory that connfit info prints:\n' +
        '  $ connfit dimension "$CONNFIT_DATA"/zebrafish-tectum-triplett2018-f1/zf_20151104-f1_activity_matrix.csv \\\n' +
        '      --layout unit-by-time --no-header --dt 0.4545 --zscore --json\n' +
        '  $ connfit dimension --theory --phi erf --g 3 --json          # {"pr_x": 0.0342, "pr_phi": 0.0497, ...}\n' +
        '  $ connfit dimension --theory --phi erf --g 3 --effective-rank 0.28 --N 18028',
    )
    .action(
      action(async (file: string | undefined, opts: DimensionOptions, cmd: Command) => {
        const theoryOnly = (['g', 'D', 'effectiveRank', 'N'] as const).filter((k) => opts[k] !== undefined);
        if (opts.theory) {
          if (file !== undefined) throw new InputError(`--theory takes no file, got '${file}'`);
          refuseGivenOptions(cmd, [...RECORDING_OPTIONS, ...FIT_OPTIONS], 'does not apply to --theory (it reads no file); drop it');
          theoryCommand(opts);
          return;
        }
        if (theoryOnly.length) {
          const flag = { g: '--g', D: '--D', effectiveRank: '--effective-rank', N: '--N' }[theoryOnly[0]];
          throw new InputError('applies to --theory only', { field: flag });
        }
        if (file === undefined) throw new InputError('missing the recording, coupling-matrix or fit file (or use --theory)');
        await prepareEigensolver();
        if (isFitFile(file)) {
          refuseGivenOptions(cmd, [['--phi', 'phi'], ['--zscore', 'zscore']], `does not apply to a fit file (the comparison uses the fit's φ and covariances); drop it`);
          if (opts.data === undefined) refuseGivenOptions(cmd, RECORDING_OPTIONS, 'applies to the --data recording, which is not given; add --data <recording>, or drop it');
          if (opts.simTime === 0) refuseGivenOptions(cmd, [['--seed', 'seed']], 'seeds the simulation of the fitted network, which --sim-time 0 skips; drop it, or give a --sim-time');
          const fit = readFitFile(file);
          const rec = opts.data ? await readRecording(opts.data, { header: opts.header, layout: opts.layout, format: opts.format, dt: opts.dt }) : undefined;
          if (rec) checkAgainstFit(fit, rec, file);
          await startBackend(cmd);
          const cmp = await dimensionComparison(fit, rec, { simulationTime: opts.simTime, seed: opts.seed, networkSize: opts.networkSize });
          const { units: n, networkSize: N } = cmp;
          const times = (pr: number | null, k: number) => (pr === null ? null : pr * k);
          const dims = {
            dimension_x: times(cmp.theory.pr_x, n), dimension_phi: cmp.theory.pr_phi * n,
            network_dimension_x: times(cmp.theory.network.pr_x, N), network_dimension_phi: cmp.theory.network.pr_phi * N,
          };
          if (opts.json) {
            printJson({ file, kind: 'fit', ...cmp, ...dims });
            return;
          }
          process.stdout.write(
            `file: ${file} (fit: ${fit.model.phi}, ${fit.model.natural.g2.length > 1 ? `${fit.model.natural.g2.length} populations (${fit.data.populations.map((p) => p.name).join(', ')})` : `g ${fmt(Math.sqrt(fit.model.natural.g2[0]?.[0] ?? NaN))}, D ${fmt(fit.model.natural.D[0])}`}, ${n} units)\n` +
              prComparisonLines(cmp).join('\n') +
              `\ndimension PR·n of the ${n} recorded units (theory): x ${fmt(dims.dimension_x)}, φ ${fmt(dims.dimension_phi)}` +
              (N === n ? '\n' : `; PR·N of the network of ${N}: x ${fmt(dims.network_dimension_x)}, φ ${fmt(dims.network_dimension_phi)}\n`) +
              cmp.notes.map((note) => `note: ${note}\n`).join(''),
          );
          return;
        }
        refuseGivenOptions(cmd, FIT_OPTIONS, `applies to a fit file only ('${file}' is not one)`);
        const matrix = couplingFileIfAny(file);
        if (matrix) {
          refuseGivenOptions(cmd, [['--phi', 'phi'], ['--zscore', 'zscore'], ...RECORDING_OPTIONS], `does not apply to a coupling matrix ('${file}' has one, "J"); drop it`);
          const s = matrixSpectrumStats(matrix.J, matrix.N);
          if (opts.json) {
            printJson({ file, kind: 'matrix', ...couplingStatisticsJson(s), N: s.N });
            return;
          }
          process.stdout.write(`file: ${file} (coupling matrix, N = ${s.N})\n` + couplingStatisticsLines(s));
          return;
        }
        const readOpts: ReadOptions = { header: opts.header };
        if (opts.layout) readOpts.layout = opts.layout;
        if (opts.format) readOpts.format = opts.format;
        if (opts.dt !== undefined) readOpts.dt = opts.dt;
        const rec = await readRecording(file, readOpts);
        if (rec.nSamples < 8) throw new InputError(`need at least 8 samples for the PR and its bias estimate, got ${rec.nSamples}`, { file });
        const zscore = opts.zscore ?? false;
        const px = participationRatio(rec, { of: 'x', zscore });
        const pp = participationRatio(rec, { of: 'phi', zscore, phi: opts.phi });
        const bx = prFiniteSampleBias(rec, { of: 'x', zscore });
        const bp = prFiniteSampleBias(rec, { of: 'phi', zscore, phi: opts.phi });
        if (opts.json) {
          printJson({
            pr_x: px.pr,
            pr_phi: pp.pr,
            dimension_x: px.dimension,
            dimension_phi: pp.dimension,
            file,
            kind: 'recording',
            units: rec.nUnits,
            samples: rec.nSamples,
            phi: opts.phi,
            zscore,
            bias_x: biasJson(bx),
            bias_phi: biasJson(bp),
          });
          return;
        }
        const N = rec.nUnits;
        const line = (name: string, pr: number, b: PrBiasEstimate) =>
          `${name}: PR ${fmt(pr)}, dimension ${fmt(pr * N)} of ${N}; ` +
          `extrapolated to T → ∞ (1/PR linear in 1/T): PR ${fmt(b.prInfinite)} (bias ${fmt(b.bias, 3)}, ${fmt(100 * b.relativeBias, 3)} %)\n` +
          (Math.abs(b.relativeBias) > LARGE_PR_BIAS
            ? `  the recording is short for this PR (bias over ${100 * LARGE_PR_BIAS} %): the T → ∞ value is indicative only; compare the halves and quarters below\n`
            : '');
        process.stdout.write(
          `file: ${file} (${N} units, ${rec.nSamples} samples${zscore ? ', z-scored' : ''})\n` +
            line('x', px.pr, bx) +
            line(`φ(x) (${opts.phi})`, pp.pr, bp) +
            `PR by halves: x ${fmt(bx.levels[1].pr)}, φ ${fmt(bp.levels[1].pr)}; by quarters: x ${fmt(bx.levels[2].pr)}, φ ${fmt(bp.levels[2].pr)}\n`,
        );
      }),
    );
}
