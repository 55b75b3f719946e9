/**
 * `connfit bin`: spike-time files (one unit each) to a recording of spike counts in bins, which `fit`,
 * `dimension` and `forecast --data` read.
 */
import type { Command } from 'commander';
import { binSpikeTrains, BIN_VALUES, readSpikeTrains, type BinValues } from '../../src/recording/spikes.js';
import { chooseRecordingFormat, RECORDING_FORMATS, writeRecording, type RecordingFileFormat } from '../../src/recording/write.js';
import { action, checkOutputPath, parseChoice, parseNumber, printJson, refuseGivenOptions } from '../common.js';

interface BinCliOptions {
  bin: number;
  clockRate?: number;
  start?: number;
  end?: number;
  trialPeriod?: number;
  trialWindow?: number;
  values: BinValues;
  out: string;
  format?: RecordingFileFormat;
  json?: boolean;
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(6)));
}

export function registerBin(program: Command): void {
  program
    .command('bin')
    .summary('spike-time files (one per unit) to a recording of spike counts in time bins')
    .description(
      "Count each unit's spikes in bins of width --bin and write the counts as a\n" +
        'recording (rows: bins, columns: units, dt = the bin width) that fit,\n' +
        'dimension and forecast read.\n\n' +
        'Each file holds one unit: one spike time per line, ascending (blank lines and\n' +
        '# comments are skipped). Units are named by the file names without the part\n' +
        'they all share (…_u1.txt, …_u2.txt → u1, u2) and ordered by name, numbers as\n' +
        'numbers (u2 before u10).\n\n' +
        'Bins are left-closed, [start + kΔ, start + (k+1)Δ), from --start (default 0)\n' +
        'through the last spike, or the whole bins before --end. Times in clock ticks\n' +
        '(sample indices) are divided by --clock-rate first, so that --bin, --start,\n' +
        '--end and the trial options are in seconds.\n\n' +
        'Trials: a recording made of slots of --trial-period P, of which the first\n' +
        '--trial-window W were recorded, is binned per window [start + kP,\n' +
        'start + kP + W) and the trials are concatenated; spikes outside every window\n' +
        'are reported, not counted. The fit treats each of the k − 1 junctions between\n' +
        'trials as an ordinary step.',
    )
    .argument('<files...>', 'spike-time files, one per unit (a shell glob such as DIR/rec_u*.txt)')
    .requiredOption('--bin <width>', 'bin width Δ (seconds with --clock-rate; else the files\' time unit)', parseNumber('--bin', { positive: true }))
    .option('--clock-rate <Hz>', 'the files hold clock ticks at this rate (e.g. 15000 for sample indices at 15 kHz)', parseNumber('--clock-rate', { positive: true }))
    .option('--start <t>', 'left edge of the first bin (default 0, the files\' time origin)', parseNumber('--start'))
    .option('--end <t>', 'keep the whole bins before this time (default: through the last spike)', parseNumber('--end'))
    .option('--trial-period <P>', 'trials start every P (trial k at start + kP)', parseNumber('--trial-period', { positive: true }))
    .option('--trial-window <W>', 'the recorded first W of each trial (default: P)', parseNumber('--trial-window', { positive: true }))
    .option('--values <kind>', 'counts, rate (count/Δ) or sqrt (√count: Poisson noise of variance ≈ 1/4 once bins hold a few spikes)', parseChoice('--values', BIN_VALUES), 'counts')
    .requiredOption('--out <file>', 'recording to write (.csv, .tsv, .npy or .json)')
    .option('--format <format>', `output format: ${RECORDING_FORMATS.join(', ')} (default: from the --out extension)`, parseChoice('--format', RECORDING_FORMATS))
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Example, with $CONNFIT_DATA the data directory that connfit info prints: the
locust antennal lobe's 10 units (Pouzat), spontaneous activity, 10 trials of
30 s of which the first 29 s were recorded, spike times in samples at 15 kHz,
counted in 20 ms bins, then fitted:
  $ connfit bin "$CONNFIT_DATA"/locust-al-pouzat-spontaneous/spike_trains/locust20010217_Spontaneous_1_tetD_u*.txt \\
      --clock-rate 15000 --bin 0.02 --trial-period 30 --trial-window 29 --out locust1.csv
  $ connfit fit locust1.csv --fit-tau --out locust1-fit.json
Exit codes: 0 ok, 2 bad options or input (the message names the file and line,
or the option).`,
    )
    .action(
      action(async (files: string[], opts: BinCliOptions, cmd: Command) => {
        if (opts.trialPeriod === undefined) refuseGivenOptions(cmd, [['--trial-window', 'trialWindow']], 'applies with --trial-period (the recorded part of each trial); add --trial-period P, or drop it');
        const { format, warning } = chooseRecordingFormat(opts.out, opts.format);
        checkOutputPath(opts.out, '--out', files);
        const trains = readSpikeTrains(files);
        const b = binSpikeTrains(trains, {
          binWidth: opts.bin,
          clockRate: opts.clockRate,
          start: opts.start,
          end: opts.end,
          trialPeriod: opts.trialPeriod,
          trialWindow: opts.trialWindow,
          values: opts.values,
        });
        await writeRecording(opts.out, b.recording, format);
        const rec = b.recording;
        const notes = warning ? [warning, ...b.notes] : b.notes;
        const spikes = b.spikesPerUnit.reduce((a, v) => a + v, 0);
        const binned = b.binnedPerUnit.reduce((a, v) => a + v, 0);
        if (opts.json) {
          printJson({
            out: opts.out,
            format,
            values: opts.values,
            dt: rec.dt,
            samples: rec.nSamples,
            trials: b.trials,
            binsPerTrial: b.binsPerTrial,
            units: trains.map((tr, i) => ({ name: tr.name, file: tr.source.path, sha256: tr.source.sha256, spikes: b.spikesPerUnit[i], binned: b.binnedPerUnit[i] })),
            spikes,
            binned,
            firstSpike: b.firstSpike ?? null,
            lastSpike: b.lastSpike ?? null,
            notes,
          });
          return;
        }
        const duration = rec.nSamples * opts.bin;
        const rates = trains.map((tr, i) => `${tr.name} ${fmt(b.binnedPerUnit[i] / duration)}`).join(', ');
        process.stdout.write(
          `units: ${rec.nUnits}; spikes ${spikes}, of which ${binned} in bins; first at ${fmt(b.firstSpike ?? NaN)}, last at ${fmt(b.lastSpike ?? NaN)}\n` +
            `bins: ${rec.nSamples} of Δ = ${fmt(opts.bin)}` +
            (b.trials > 1 ? ` (${b.trials} trials × ${b.binsPerTrial})` : '') +
            `, ${fmt(duration)}${opts.clockRate !== undefined ? ' s' : ''} binned in all; values: ${opts.values}\n` +
            `mean rates (${opts.clockRate !== undefined ? 'spikes/s' : 'spikes per time unit'}): ${rates}\n` +
            notes.map((n) => `note: ${n}\n`).join('') +
            `wrote ${opts.out} (${format}, dt ${fmt(opts.bin)}): connfit fit ${opts.out}${format === 'npy' ? ` --dt ${opts.bin}` : ''} --fit-tau … fits it${format === 'npy' ? ' (.npy keeps no dt)' : ''}\n`,
        );
      }),
    );
}
