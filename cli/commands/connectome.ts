/**
 * `connfit connectome`: read a connectome (edge list, flyvis cell types, coupling file), report the
 * spectrum statistics of its coupling matrix (THEORY §2.8) and write it as a coupling file that
 * `simulate --coupling`, `dimension` and this command read.
 */
import type { Command } from 'commander';
import { centred, readConnectome, type Connectome } from '../../src/connectome/connectome.js';
import { couplingFileChunks } from '../../src/connectome/couplingFile.js';
import { SYNAPSE_SELECTIONS, type SynapseSelection } from '../../src/connectome/edgeList.js';
import { InputError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { couplingStatisticsJson, couplingStatisticsLines } from '../../src/report/coupling.js';
import { matrixSpectrumStats } from '../../src/statistics/dimension.js';
import { VERSION } from '../../src/version.js';
import { action, checkOutputPath, parseChoice, printJson } from '../common.js';

interface ConnectomeCliOptions {
  synapses?: SynapseSelection;
  cells?: string;
  center?: boolean;
  out?: string;
  json?: boolean;
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(4)));
}

function cellsPattern(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (e) {
    throw new InputError(`not a regular expression: ${(e as Error).message}`, { field: '--cells' });
  }
}

export function registerConnectome(program: Command): void {
  program
    .command('connectome')
    .summary('read a connectome (edge list, flyvis cell types, coupling file): its coupling matrix, spectrum statistics and effective rank')
    .description(
      'Read a connectome as a coupling matrix J (rows: postsynaptic targets i, columns: presynaptic\n' +
        'sources j, the J_ij of Σ_j J_ij φ(x_j)) and report the statistics of THEORY §2.8:\n' +
        '  ĝ = sqrt(N Var J_ij), Ĵ0 = N mean J_ij, g_eff = ‖J‖_F/√N,\n' +
        '  PR_S = (Σ s²)²/(N Σ s⁴) of the singular values s, effective rank α·PR_D = PR_S/(1 − 2 PR_S).\n' +
        'Connectome weights are relative (synapse counts, EM sections): PR_S and the effective rank are\n' +
        'scale-free; a simulation sets the scale (simulate --coupling F --g g_eff).\n\n' +
        'Formats (by extension):\n' +
        '  .csv/.tsv/.txt  edge list with a header naming source, target, weight and optionally type\n' +
        '                  (chemical or electrical), e.g. WormWiring Source,Target,Weight,Type; names are\n' +
        '                  trimmed. Chemical synapses are directed; gap junctions couple both ways (the\n' +
        '                  mean of the directions listed); repeated rows add up.\n' +
        '  .json           a flyvis connectome ("nodes", "edges"; read per cell type: J = alpha · Σ synapses\n' +
        '                  over column offsets), or a coupling file ("J", optional "names")',
    )
    .argument('<file>', 'edge list (.csv/.tsv/.txt), flyvis connectome or coupling file (.json)')
    .option('--synapses <kind>', `edge lists with a type column: ${SYNAPSE_SELECTIONS.join(', ')} (default: chemical)`, parseChoice('--synapses', SYNAPSE_SELECTIONS))
    .option('--cells <regex>', "keep only the cells whose names match, e.g. '^[A-Z]' for the C. elegans neurons (muscles and end organs are lower case)")
    .option('--center', 'subtract the mean coupling Ĵ0/N from every entry (an unsigned connectome\'s mean is one strong excitatory mode)')
    .option('--out <file.json>', 'write the coupling file: {"names", "connectome": {source, sha256, selection}, "J"}')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Examples, with $CONNFIT_DATA the data directory that connfit info prints:
  C. elegans hermaphrodite (Cook et al. 2019), the 300 neurons with chemical synapses, mean removed:
  $ connfit connectome "$CONNFIT_DATA"/celegans-cook2019-herm/herm_full_edgelist.csv --cells '^[A-Z]' --center --out worm.json
  The same with gap junctions added, as JSON:
  $ connfit connectome "$CONNFIT_DATA"/celegans-cook2019-herm/herm_full_edgelist.csv --cells '^[A-Z]' --synapses all --json
  Fly optic lobe, 65 cell types, signed (Lappalainen et al. 2024):
  $ connfit connectome "$CONNFIT_DATA"/drosophila-opticlobe-flyvis/fib25-fib19_v2.2.json --out fly.json
Then predict and simulate:
  $ connfit dimension --theory --phi tanh --g 2 --effective-rank 0.10 --N 300    # PR of a random-mode network of that rank
  $ connfit simulate --coupling worm.json --g 2 --D 0.01 --dt 0.05 --steps 20000 --burn-in 2000 --seed 1 --out worm-rec.csv
  $ connfit dimension worm-rec.csv
Exit codes: 0 ok, 2 bad options or input (the message names the file, line and column or field).`,
    )
    .action(
      action(async (file: string, opts: ConnectomeCliOptions) => {
        if (opts.out !== undefined) checkOutputPath(opts.out, '--out', [file]);
        const read = readConnectome(file, { synapses: opts.synapses, cells: opts.cells !== undefined ? cellsPattern(opts.cells) : undefined });
        const c: Connectome = opts.center ? centred(read) : read;
        const s = matrixSpectrumStats(c.J, c.N);
        const src = c.source;
        const selection = {
          format: src.format,
          ...(src.synapses ? { synapses: src.synapses } : {}),
          ...(src.cells !== undefined ? { cells: src.cells } : {}),
          ...(src.centred ? { centredMean: src.centred.mean } : {}),
        };
        if (opts.out !== undefined) {
          const meta = { connfit: VERSION, names: c.names, connectome: { source: src.path, sha256: src.sha256, ...selection, cellsInFile: src.cellsInFile, connections: src.connections, selfCouplings: src.selfCouplings } };
          await writeFileAtomic(opts.out, couplingFileChunks(meta, c.J, c.N));
        }
        if (opts.json) {
          printJson({ file, ...selection, N: c.N, cellsInFile: src.cellsInFile, connections: src.connections, selfCouplings: src.selfCouplings, ...couplingStatisticsJson(s), notes: src.notes, out: opts.out ?? null });
          return;
        }
        const what = src.format === 'edge-list' ? `edge list, ${src.synapses} synapses` : src.format === 'flyvis' ? 'flyvis cell types' : 'coupling file';
        process.stdout.write(
          `file: ${file} (${what})\n` +
            `cells: ${c.N}${src.cells !== undefined ? ` (of ${src.cellsInFile}, names matching ${src.cells})` : ''}; connections ${src.connections} (${fmt((100 * src.connections) / (c.N * c.N))} % of N²), self-couplings ${src.selfCouplings}\n` +
            (src.centred ? `mean coupling ${fmt(src.centred.mean)} subtracted from every entry\n` : '') +
            couplingStatisticsLines(s) +
            src.notes.map((n) => `note: ${n}\n`).join('') +
            (opts.out !== undefined ? `wrote ${opts.out}: connfit simulate --coupling ${opts.out} --g <g_eff> … simulates it\n` : ''),
        );
      }),
    );
}
