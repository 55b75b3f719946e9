import { Command, InvalidArgumentError, Option } from 'commander';
import { fitRecording, type FitOptions, type FitResult } from '../../src/fit/fit.js';
import { checkMultiregionBootstrap, lowRankNetworkBootstrap, MIN_BOOTSTRAP_NETWORKS, multiregionNetworkBootstrap, networkBootstrap, withNetworkBootstrap, type NetworkBootstrap, type NetworkBootstrapOptions } from '../../src/fit/networkBootstrap.js';
import { fitLowRank, type LowRankFitOptions } from '../../src/fit/lowRank.js';
import { fitWithConnectome } from '../../src/fit/connectome.js';
import { connectomeNetworkBootstrap, withConnectomeBootstrap } from '../../src/fit/connectomeBootstrap.js';
import { readConnectome } from '../../src/connectome/connectome.js';
import { SYNAPSE_SELECTIONS, type SynapseSelection } from '../../src/connectome/edgeList.js';
import { ConnfitError, InputError } from '../../src/errors.js';
import { prepareEigensolver } from '../../src/linalg/eigh.js';
import { effectiveRankOfFit } from '../../src/structure/effectiveRank.js';
import { fitMultiregion, multiregionFitResult } from '../../src/fit/multiregion.js';
import { readRegionsFile, regionsForFit } from '../../src/structure/regionsFile.js';
import { buildFitFile } from '../../src/fitfile/build.js';
import { fitFileJson, writeFitFile, type FitFile } from '../../src/fitfile/schema.js';
import { readPopulationAssignment } from '../../src/model/populations.js';
import { PHI_NAMES, type PhiName } from '../../src/phi.js';
import { readRecording, type RecordingLayout } from '../../src/recording/read.js';
import { estimateTable } from '../../src/report/summary.js';
import { action, checkOutputPath, parseChoice, parseNumber, progressBar, refuseGivenOptions, startBackend } from '../common.js';

interface FitCliOptions {
  dt?: number;
  phi: PhiName;
  loss?: 'whittle' | 'exact';
  discretisation: 'euler' | 'exp-euler';
  populations?: string;
  units?: string[];
  fitTau?: boolean;
  tau?: number;
  fitScale?: boolean;
  fitJ0: boolean;
  leak?: number;
  fitLeak?: boolean;
  layout?: RecordingLayout;
  header: boolean;
  out?: string;
  json?: boolean;
  quiet?: boolean;
  seed?: number;
  rank?: string;
  networkSize?: number;
  maxRank?: number;
  folds?: number;
  currents?: boolean;
  effectiveRank?: boolean;
  calibration: 'simulation' | 'none';
  regions?: string;
  bootstrapNetworks?: number;
  connectome?: string;
  synapses?: SynapseSelection;
  obsNoise?: boolean;
  indicatorDecay?: number;
}

/** `--units a,b,c` → the names; an empty list would otherwise mean "all units" without a word. */
function parseUnitList(v: string): string[] {
  const names = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError(`--units needs at least one unit name (e.g. --units u0,u1), got '${v}'; omit it to use all units`);
  return names;
}

/** `--rank R|auto` → a whole number or 'auto'. */
function parseRank(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  const r = Number(v);
  if (v.trim() === '' || !Number.isInteger(r) || r < 0) throw new InputError(`expected a whole number ≥ 0 or 'auto', got '${v}'`, { field: '--rank' });
  return r;
}

export function registerFit(program: Command): void {
  program
    .command('fit')
    .description(
      'fit g, D, J0 (and optionally τ, observation scale/offset, leak shape, population blocks) to a recording ' +
        'by minimising the rate-function loss; report estimates with standard errors and 95% intervals',
    )
    .argument('<recording>', 'recording (.csv with a header of unit names, .npy, .json); rows = samples unless --layout unit-by-time')
    .option('--dt <dt>', 'sampling interval (default: from the time column: time, t, time_s, time (s), t_ms, … in any case)', parseNumber('--dt', { positive: true }))
    .addOption(new Option('--phi <phi>', 'nonlinearity φ').choices([...PHI_NAMES]).default('tanh'))
    .addOption(
      new Option(
        '--loss <form>',
        'whittle: spectral form (THEORY §2.4), works on subsampled recordings, no N×N work, does not identify the ' +
          'observation scale (refused with --fit-scale); exact: discrete-time ' +
          'marginal likelihood (§2.3), assumes the recorded units are the whole network; identifies τ and the ' +
          'observation scale. Default: whittle, or exact with --fit-tau/--fit-scale or --rank (with --rank and ' +
          '--network-size: by the bulk strength, see below)',
      ).choices(['whittle', 'exact']),
    )
    .addOption(new Option('--discretisation <d>', 'how y = ẋ + x is formed from samples (exp-euler for coarse sampling)').choices(['euler', 'exp-euler']).default('euler'))
    .option('--populations <file>', 'JSON assigning units to populations: {"populations":[{"name":"E","units":["u0",...]}, ...]} or sizes')
    .option('--units <list>', 'comma-separated unit names to use (default: all)', parseUnitList)
    .option('--fit-tau', 'fit the time constant τ (reported in the units of dt)')
    .option('--tau <tau>', 'fixed time constant when τ is not fitted (default 1: dt in units of τ)', parseNumber('--tau', { positive: true }))
    .option('--fit-scale', 'fit an observation scale and offset: x_model = (x_data − offset)/scale')
    .option('--no-fit-J0', 'fix the mean coupling J0 at 0')
    .option('--leak <s>', 'leak shape s of U(x) = x²/2 − s·log cosh x (fixed)', parseNumber('--leak'))
    .option('--fit-leak', 'fit the leak shape s')
    .option('--obs-noise', 'fit white observation noise on x (x_data = x + ε, sd σ_obs reported as obsNoise, in data units): ' +
      'measurement noise that raises D̂ and lowers ĝ when ignored. Spectral loss (the default with it, also with --fit-tau); ' +
      'one or more populations, or --rank R|auto (all or part of the network recorded); not with --fit-scale, a leak shape, --regions, --connectome or --effective-rank')
    .option('--indicator-decay <T>', 'the recording is a calcium indicator\'s trace of x with this decay time (time unit of dt): the fit undoes the indicator, ' +
      'averages over short blocks where that amplifies the noise, and fits white noise on the trace (implies --obs-noise; spectral loss; one or more populations; ' +
      'not with --rank, --regions, --connectome, --effective-rank or --bootstrap-networks)', parseNumber('--indicator-decay', { positive: true }))
    .addOption(new Option('--layout <layout>', 'time-by-unit: rows are samples; unit-by-time: rows are units').choices(['time-by-unit', 'unit-by-time']))
    .option('--no-header', 'CSV without unit names')
    .option('--rank <R|auto>', 'fit R low-rank modes m nᵀ/N with the random bulk (THEORY §1.3b); exact loss (default, all ' +
      'units recorded); partial recordings: --network-size N (the loss form is chosen by the bulk strength, see below); auto: choose R in ' +
      '0..--max-rank by the held-out rate function over time blocks')
    .option('--network-size <N>', 'total units of the network the recorded units belong to (≥ recorded units; default: the ' +
      'recording is the whole network). With --rank and N > recorded: the exact form for a weak bulk (ĝ ≤ 0.6), else the ' +
      'spectral form (--loss to choose), readout loadings n corrected for the unrecorded units\' readout predicted by the recorded ones, ' +
      'loadings reported with J = m nᵀ/N. With --effective-rank: the size of the simulated calibration networks',
      parseNumber('--network-size', { integer: true, positive: true }))
    .option('--max-rank <R>', 'largest rank tried by --rank auto (default 4)', parseNumber('--max-rank', { integer: true, nonNegative: true }))
    // One block leaves nothing to train on: the held-out rate function needs k ≥ 2.
    .option('--folds <k>', 'time blocks (≥ 2) for the held-out rate function of --rank auto (default 4)', parseNumber('--folds', { integer: true, min: 2 }))
    .option('--currents', 'with --rank or --regions: store the latent currents (of the modes: κ_r(t) = (1/N) Φ n_r) in the fit file (empty at rank 0)')
    .option('--regions <file.json>', 'multiregion fit (THEORY §1.3d): per region g, D and the rank-one links between regions; ' +
      'file: {"regions": [{"name": "A", "size": 200}, …], "links": [{"from": "B", "to": "A"}, …]} (the format in full: ' +
      'README, "Multiregion networks"; example: two-regions, models/two-regions.json)')
    .option('--connectome <file>', 'fit a given coupling matrix at an unknown scale: J = a·W + J0/N + g·Z/√N, W a connectome ' +
      '(edge list .csv/.tsv/.txt, flyvis .json or coupling file .json: the formats of connfit connectome) whose cells are matched to the ' +
      'recorded units by name; reports a (connectomeScale), its gain gW = a·‖W‖_F/√n, g (couplings W does not explain), D, J0 and a ' +
      'Wald test of a = 0. Exact loss, one population')
    .option('--synapses <kind>', `with --connectome, an edge list with a type column: ${SYNAPSE_SELECTIONS.join(', ')} (default: chemical)`, parseChoice('--synapses', SYNAPSE_SELECTIONS))
    .option('--effective-rank', 'also estimate the effective rank α·PR_D of J from the activity\'s PR (random-mode model, ' +
      'THEORY §5.3), calibrated for the finite network size (see --calibration), with a 95% interval; with ' +
      '--loss exact also from the estimated couplings, the value reported when the recording is ≥ 5·N τ')
    .addOption(
      new Option(
        '--calibration <method>',
        'with --effective-rank: simulation: simulate random-mode networks of the same size, ĝ, D̂ and sampling at ' +
          'ranks around the estimate (18 networks of ≤ 1000 τ; about 3 minutes at N = 1000) and invert their PR ' +
          'curve; the interval includes the network-to-network scatter. none: the N → ∞ theory only',
      ).choices(['simulation', 'none']).default('simulation'),
    )
    .option('--bootstrap-networks <B>', `intervals from a network bootstrap: simulate B (≥ ${MIN_BOOTSTRAP_NETWORKS}; 20 is a good start) networks at the fitted ` +
      'parameters with the recording\'s size (or --network-size N units, the recorded number observed), sampling and length, refit each ' +
      'the same way, and report each estimate\'s standard error as the refits\' sd and its interval as estimate − bias ± t·sd·√(1 + 1/B) ' +
      '(t: Student t with B − 1 degrees of freedom; ± 2.14 sd at B = 20). ' +
      'Includes the scatter from network to network that the sampling-noise interval leaves out (strong coupling, spectral loss: ' +
      '3–5× the standard error at g 1.5 with 100–400 units). With --rank: the networks carry the fitted modes (with --network-size, the unrecorded units\' loadings drawn from the recorded units\'), are refitted ' +
      'at the fitted rank, and the bootstrap also reports how far the refitted mode spans turn (median and 95th percentile of the largest principal angle). ' +
      'With --regions (every region recorded in full): networks of the fitted regions and links, refitted with the same regions, and the same angles per link. ' +
      'With --connectome: networks of the whole connectome; when some of its cells are not recorded, a, g and J0 are also calibrated (the values whose ' +
      'simulated networks give on average the data\'s estimates, reported instead of the fit\'s own, which the unrecorded cells bias upwards): ' +
      'up to 9 rounds of B networks. ' +
      'Takes B × (a simulation and a fit)', parseNumber('--bootstrap-networks', { integer: true, min: MIN_BOOTSTRAP_NETWORKS }))
    .option('--out <file>', 'write the fitted-model JSON here (atomically)')
    .option('--json', 'print the fit JSON on stdout instead of the summary')
    .option('--quiet', 'no progress bar')
    .option('--seed <n>', 'seed of --effective-rank\'s resampling and calibration networks and of --bootstrap-networks (default 1); recorded in the fit file ' +
      '(the fit itself is deterministic)', parseNumber('--seed', { integer: true, nonNegative: true }))
    .addHelpText(
      'after',
      `
Examples (run in order; a JSON file argument can also name a model shipped in models/, see connfit info):
  100 of 1000 units recorded:
  $ connfit simulate --N 1000 --g 1.5 --D 0.1 --dt 0.05 --steps 20000 --observe 100 --seed 1 --out rec.csv
  $ connfit fit rec.csv --dt 0.05 --phi tanh --out fit.json
  $ connfit fit rec.csv --dt 0.05 --loss exact --json > exact.json
  $ connfit fit rec.csv --dt 0.05 --network-size 1000 --bootstrap-networks 20 --out fit-boot.json
  With white measurement noise of sd 0.3 on the recorded x:
  $ connfit simulate --N 200 --g 1.5 --D 0.1 --dt 0.05 --steps 20000 --obs-noise 0.3 --seed 1 --out noisy.csv
  $ connfit fit noisy.csv --obs-noise --out noisy-fit.json
  Calcium imaging: x seen through an indicator of decay 0.5 τ, with noise of sd 0.1 on the trace:
  $ connfit simulate --N 200 --g 1.5 --D 0.1 --dt 0.05 --steps 20000 --indicator-decay 0.5 --obs-noise 0.1 --seed 1 --out calcium.csv
  $ connfit fit calcium.csv --indicator-decay 0.5 --out calcium-fit.json
  Random + rank-2 network of 200 units, all recorded, then 100 of them:
  $ connfit simulate --N 200 --g 0.3 --D 0.02 --dt 0.05 --steps 20000 --seed 1 --out lowrank.csv \\
      --rank 2 --overlap "[[1,0,0.8,0],[0,1,0,0.8],[0.8,0,4.64,0],[0,0.8,0,4.64]]"
  $ connfit fit lowrank.csv --rank auto --max-rank 3 --currents --out lowrank-fit.json
  $ connfit fit lowrank.csv --rank 2 --bootstrap-networks 10 --out lowrank-boot.json   # how far the modes may be off
  $ connfit simulate --N 200 --g 0.3 --D 0.02 --dt 0.05 --steps 20000 --seed 1 --out noisy-lowrank.csv --obs-noise 0.1 \\
      --rank 2 --overlap "[[1,0,0.8,0],[0,1,0,0.8],[0.8,0,4.64,0],[0,0.8,0,4.64]]"
  $ connfit fit noisy-lowrank.csv --rank auto --obs-noise --out noisy-lowrank-fit.json   # modes under measurement noise
  $ connfit simulate --N 200 --g 0.3 --D 0.02 --dt 0.05 --steps 20000 --seed 1 --out subset.csv --observe 100 \\
      --rank 2 --overlap "[[1,0,0.8,0],[0,1,0,0.8],[0.8,0,4.64,0],[0,0.8,0,4.64]]"
  $ connfit fit subset.csv --rank 2 --network-size 200 --out subset-fit.json
  Two regions with rank-one links:
  $ connfit simulate --regions two-regions --D 0.02 --dt 0.05 --steps 20000 --seed 1 --out regions.csv
  $ connfit fit regions.csv --regions two-regions --currents --out regions-fit.json
  $ connfit fit regions.csv --regions two-regions --bootstrap-networks 10 --out regions-boot.json   # how far the links may be off
  A connectome at an unknown scale (simulated here from the C. elegans neurons' chemical synapses):
  $ connfit connectome "$CONNFIT_DATA"/celegans-cook2019-herm/herm_full_edgelist.csv --cells '^[A-Z]' --out worm.json
  $ connfit simulate --coupling worm.json --coupling-scale 0.02 --bulk-g 0.5 --D 0.05 --dt 0.05 --steps 20000 --burn-in 500 \
      --seed 1 --out worm-rec.csv
  $ connfit fit worm-rec.csv --connectome worm.json --out worm-fit.json
  $ connfit simulate --coupling worm.json --coupling-scale 0.02 --bulk-g 0.5 --D 0.05 --dt 0.05 --steps 20000 --burn-in 500 \
      --seed 1 --observe 150 --out worm-half.csv
  $ connfit fit worm-half.csv --connectome worm.json --bootstrap-networks 10 --out worm-half-fit.json   # calibrated: half the cells recorded
  Real data (unit-by-time ΔF/F, no header), with $CONNFIT_DATA the data directory that connfit info prints:
  $ connfit fit "$CONNFIT_DATA"/zebrafish-tectum-triplett2018-f1/zf_20151104-f1_activity_matrix.csv \\
      --layout unit-by-time --no-header --dt 0.4545 --fit-tau --fit-scale

Parameters: g (coupling strength), D (noise intensity, sqrt(2D)ξ convention, model time units), J0 (mean
coupling), and when fitted tau, scale, offset, s. Each is reported as {value, se, ci95}. A g (or g² block)
whose loss is lowest at 0 is reported as 0 with a one-sided upper bound; one that is weakly determined
(log-scale SE above 0.5) gets its interval from the profile likelihood, from 0 where 0 fits. The spectral
loss's interval covers the recording's sampling noise only: at ĝ ≥ 0.7 finite networks scatter 2–5× more
(a note says so). --bootstrap-networks B measures that scatter on B networks simulated like the data's and
widens the intervals by it; --loss exact fits the realised couplings of a whole-network recording.

Low-rank fits of partial recordings (the recorded units are n of the network's N): --rank R --network-size N.
The loss form follows the bulk strength unless --loss says which: the exact form (fits the recorded units'
couplings and scales ĝ by √(N/n)) when its ĝ is at most 0.6, the spectral form above. The exact form does
not model the unrecorded units' input, which a strong bulk turns into apparent coupling (ĝ +4 % at g 0.8,
+13 % at g 1.5), but it brings m closer (it models the recorded units' bulk input, which carries the
latent currents too). Without --network-size the modes describe the recorded units as an effective network
of their own: the readout n then also carries the part of the unrecorded units' readout that the recorded
units predict, which lies in span(m). --network-size removes it assuming the unrecorded units are like the
recorded ones; the spectral form also takes g and D from the inputs orthogonal to span(m) (the unrecorded
units' private readout lies along m). What remains is noise (about twice the variance of a full recording
at n = N/2) and readout that follows the units' unequal private variance. On issue 3's teacher (g 0.3, 100
of 200 units, 24 realisations; node dist/bench/lowrank-partial.js): n-span within 30° on 21 (exact) and 19
(spectral), m-span within 20° on 21 and 13, g within 10 % on 24 and 21. At g 0.45 and 0.6 (6 realisations
each) the exact form's ĝ is off by 1.5 % and 2.4 % on average and its m-span 3–6° closer; at g 0.8 its ĝ
is +4.3 % (spectral 1.6 %) and its m-span 10° closer.

Regions file (--regions; the format of connfit simulate --regions, keys other than these are errors):
  {
    "regions": [ { "name": "A", "size": 200 }, { "name": "B", "units": ["u200", "u201", …], "size"?: 300 } ],
    "links": [ { "from": "B", "to": "A", "rank"?: 1 }, … ]
  }
  A region is its "units" (recorded unit names) or, without them, the next "size" units of the recording;
  sizes alone must cover every unit. With both, "size" is the whole region of which "units" were recorded
  (ĝ is scaled for the unrecorded share). Without "links": the links whose readout T_αβ· is not zero when
  the file has a geometry "T" (the links connfit simulate builds from it), else every pair of different
  regions.`,
    )
    .action(
      action(async (file: string, opts: FitCliOptions, cmd: Command) => {
        if (opts.out !== undefined) checkOutputPath(opts.out, '--out', [file, opts.regions, opts.populations]);
        const rank = opts.rank === undefined ? undefined : parseRank(opts.rank);
        // Options that only act together with another: refuse them rather than ignore them silently.
        if (rank === undefined && opts.regions === undefined) {
          refuseGivenOptions(cmd, [['--currents', 'currents']], 'applies with --rank R or --regions (the latent currents are those of the modes or links); add one, or drop it');
        }
        if (rank !== 'auto') refuseGivenOptions(cmd, [['--max-rank', 'maxRank'], ['--folds', 'folds']], 'applies with --rank auto (it sets how the rank is chosen); use --rank auto, or drop it');
        if (opts.connectome === undefined) refuseGivenOptions(cmd, [['--synapses', 'synapses']], 'applies with --connectome (it chooses the synapse types of an edge list); add --connectome <file>, or drop it');
        else {
          for (const [flag, on] of [['--rank', rank !== undefined], ['--regions', opts.regions !== undefined], ['--populations', opts.populations !== undefined], ['--effective-rank', opts.effectiveRank], ['--network-size', opts.networkSize !== undefined], ['--loss whittle', opts.loss === 'whittle']] as const) {
            if (on) throw new InputError(`cannot be combined with ${flag} (a connectome fit has the given matrix as its structure, one population and the exact loss); drop ${flag}`, { field: '--connectome' });
          }
        }
        if (opts.indicatorDecay !== undefined) {
          for (const [flag, on] of [['--rank', rank !== undefined], ['--regions', opts.regions !== undefined], ['--connectome', opts.connectome !== undefined], ['--effective-rank', opts.effectiveRank], ['--bootstrap-networks', opts.bootstrapNetworks !== undefined], ['--loss exact', opts.loss === 'exact']] as const) {
            if (on) throw new InputError(`cannot be combined with ${flag} yet (the indicator is undone for the spectral fit of the random bulk, g, D and J0, with or without populations); drop ${flag}, or drop --indicator-decay`, { field: '--indicator-decay' });
          }
        }
        if (opts.obsNoise) {
          for (const [flag, on] of [['--regions', opts.regions !== undefined], ['--connectome', opts.connectome !== undefined], ['--effective-rank', opts.effectiveRank]] as const) {
            if (on) throw new InputError(`cannot be combined with ${flag} yet (observation noise is a term of the spectral fits, with or without --rank); drop ${flag}, or drop --obs-noise`, { field: '--obs-noise' });
          }
        }
        if (opts.networkSize !== undefined && !opts.effectiveRank && rank === undefined && opts.bootstrapNetworks === undefined) {
          throw new InputError('--network-size applies with --rank, --effective-rank or --bootstrap-networks');
        }
        if (opts.effectiveRank && rank !== undefined) {
          throw new InputError('cannot be combined with --rank (the effective rank is estimated for a fit without low-rank modes); drop one of them', { field: '--effective-rank' });
        }
        if (opts.fitTau) refuseGivenOptions(cmd, [['--tau', 'tau']], 'sets a fixed τ, but --fit-tau estimates it (the value would not be used as such); drop --tau, or drop --fit-tau to keep τ fixed');
        if (opts.fitLeak) refuseGivenOptions(cmd, [['--leak', 'leak']], 'sets a fixed leak shape s, but --fit-leak estimates it (the value would not be used as such); drop --leak, or drop --fit-leak to keep s fixed');
        // --calibration has a default: only a value given on the command line is refused
        if (!opts.effectiveRank) refuseGivenOptions(cmd, [['--calibration', 'calibration']], 'applies with --effective-rank (it sets how the effective rank is calibrated); add --effective-rank, or drop it');
        else if (opts.calibration === 'none' && rank === undefined && opts.bootstrapNetworks === undefined) {
          refuseGivenOptions(cmd, [['--network-size', 'networkSize']], 'with --effective-rank sets the size of the simulated calibration networks, which --calibration none skips; drop it, or use --calibration simulation');
        }
        const backend = await startBackend(cmd);
        const rec = await readRecording(file, {
          layout: opts.layout,
          header: opts.header,
          dt: opts.dt,
          units: opts.units,
          minSamples: opts.loss === 'exact' ? 16 : 64,
        });
        if (opts.networkSize !== undefined && opts.networkSize < rec.nUnits && rank === undefined) {
          throw new InputError(`--network-size ${opts.networkSize} is smaller than the ${rec.nUnits} recorded units`, { field: '--network-size' });
        }
        const bar = progressBar('fitting', opts.quiet || opts.json);
        if (opts.regions !== undefined) {
          for (const [flag, on] of [['--rank', opts.rank !== undefined], ['--network-size', opts.networkSize !== undefined], ['--populations', opts.populations], ['--fit-tau', opts.fitTau], ['--fit-scale', opts.fitScale], ['--fit-leak', opts.fitLeak], ['--leak', opts.leak !== undefined], ['--loss whittle', opts.loss === 'whittle'], ['--effective-rank', opts.effectiveRank]] as const) {
            if (on) throw new InputError(`cannot be combined with ${flag} (a multiregion fit has its own structure, a fixed τ, no leak and the exact loss); drop ${flag}`, { field: '--regions' });
          }
          const file = readRegionsFile(opts.regions);
          // the units in some region: the fit and its report are of these
          const { recording, regions, links } = regionsForFit(file, rec, opts.regions);
          if (opts.bootstrapNetworks !== undefined) checkMultiregionBootstrap({ regions, regionsFile: opts.regions }, { networks: opts.bootstrapNetworks });
          const mopts = { phi: opts.phi, dt: opts.dt ?? rec.dt, tau: opts.tau, discretisation: opts.discretisation, regions, links, currents: opts.currents, regionsFile: opts.regions, onProgress: (_s: string, d: number, t: number) => bar.update(d, t) };
          const result = await fitMultiregion(recording, mopts);
          bar.stop();
          if (recording.nUnits < rec.nUnits) result.notes.push(`${recording.nUnits} of the ${rec.nUnits} recorded units fitted: those the regions of ${opts.regions} list`);
          const fitted = multiregionFitResult(result, recording, mopts);
          await report(buildFitFile(await bootstrapped(fitted, (boot) => multiregionNetworkBootstrap(recording, fitted, mopts, boot)), recording, provenance()));
          return;
        }
        if (rank !== undefined) {
          for (const [flag, on] of [['--fit-tau', opts.fitTau], ['--fit-scale', opts.fitScale], ['--fit-leak', opts.fitLeak], ['--populations', opts.populations]] as const) {
            if (on) throw new InputError(`--rank cannot be combined with ${flag} yet (low-rank fits have a fixed τ and one population)`, { field: '--rank' });
          }
          const lowRankOpts: LowRankFitOptions = {
            phi: opts.phi, dt: opts.dt ?? rec.dt, tau: opts.tau, leak: opts.leak, discretisation: opts.discretisation, fitJ0: opts.fitJ0,
            rank, maxRank: opts.maxRank, folds: opts.folds, currents: opts.currents, loss: opts.loss, networkSize: opts.networkSize, obsNoise: opts.obsNoise,
            onProgress: (_stage, done, total) => bar.update(done, total),
          };
          const result = await fitLowRank(rec, lowRankOpts);
          bar.stop();
          await report(buildFitFile(await bootstrapped(result, (boot) => lowRankNetworkBootstrap(rec, result, lowRankOpts, boot)), rec, provenance()));
          return;
        }
        if (opts.connectome !== undefined) {
          const c = readConnectome(opts.connectome, { synapses: opts.synapses });
          const cOpts = connectomeFitOptions();
          const result = await fitWithConnectome(rec, c, cOpts, opts.connectome);
          bar.stop();
          const booted = await bootstrapped(result, (boot) => connectomeNetworkBootstrap(rec, c, result, cOpts, boot), withConnectomeBootstrap);
          await report(buildFitFile(booted, rec, provenance()));
          return;
        }
        const fitOpts: FitOptions = {
          phi: opts.phi,
          dt: opts.dt ?? rec.dt,
          loss: opts.loss,
          discretisation: opts.discretisation,
          fitTau: opts.fitTau,
          tau: opts.tau,
          fitScale: opts.fitScale,
          fitJ0: opts.fitJ0,
          fitLeak: opts.fitLeak,
          leak: opts.leak,
          obsNoise: opts.obsNoise,
          ...(opts.indicatorDecay !== undefined ? { indicatorDecay: opts.indicatorDecay } : {}),
          populations: opts.populations ? readPopulationAssignment(opts.populations, rec.unitNames) : undefined,
          onProgress: (_stage, done, total) => bar.update(done, total),
        };
        const plain = await fitRecording(rec, fitOpts);
        bar.stop();
        const result = await bootstrapped(plain, (boot) => networkBootstrap(rec, plain, fitOpts, { ...boot, networkSize: opts.networkSize }));
        if (opts.effectiveRank) {
          if (result.natural.g2.length !== 1) throw new InputError('--effective-rank needs a one-population fit', { field: '--effective-rank' });
          await prepareEigensolver();
          const calBar = progressBar('calibrating the effective rank', opts.quiet || opts.json || opts.calibration === 'none');
          const effectiveRankSeed = opts.seed ?? 1; // effectiveRankOfFit's default, recorded as used
          const est = await effectiveRankOfFit(rec, result, { phi: opts.phi, seed: effectiveRankSeed, calibration: opts.calibration, networkSize: opts.networkSize, onProgress: (d, t) => calBar.update(d, t) });
          calBar.stop();
          const empty = rec.unitNames.map(() => [] as number[]);
          const structure = {
            rank: 0, m: empty, n: empty, strength: [], overlaps: [], normalisation: rec.nUnits,
            identifiability: 'effective rank from the participation ratio of φ(x) given ĝ_eff (THEORY §5.3), calibrated on simulated networks of the same size unless --calibration none; +∞ (null) when the PR is at or above the i.i.d. value (simulated, or the N → ∞ theory). With the exact loss (whole network recorded) also from the least-squares couplings (fromCouplings: PR_S corrected for estimation noise and finite-T bias), which give value/ci95 (source: couplings) when the recording is ≥ 5·N τ long',
            effectiveRank: est,
          };
          await report(buildFitFile({ ...result, structure }, rec, provenance(effectiveRankSeed)));
          return;
        }
        await report(buildFitFile(result, rec, provenance()));

        function connectomeFitOptions(): FitOptions {
          return {
            phi: opts.phi, dt: opts.dt ?? rec.dt, loss: opts.loss, discretisation: opts.discretisation, fitTau: opts.fitTau, tau: opts.tau,
            fitScale: opts.fitScale, fitJ0: opts.fitJ0, fitLeak: opts.fitLeak, leak: opts.leak,
            onProgress: (_stage, done, total) => bar.update(done, total),
          };
        }

        /** The fit's provenance; the seed recorded is the one used (the bootstrap's default 1 when it ran). */
        function provenance(seed = opts.bootstrapNetworks !== undefined ? (opts.seed ?? 1) : opts.seed) {
          return { command: ['connfit', ...process.argv.slice(2)].join(' '), seed, backend };
        }

        /** With --bootstrap-networks: run `bootstrap` under a progress bar and put its intervals into the fit (with `merge`). */
        async function bootstrapped<F extends FitResult, Boot extends NetworkBootstrap>(
          fit: F,
          bootstrap: (boot: NetworkBootstrapOptions) => Promise<Boot>,
          merge: (fit: F, boot: Boot) => F = withNetworkBootstrap,
        ): Promise<F> {
          if (opts.bootstrapNetworks === undefined) return fit;
          const bootBar = progressBar(`network bootstrap (${opts.bootstrapNetworks} networks)`, opts.quiet || opts.json);
          const boot = await bootstrap({ networks: opts.bootstrapNetworks, seed: opts.seed ?? 1, onProgress: (d, t) => bootBar.update(d, t) });
          bootBar.stop();
          return merge(fit, boot);
        }

        async function report(fit: FitFile): Promise<void> {
          // No estimate to give: refuse rather than write nulls. A fit that stopped short is written (marked
          // NOT converged; e.g. noise-free data leave D at its floor with no curvature) with a warning.
          const nonFinite = Object.entries(fit.params).find(([, e]) => e.value === null || !Number.isFinite(e.value));
          if (nonFinite) {
            throw new ConnfitError(
              `the fit failed (${nonFinite[0]} is not finite), so nothing was written${opts.out ? ` to ${opts.out}` : ''}. ` +
                'Check --dt and --leak, the scale of the data (values far from order one: rescale or --fit-scale), and that --rank is well below the number of units',
            );
          }
          if (!fit.convergence.converged) process.stderr.write(`connfit: warning: the fit did not converge (${fit.convergence.reason}); its estimates may not be usable\n`);
          if (opts.out) await writeFitFile(opts.out, fit);
          if (opts.json) {
            process.stdout.write(fitFileJson(fit));
            return;
          }
          const lines = [
            `connfit fit: ${fit.data.units} units × ${fit.data.samples} samples (dt ${fit.data.dt}), loss ${fit.loss.form}, φ = ${fit.model.phi}`,
            '',
            estimateTable(fit.params),
            '',
            `loss ${fit.loss.value?.toFixed(2)} nats; ${fit.convergence.converged ? 'converged' : 'NOT converged'}: ${fit.convergence.reason}`,
            ...structureLines(fit),
            ...fit.notes.map((n) => `note: ${n}`),
            ...(rec.droppedConstantUnits?.length ? [`left out constant units: ${rec.droppedConstantUnits.join(', ')}`] : []),
            ...(opts.out ? [`fit written to ${opts.out}`] : []),
          ];
          process.stdout.write(lines.join('\n') + '\n');
        }
      }),
    );
}

/** Summary lines of a low-rank structure: rank choice, mode strengths and overlaps. */
function structureLines(fit: FitFile): string[] {
  const s = fit.structure;
  if (!s) return [];
  const f = (v: number | null) => (v === null ? '-' : Number(v.toPrecision(4)).toString());
  // "a + b/x" with b's sign as the operator: "20.67 − 6.174/x", not "20.67 + -6.174/x"
  const signed = (v: number) => `${v < 0 ? '−' : '+'} ${f(Math.abs(v))}`;
  if (s.regions) {
    const v = (e: { value: number | null; se: number | null }) => `${f(e.value)} ± ${f(e.se)}`;
    return [
      '',
      'regions (THEORY §1.3d):',
      ...s.regions.map((r) => `  ${r.name.padEnd(8)} ${String(r.units).padStart(5)} units  g ${v(r.g)}  D ${v(r.D)}  ${r.routing === null ? '' : r.routing ? 'routing' : 'non-routing'}`),
      'links (source → target: singular value of m nᵀ/N_source):',
      ...(s.links ?? []).map((l) => `  ${l.source} → ${l.target}: ${l.strength.map((x) => f(x)).join(', ')}`),
      ...(s.leadingEigenvalue ? [`leading eigenvalue of T̂ (THEORY §6.4): ${f(s.leadingEigenvalue.re)} ${s.leadingEigenvalue.im >= 0 ? '+' : '−'} ${f(Math.abs(s.leadingEigenvalue.im))}i`] : []),
    ];
  }
  if (s.connectome) {
    const c = s.connectome;
    const cal = fit.bootstrap?.calibration;
    const v = (e: { value: number | null; se: number | null; ci95: [number | null, number | null] }) => `${f(e.value)} ± ${f(e.se)}  95% interval [${f(e.ci95[0])}, ${f(e.ci95[1])}]`;
    return [
      '',
      `connectome (J = a·W + J0/N + g·Z/√N): ${c.source.path}${c.source.synapses ? ` (${c.source.synapses} synapses)` : ''}`,
      `  ${c.matched} of ${fit.data.units} recorded units matched to its ${c.cells} cells; ‖W‖_F/√n among them ${f(c.norm)}`,
      `  scale a  ${v(c.scale)}`,
      `  gain gW  ${v(c.gW)}`,
      `  Wald test of a = 0: z ${f(c.wald.z)}, two-sided p ${c.wald.pValue === null ? '-' : c.wald.pValue < 1e-300 ? '< 1e-300' : c.wald.pValue.toPrecision(2)}`,
      ...(cal
        ? [
            `  calibrated by simulation (${cal.evaluations} rounds of ${fit.bootstrap!.networks} networks${cal.converged ? '' : ', NOT converged'}): ` +
              cal.parameters.map((k) => `${k} ${f(cal.calibrated[k])} (the fit's own ${f(cal.raw[k])})`).join(', '),
          ]
        : []),
    ];
  }
  if (s.effectiveRank) {
    const e = s.effectiveRank;
    const v = (x: number | null) => (x === null || !Number.isFinite(x) ? '∞' : f(x));
    const c = e.calibration;
    const interval = (x: { value: number | null; ci95: [number | null, number | null] }) => `${v(x.value)}  95% interval [${v(x.ci95[0])}, ${v(x.ci95[1])}]`;
    const calibrated = c?.method === 'simulation' ? `  (calibrated on ${c.ranks.length} simulated networks of N = ${c.networkSize})` : c?.method === 'none' ? '  (uncalibrated, N → ∞ theory)' : '';
    const fromCouplings = e.source === 'couplings';
    return [
      '',
      `effective rank α·PR_D (THEORY §5.3): ${interval(e)}` + (fromCouplings ? '  (from the couplings, §2.8)' : calibrated),
      ...(fromCouplings && e.fromActivity ? [`  from the activity's PR: ${interval(e.fromActivity)}${calibrated}`] : []),
      `  PR_φ data ${f(e.prData)} (T→∞ ${f(e.prDataCorrected)}), i.i.d. theory at ĝ ${f(e.prIid)}, K ${f(e.K)}`,
      ...(c?.method === 'simulation'
        ? [
            `  finite-N curve 1/PR = ${f(c.curve.c0)} ${signed(c.curve.c1)}/(α·PR_D) (theory ${f(1 / e.prIid)} ${signed(1 / e.K)}/(α·PR_D)); network scatter of PR ×/÷ ${f(Math.exp(c.networkSd))}`,
            `  uncalibrated (N → ∞ theory): ${v(c.uncalibrated.value)} [${v(c.uncalibrated.ci95[0])}, ${v(c.uncalibrated.ci95[1])}]`,
          ]
        : []),
      ...(e.notes ?? []).map((n) => `  note: ${n}`),
      ...(e.fromCouplings
        ? [
            (fromCouplings ? '  couplings:' : `  from the couplings (§2.8): ${v(e.fromCouplings.value)}` +
              (e.fromCouplings.ci95 ? `  95% interval [${v(e.fromCouplings.ci95[0])}, ${v(e.fromCouplings.ci95[1])}]` : '')) +
              `  PR_S ${f(e.fromCouplings.prS)} corrected for noise and finite T; noise only ${f(e.fromCouplings.prSNoiseCorrected ?? e.fromCouplings.prS)}, uncorrected ${f(e.fromCouplings.prSRaw)}`,
          ]
        : []),
    ];
  }
  const lines = [`low-rank modes: rank ${s.rank}${s.selection ? ` (held-out rate function over ${s.selection.folds} time blocks; BIC: ${s.selection.chosenByBic})` : ''}`];
  if (s.selection) {
    // Differences between ranks are small per sample but large in total: show them against rank 0.
    const sel = s.selection;
    const h0 = sel.heldOut[0] ?? 0;
    lines.push('  rank  held-out nats/sample − rank 0   ± se (folds)   BIC − rank 0');
    sel.ranks.forEach((r, k) => {
      const dh = sel.heldOut[k] === null ? null : sel.heldOut[k]! - h0;
      const db = sel.bic[k] === null || sel.bic[0] === null ? null : sel.bic[k]! - sel.bic[0]!;
      lines.push(`  ${String(r).padStart(4)}  ${f(dh).padStart(28)}  ${f(sel.heldOutSe[k]).padStart(13)}  ${f(db).padStart(13)}`);
    });
  }
  if (s.networkSize !== undefined) lines.push(`  network size N = ${s.networkSize} (${fit.data.units} recorded): loadings with J = m nᵀ/N${s.partial ? ', strengths and overlaps of the whole network' : ''}`);
  if (s.rank > 0) {
    lines.push(`  strengths (singular values of m nᵀ/N): ${s.strength.map(f).join(', ')}`);
    lines.push(`  overlaps nᵀm/N: ${JSON.stringify(s.overlaps.map((row) => row.map((v) => Number(v.toPrecision(3)))))}`);
    lines.push('  canonical loadings m, n (units × rank) are in the fit file (structure.m, structure.n)');
  }
  return ['', ...lines];
}
