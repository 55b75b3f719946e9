/**
 * `connfit simulate`: run the stochastic rate network of THEORY §1.1 (couplings §1.3a, populations
 * §2.5) and write the recorded activity (CSV/TSV, .npy or JSON), optionally with the network
 * (spec, seed, realised coupling statistics and, for N ≤ 2000, J itself).
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { totalmem } from 'node:os';
import { ConnfitError, InputError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { couplingFileChunks, readCouplingFile } from '../../src/connectome/couplingFile.js';
import { PHI_NAMES, type PhiName } from '../../src/phi.js';
import { chooseRecordingFormat, RECORDING_FORMATS, writeRecording, type RecordingFileFormat } from '../../src/recording/write.js';
import {
  couplingNetwork,
  iidNetwork,
  networkFromPopulations,
  networkSize,
  readPopulationsFile,
  type NetworkSpec,
} from '../../src/simulate/network.js';
import { simulate, type SimulationResult } from '../../src/simulate/simulate.js';
import { drawModes } from '../../src/structure/modes.js';
import { randomModeSpectrum } from '../../src/simulate/randomMode.js';
import { readRegionsFile, regionsForSimulation, type RegionLink } from '../../src/structure/regionsFile.js';
import { multiregionNetwork, sampleLoadings, type MultiregionLoadings } from '../../src/theory/multiregion.js';
import { readLoadingCovariance, readModesFile } from '../../src/structure/modesFile.js';
import { normalGenerator } from '../../src/random.js';
import { VERSION } from '../../src/version.js';
import { action, checkOutputPath, parseChoice, parseNumber, printJson, progressBar, refuseGivenOptions, startBackend } from '../common.js';


/** Largest network whose coupling matrix goes into --save-network (N² numbers as JSON). */
export const MAX_SAVED_COUPLINGS_N = 2000;

interface SimulateCliOptions {
  N?: number;
  g?: number;
  D: number;
  J0?: number;
  phi: PhiName;
  dt: number;
  steps: number;
  burnIn: number;
  observe?: number;
  seed?: number;
  obsNoise?: number;
  indicatorDecay?: number;
  out: string;
  format?: RecordingFileFormat;
  populations?: string;
  tau: number;
  leak: number;
  saveNetwork?: string;
  modes?: string;
  randomModes?: number;
  regions?: string;
  coupling?: string;
  couplingScale?: number;
  bulkG?: number;
  spectrum?: 'exp' | 'step';
  rank?: number;
  overlap?: string;
  quiet?: boolean;
  json?: boolean;
}

/** --N may be left out with a file that sets the sizes; given, it must equal their sum. */
function checkSizeOption(N: number | undefined, spec: NetworkSpec, file: string): void {
  const total = networkSize(spec);
  if (N === undefined || N === total) return;
  const parts = spec.names.map((n, a) => `${n} ${spec.sizes[a]}`).join(' + ');
  throw new InputError(`--N ${N} does not match ${file} (${parts} = ${total} units); omit --N or pass --N ${total}`);
}

/** The built links with their loadings, for --save-network (the unbuilt ones were drawn but are not in J). */
function savedLinks(L: MultiregionLoadings, links: RegionLink[], names: string[]): { from: string; to: string; m: number[]; n: number[] }[] {
  return links.map(({ target, source }) => ({ from: names[source], to: names[target], m: Array.from(L.m[target][source]), n: Array.from(L.n[target][source]) }));
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(5)));
}

function fmtMatrix(m: number[][]): string {
  return '[' + m.map((row) => '[' + row.map(fmt).join(', ') + ']').join(', ') + ']';
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .summary('simulate a random rate network (one or several populations) and write its activity')
    .description(
      'Simulate the stochastic rate network (THEORY §1.1) by Euler–Maruyama and\n' +
        'write the recorded units:\n' +
        '  τ dx_i/dt = −U\'(x_i) + Σ_j J_ij φ(x_j) + sqrt(2Dτ) ξ_i(t)\n' +
        '  U(x) = x²/2 − s·log cosh x                          (s = --leak)\n' +
        '  J_ij = J0/N + (g/√N) z_ij                           (one population)\n' +
        '  J_ij = J0_ab/N_b + sqrt(g²_ab/N_b) z_ij, i∈a, j∈b   (--populations)\n' +
        '  J = a given matrix, e.g. a connectome               (--coupling)',
    )
    .option('--N <N>', 'number of units (with --populations or --regions: may be omitted, else must equal the sum of the sizes)', parseNumber('--N', { positive: true, integer: true }))
    .option('--g <g>', 'coupling strength g: Var(J_ij) = g²/N (one population; required without --populations)', parseNumber('--g', { nonNegative: true }))
    .option('--D <D>', 'noise intensity D (noise sqrt(2D)ξ in units of τ); with --populations the default for populations without "D"', parseNumber('--D', { nonNegative: true }), 0)
    .option('--J0 <J0>', 'mean coupling × N: mean(J_ij) = J0/N (one population; default 0)', parseNumber('--J0'))
    .option('--phi <name>', `nonlinearity φ: ${PHI_NAMES.join(' or ')} (erf means erf(√π x/2))`, parseChoice('--phi', PHI_NAMES), 'tanh' as PhiName)
    .option('--dt <dt>', '(required) Euler step = sampling interval, in the same time unit as --tau', parseNumber('--dt', { positive: true }))
    .option('--steps <steps>', '(required) recorded steps after burn-in; the recording has steps+1 samples', parseNumber('--steps', { positive: true, integer: true }))
    .option('--burn-in <steps>', 'steps simulated and discarded before recording', parseNumber('--burn-in', { nonNegative: true, integer: true }), 0)
    .option('--observe <n>', 'record n units spread evenly over the network (default: all)', parseNumber('--observe', { positive: true, integer: true }))
    .option('--seed <seed>', 'random seed in [0, 2^32) for couplings, initial state and noise (default: random, reported)', parseNumber('--seed', { nonNegative: true, integer: true }))
    .requiredOption('--out <file>', 'recording to write: .csv, .tsv, .npy or .json')
    .option('--format <format>', `output format: ${RECORDING_FORMATS.join(', ')} (default: from the --out extension)`, parseChoice('--format', RECORDING_FORMATS))
    .option('--populations <file.json>', 'population structure: sizes, g² blocks, optional J0 blocks and per-population D (see below)')
    .option('--tau <tau>', 'time constant τ of the units', parseNumber('--tau', { positive: true }), 1)
    .option('--leak <s>', 'leak shape s of U(x) = x²/2 − s·log cosh x (double well for s > 1)', parseNumber('--leak'), 0)
    .option('--regions <file.json>', 'multiregion network (THEORY §1.3d): disorder g inside each region and rank-one links between\n' +
      '(and within) regions with loadings drawn by the §1.3d recipe from the geometry T, U (see below)')
    .option('--coupling <file.json>', 'a given coupling matrix (a connectome: connfit connectome --out, or --save-network) instead of random couplings;\n' +
      'with --g it is scaled to g_eff = ‖J‖_F/√N = g, with --coupling-scale a multiplied by a, else used as it is')
    .option('--coupling-scale <a>', 'with --coupling: multiply the given matrix by a (the scale connfit fit --connectome estimates)', parseNumber('--coupling-scale'))
    .option('--bulk-g <g>', 'with --coupling: add a random bulk g·Z/√N (and --J0: a mean J0/N) to the given matrix, J = a·W + J0/N + g·Z/√N', parseNumber('--bulk-g', { nonNegative: true }))
    .option('--random-modes <r>', 'random-mode couplings J = Σ_a D_a l_a r_aᵀ (THEORY §1.3c) with effective rank α·PR_D = r and g_eff = --g', parseNumber('--random-modes', { positive: true }))
    .option('--spectrum <family>', 'with --random-modes: exp (D_a ∝ e^{−βa/M}, flat above r = 1) or step (r ≤ 1)', parseChoice('--spectrum', ['exp', 'step'] as const), 'exp' as const)
    .option('--modes <file.json>', 'add low-rank modes Σ_r m_r n_rᵀ/N with given loadings: {"m": [[N numbers], …], "n": [[N numbers], …]}')
    .option('--rank <R>', 'add R low-rank modes with Gaussian loadings drawn with the covariance --overlap', parseNumber('--rank', { positive: true, integer: true }))
    .option('--overlap <matrix>', 'with --rank: 2R×2R covariance of each unit\'s loadings (m_1..m_R, n_1..n_R), JSON file or inline JSON')
    .option('--save-network <file.json>', `also write the network: spec, seed, realised g/J0 and, for N ≤ ${MAX_SAVED_COUPLINGS_N}, the coupling matrix J`)
    .option('--obs-noise <sd>', 'add white observation noise of this sd to the recorded x (measurement noise; fit it with connfit fit --obs-noise)', parseNumber('--obs-noise', { positive: true }))
    .option('--indicator-decay <T>', 'record x through a calcium indicator of this decay time (time unit of --dt; first-order kinetics at the recorded step, unit gain); ' +
      '--obs-noise is then added to the indicator\'s trace. Fit it with connfit fit --indicator-decay T', parseNumber('--indicator-decay', { positive: true }))
    .option('--quiet', 'no progress bar and no summary')
    .option('--json', 'print a JSON summary on stdout')
    .addHelpText(
      'after',
      `
Examples:
  One population of 1000 units, 100 of them recorded, 1000 time units after a burn-in of 50:
  $ connfit simulate --N 1000 --g 1.5 --D 0.1 --dt 0.05 --steps 20000 --burn-in 1000 --observe 100 --seed 1 --out rec.csv

  Random + rank-2 network (THEORY §1.3b), loadings m ~ N(0,1), n = 0.8 m + 2ξ:
  $ connfit simulate --N 200 --g 0.3 --D 0.02 --dt 0.05 --steps 40000 --seed 1 --out lowrank.csv \\
      --rank 2 --overlap "[[1,0,0.8,0],[0,1,0,0.8],[0.8,0,4.64,0],[0,0.8,0,4.64]]" --save-network net.json

  A connectome (C. elegans neurons, chemical synapses, mean removed) scaled to g_eff = 2:
  $ connfit connectome "$CONNFIT_DATA"/celegans-cook2019-herm/herm_full_edgelist.csv --cells '^[A-Z]' --center --out worm.json
  $ connfit simulate --coupling worm.json --g 2 --D 0.01 --dt 0.05 --steps 20000 --burn-in 2000 --seed 1 --out worm-rec.csv
  The same matrix × 0.02 plus a random bulk g 0.5 (J = a·W + g·Z/√N; connfit fit --connectome estimates a and g):
  $ connfit simulate --coupling worm.json --coupling-scale 0.02 --bulk-g 0.5 --D 0.05 --dt 0.05 --steps 20000 --seed 1 --out worm-bulk.csv

  Two populations (E, I) from a file, keeping the network for comparison with a fit:
  $ connfit simulate --populations two-populations --D 0.1 --dt 0.05 --steps 20000 --seed 2 \\
      --out ei.csv --save-network ei-network.json

  NumPy output (float64, shape samples × units; dt is not stored in .npy), double-well leak s = 1.5:
  $ connfit simulate --N 500 --g 0.6 --D 0.1 --leak 1.5 --dt 0.05 --steps 20000 --seed 3 --out rec.npy

Populations file (--populations; keys other than these are errors), rows of g2/J0 = target population a,
columns = source b:
  {
    "description": "optional free text",
    "populations": [ { "name": "E", "size": 500 }, { "name": "I", "size": 500, "D": 0.2 } ],
    "g2": [[4, 0], [0, 6]],      Var(J_ij) = g2[a][b] / N_b   for i in a, j in b
    "J0": [[0, 0], [0, 0]]       optional: mean(J_ij) = J0[a][b] / N_b
  }
  A population without "D" gets --D. Examples shipped in models/, taken by name: two-populations, two-populations-mixed.

Regions file (--regions, THEORY §1.3d; keys other than these are errors):
  {
    "regions": [ { "name": "A", "size": 100, "g": 0.4 }, { "name": "B", "size": 100, "g": 0.6, "D": 0.05 } ],
    "links": [ { "from": "B", "to": "A" }, { "from": "A", "to": "B" } ],
    "T": [[[0, 0], [1.5, 0]], [[0, 1.5], [0, 0]]],   T[α][β][γ] = n^{αβ}·m^{βγ}/N_β (readout in β of β's input from γ)
    "U": R×R×R                                       optional: U[α][β][γ] = m^{αβ}·m^{αγ}/N_α (default δ_βγ)
  }
  Exactly the listed links β → α are built (J^{αβ} = m^{αβ} n^{αβ}ᵀ/N_β); a row T[α][β] that is not zero
  needs its link listed. Without "links", every link whose row T[α][β] is not zero is built: the others
  would carry no current (THEORY §6.1). connfit fit --regions fits the same links from the same file.

Output: CSV/TSV has a header time,u<i>,... (u<i> = index of the unit in the network) and steps+1 rows;
JSON is {"dt", "unitNames", "time", "data": [[...], ...]}. The same --seed gives identical files on the same backend (--backend).
Exit codes: 0 ok, 1 failure (e.g. the simulation diverged), 2 bad options or input files, 130/143 interrupted
(SIGINT/SIGTERM; a file being written is removed, the target left as it was).`,
    )
    .action(
      action(async (opts: SimulateCliOptions, cmd: Command) => {
        // ---- validate everything before starting the backend ----
        if (opts.dt === undefined) throw new InputError('--dt is required (Euler step and sampling interval, e.g. --dt 0.05)');
        if (opts.steps === undefined) throw new InputError('--steps is required (recorded steps after burn-in, e.g. --steps 20000)');
        // --spectrum has a default: only a value given on the command line is refused
        if (opts.coupling === undefined) refuseGivenOptions(cmd, [['--coupling-scale', 'couplingScale'], ['--bulk-g', 'bulkG']], 'applies with --coupling (it scales the given matrix or adds a random bulk to it); add --coupling <file.json>, or drop it');
        if (opts.randomModes === undefined) refuseGivenOptions(cmd, [['--spectrum', 'spectrum']], 'applies with --random-modes only (it shapes the spectrum of the random modes); add --random-modes r, or drop it');
        const { format, warning: formatWarning } = chooseRecordingFormat(opts.out, opts.format);
        const inputs = [opts.populations, opts.regions, opts.modes, opts.overlap, opts.coupling];
        checkOutputPath(opts.out, '--out', inputs);
        if (opts.saveNetwork !== undefined) {
          checkOutputPath(opts.saveNetwork, '--save-network', inputs);
          if (resolve(opts.saveNetwork) === resolve(opts.out)) throw new InputError('--save-network must be a different file from --out');
        }

        let spec: NetworkSpec;
        const warnings: string[] = formatWarning ? [formatWarning] : [];
        let regionLoadings: MultiregionLoadings | undefined;
        let regionLinks: RegionLink[] = [];
        if (opts.regions !== undefined) {
          for (const [flag, on] of [['--populations', opts.populations !== undefined], ['--g', opts.g !== undefined], ['--J0', opts.J0 !== undefined], ['--rank', opts.rank !== undefined], ['--modes', opts.modes !== undefined], ['--random-modes', opts.randomModes !== undefined], ['--coupling', opts.coupling !== undefined]] as const) {
            if (on) throw new InputError(`--regions cannot be combined with ${flag} (the regions file sets the network)`);
          }
          const reg = regionsForSimulation(readRegionsFile(opts.regions), opts.regions);
          const seedR = opts.seed ?? 0;
          try {
            regionLoadings = sampleLoadings(reg.T, reg.U, reg.sizes, normalGenerator((seedR ^ 0x27d4eb2f) >>> 0));
          } catch (e) {
            // U was checked when the file was read: what remains is about T
            throw new InputError((e as Error).message, { file: opts.regions, field: 'T' });
          }
          regionLinks = reg.links;
          spec = multiregionNetwork(regionLoadings, { g: reg.g, D: reg.D.map((d) => d ?? opts.D), phi: opts.phi, tau: opts.tau, s: opts.leak, names: reg.names, links: regionLinks });
        } else if (opts.coupling !== undefined) {
          for (const [flag, on] of [['--populations', opts.populations !== undefined], ['--random-modes', opts.randomModes !== undefined]] as const) {
            if (on) throw new InputError(`--coupling cannot be combined with ${flag} (the file sets the couplings; --g or --coupling-scale scales them, --bulk-g and --J0 add a random part)`);
          }
          if (opts.g !== undefined && opts.couplingScale !== undefined) throw new InputError('give --g (scale the matrix to g_eff = ‖J‖_F/√N) or --coupling-scale (multiply it), not both', { field: '--coupling-scale' });
          const c = readCouplingFile(opts.coupling);
          try {
            spec = couplingNetwork(c, { gEff: opts.g, scale: opts.couplingScale, bulkG: opts.bulkG, J0: opts.J0, D: opts.D, phi: opts.phi, tau: opts.tau, s: opts.leak });
          } catch (e) {
            throw new InputError((e as Error).message, { file: opts.coupling, field: 'J' });
          }
          checkSizeOption(opts.N, spec, opts.coupling);
        } else if (opts.populations !== undefined) {
          if (opts.g !== undefined) throw new InputError(`--g cannot be combined with --populations: the g2 blocks of ${opts.populations} set the coupling strengths`);
          if (opts.J0 !== undefined) throw new InputError(`--J0 cannot be combined with --populations: put the mean couplings in the "J0" blocks of ${opts.populations}`);
          spec = networkFromPopulations(readPopulationsFile(opts.populations), { D: opts.D, phi: opts.phi, tau: opts.tau, s: opts.leak });
        } else {
          if (opts.N === undefined) throw new InputError('--N is required (number of units), or give --populations <file.json>');
          if (opts.g === undefined) throw new InputError('--g is required (coupling strength, e.g. --g 1.5), or give --populations <file.json>');
          spec = iidNetwork({ N: opts.N, g: opts.g, D: opts.D, J0: opts.J0 ?? 0, phi: opts.phi, tau: opts.tau, s: opts.leak });
        }
        const structureFile = opts.regions ?? opts.populations;
        if (structureFile !== undefined) checkSizeOption(opts.N, spec, structureFile);
        const N = networkSize(spec);
        {
          // The couplings (N² float32) and the recording (samples × observed units, float32) must fit in
          // memory; asking for more ends in V8 aborting with a heap dump, so refuse it up front.
          const bytes = 4 * N * N + 4 * (opts.steps + 1) * (opts.observe ?? N);
          if (bytes > totalmem()) {
            const gb = (b: number) => `${(b / 1e9).toPrecision(3)} GB`;
            throw new InputError(`needs about ${gb(bytes)} (couplings ${gb(4 * N * N)}, recording ${gb(bytes - 4 * N * N)}) but the machine has ${gb(totalmem())}; reduce --N, --steps or --observe`, { field: 4 * N * N > bytes / 2 ? '--N' : '--steps' });
          }
        }
        const seed = opts.seed ?? Math.floor(Math.random() * 0x100000000);
        if (seed > 0xffffffff) throw new InputError(`--seed must be below 2^32 = 4294967296, got ${seed}`);
        if (opts.modes !== undefined && opts.rank !== undefined) throw new InputError('give either --modes <file> or --rank R --overlap <matrix>, not both');
        if (opts.rank !== undefined && opts.overlap === undefined) throw new InputError('--rank needs --overlap: the 2R×2R covariance of the loadings (m_1..m_R, n_1..n_R), e.g. --overlap "[[1,0.8],[0.8,4.64]]" for R = 1');
        if (opts.overlap !== undefined && opts.rank === undefined) throw new InputError('--overlap needs --rank R');
        if (opts.modes !== undefined) spec = { ...spec, modes: readModesFile(opts.modes, N) };
        if (opts.randomModes !== undefined) {
          if (opts.populations !== undefined) throw new InputError('--random-modes is for one population; drop --populations');
          if (opts.J0 !== undefined && opts.J0 !== 0) throw new InputError('--random-modes replaces the i.i.d. bulk and its mean; drop --J0');
          try {
            spec = { ...spec, randomModes: randomModeSpectrum(N, opts.randomModes, opts.g!, opts.spectrum ?? 'exp') };
          } catch (e) {
            throw new InputError((e as Error).message, { field: '--random-modes' });
          }
        }
        if (opts.rank !== undefined) {
          const cov = readLoadingCovariance(opts.overlap!, opts.rank);
          // A stream of its own, so that adding modes leaves the bulk couplings and the noise unchanged.
          spec = { ...spec, modes: drawModes(N, cov, normalGenerator((seed ^ 0x5bd1e995) >>> 0)) };
        }
        if (opts.observe !== undefined && opts.observe > N) {
          throw new InputError(`--observe ${opts.observe} is larger than the network (N = ${N}); expected at most ${N} units`);
        }
        const keepCouplings = opts.saveNetwork !== undefined && N <= MAX_SAVED_COUPLINGS_N;
        const quiet = opts.quiet === true;
        for (const w of warnings) process.stderr.write(`connfit: warning: ${w}\n`);

        // ---- simulate and write ----
        await startBackend(cmd);
        const t0 = performance.now();
        const bar = progressBar('simulating', quiet || opts.json === true);
        let result: SimulationResult;
        try {
          result = await simulate(spec, {
            dt: opts.dt,
            steps: opts.steps,
            burnIn: opts.burnIn,
            observe: opts.observe,
            seed,
            keepCouplings,
            ...(opts.obsNoise !== undefined ? { obsNoise: opts.obsNoise } : {}),
            ...(opts.indicatorDecay !== undefined ? { indicatorDecay: opts.indicatorDecay } : {}),
            onProgress: (done, total) => bar.update(done, total),
          });
        } catch (err) {
          // simulate() reports divergence as a plain Error; make it a user-facing failure (exit 1).
          if (err instanceof Error && /diverged/.test(err.message)) {
            const strength = spec.coupling ? `given couplings${opts.g !== undefined ? ` at g_eff ${fmt(opts.g)}` : ''}` : `largest g_ab = ${fmt(Math.sqrt(Math.max(...spec.g2.flat())))}`;
            throw new ConnfitError(`${err.message} (dt/τ = ${opts.dt / spec.tau}, ${strength}); nothing was written`);
          }
          throw err;
        } finally {
          bar.stop();
        }
        const rec = result.recording;
        await writeRecording(opts.out, rec, format);

        if (opts.saveNetwork !== undefined) {
          const meta = {
            connfit: VERSION,
            spec: { phi: spec.phi, sizes: spec.sizes, names: spec.names, g2: spec.g2, J0: spec.J0, D: spec.D, tau: spec.tau, s: spec.s },
            ...(regionLoadings ? { regions: { names: spec.names, sizes: regionLoadings.sizes, links: savedLinks(regionLoadings, regionLinks, spec.names) } } : {}),
            ...(opts.coupling !== undefined ? { coupling: { file: opts.coupling, gEff: opts.g ?? null, scale: opts.couplingScale ?? null, bulkG: opts.bulkG ?? null, ...(spec.coupling?.names ? { names: spec.coupling.names } : {}) } } : {}),
            ...(spec.randomModes ? { randomModes: { M: spec.randomModes.M, D: Array.from(spec.randomModes.D) } } : {}),
            ...(spec.modes ? { modes: { m: spec.modes.m.map((v) => Array.from(v)), n: spec.modes.n.map((v) => Array.from(v)) } } : {}),
            N,
            seed,
            dt: opts.dt,
            steps: opts.steps,
            burnIn: opts.burnIn,
            ...(opts.obsNoise !== undefined ? { obsNoise: opts.obsNoise } : {}),
            ...(opts.indicatorDecay !== undefined ? { indicatorDecay: opts.indicatorDecay } : {}),
            recording: opts.out,
            observedUnits: result.observedUnits,
            realised: result.realised,
            ...(keepCouplings ? {} : { JOmitted: `N = ${N} > ${MAX_SAVED_COUPLINGS_N}: the coupling matrix is not stored` }),
          };
          await writeFileAtomic(opts.saveNetwork, couplingFileChunks(meta, result.couplings, N));
        }
        const seconds = (performance.now() - t0) / 1000;

        if (opts.json) {
          printJson({
            out: opts.out,
            format,
            network: opts.saveNetwork ?? null,
            N,
            populations: spec.names,
            units: rec.nUnits,
            samples: rec.nSamples,
            dt: opts.dt,
            seed,
            ...(opts.obsNoise !== undefined ? { obsNoise: opts.obsNoise } : {}),
            ...(opts.indicatorDecay !== undefined ? { indicatorDecay: opts.indicatorDecay } : {}),
            realised: result.realised,
            ...(regionLoadings ? { links: regionLinks.map((l) => ({ from: spec.names[l.source], to: spec.names[l.target] })) } : {}),
            seconds,
          });
          return;
        }
        if (quiet) return;
        const P = spec.sizes.length;
        const popText = P === 1 ? '1 population' : `${P} populations: ${spec.names.map((n, a) => `${n} ${spec.sizes[a]}`).join(', ')}`;
        const realisedText =
          spec.coupling
            ? `given couplings${opts.g !== undefined ? ` scaled to g_eff ${fmt(opts.g)}` : opts.couplingScale !== undefined ? ` × ${fmt(opts.couplingScale)}` : ''}` +
              (opts.bulkG || opts.J0
                ? ` plus a random part: realised g ${fmt(result.realised.g[0][0])}, J0 ${fmt(result.realised.J0[0][0])} (requested g ${fmt(opts.bulkG ?? 0)}, J0 ${fmt(opts.J0 ?? 0)})`
                : `: g ${fmt(result.realised.g[0][0])} (sqrt(N·Var J_ij)), J0 ${fmt(result.realised.J0[0][0])}`)
            : P === 1
            ? `realised g ${fmt(result.realised.g[0][0])}, J0 ${fmt(result.realised.J0[0][0])} (requested g ${fmt(Math.sqrt(spec.g2[0][0]))}, J0 ${fmt(spec.J0[0][0])})`
            : `realised g_ab ${fmtMatrix(result.realised.g)}, J0_ab ${fmtMatrix(result.realised.J0)} (rows: target ${spec.names.join(', ')})`;
        process.stdout.write(
          `N ${N} (${popText}), φ = ${spec.phi}, seed ${seed}${opts.seed === undefined ? ' (random; pass --seed to repeat)' : ''}\n` +
            `recorded ${rec.nUnits} units × ${rec.nSamples} samples, dt ${opts.dt}, burn-in ${opts.burnIn} steps${opts.obsNoise !== undefined ? `, observation noise sd ${fmt(opts.obsNoise)}` : ''}${opts.indicatorDecay !== undefined ? `, seen through an indicator of decay ${fmt(opts.indicatorDecay)}` : ''}\n` +
            `${realisedText}\n` +
            (regionLoadings ? `links (rank one, THEORY §1.3d): ${regionLinks.map((l) => `${spec.names[l.source]} → ${spec.names[l.target]}`).join(', ') || 'none'}\n` : '') +
            `wrote ${opts.out} (${format})${opts.saveNetwork !== undefined ? ` and ${opts.saveNetwork}${keepCouplings ? '' : ' (without J: N > ' + MAX_SAVED_COUPLINGS_N + ')'}` : ''} in ${seconds.toFixed(1)} s\n`,
        );
      }),
    );
}
