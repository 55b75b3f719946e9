import { Option, type Command } from 'commander';
import { readRecording, type ReadOptions, type RecordingFormat, type RecordingLayout } from '../../src/recording/read.js';
import { action, parseNumber, printJson } from '../common.js';
import { maxAbs, rangeScaleFor } from '../../src/statistics/scale.js';
import { WHITE_NOISE_HINT_SHARE, whiteNoiseExcess } from '../../src/statistics/whiteNoise.js';

interface InspectOptions {
  layout?: RecordingLayout;
  format?: RecordingFormat;
  header: boolean;
  dt?: number;
  json?: boolean;
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

function summary(values: Float64Array): { min: number; median: number; max: number } {
  const s = values.slice().sort();
  return { min: s[0], median: median(s), max: s[s.length - 1] };
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : String(Number(v.toPrecision(6)));
}

/** The white-noise estimate in words (src/statistics/whiteNoise.ts). */
function whiteNoiseLine(w: { sdMedian: number; share: { min: number; median: number; max: number } }): string {
  const pct = (v: number) => `${(100 * v).toFixed(v < 0.1 ? 1 : 0)} %`;
  const what = 'lag-0 variance beyond lags 1–3 extrapolated; meaningful when dt is well below the correlation time';
  if (!(w.share.median > WHITE_NOISE_HINT_SHARE)) return `white noise (${what}): none to speak of (median ${pct(Math.max(0, w.share.median))} of the variance)\n`;
  return `white noise (${what}): median sd ${fmt(w.sdMedian)}, ${pct(w.share.median)} of the variance (units ${pct(Math.max(0, w.share.min))} to ${pct(w.share.max)}); measurement noise? fit --obs-noise models it\n`;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('read a recording (.csv/.tsv/.txt, .npy, .json), check it and print its size, dt and per-unit statistics')
    .argument('<recording>', 'recording file: rows = samples, columns = units (see --layout)')
    .addOption(new Option('--layout <layout>', 'time-by-unit: rows are samples; unit-by-time: rows are units').choices(['time-by-unit', 'unit-by-time']))
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'npy', 'json']))
    .option('--no-header', 'CSV without unit names (a bare numeric matrix); units are named u0, u1, ...')
    .option('--dt <dt>', 'sampling interval (checked against a time column if the file has one)', parseNumber('--dt', { positive: true }))
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples (run in order):\n' +
        '  $ connfit simulate --N 200 --g 1.5 --D 0.1 --dt 0.05 --steps 2000 --seed 1 --out rec.csv\n' +
        '  $ connfit inspect rec.csv\n' +
        '  Real data (unit-by-time ΔF/F, no header), with $CONNFIT_DATA the data directory that connfit info prints:\n' +
        '  $ connfit inspect "$CONNFIT_DATA"/zebrafish-tectum-triplett2018-f1/zf_20151104-f1_activity_matrix.csv \\\n' +
        '      --layout unit-by-time --no-header --dt 0.4545 --json',
    )
    .action(
      action(async (file: string, opts: InspectOptions) => {
        const readOpts: ReadOptions = { header: opts.header };
        if (opts.layout) readOpts.layout = opts.layout;
        if (opts.format) readOpts.format = opts.format;
        if (opts.dt !== undefined) readOpts.dt = opts.dt;
        const rec = await readRecording(file, readOpts);
        const { nSamples, nUnits, data } = rec;

        // Per-unit mean and standard deviation (two passes, population std), each unit times a power of
        // two when its values are beyond 2^±64 (the sums of squares would overflow or underflow; exact,
        // and 1 for ordinary data), unscaled at the end.
        const scale = Float64Array.from({ length: nUnits }, (_, i) => rangeScaleFor(maxAbs(data, i, data.length, nUnits)));
        const mean = new Float64Array(nUnits);
        const std = new Float64Array(nUnits);
        for (let t = 0; t < nSamples; t++) {
          const base = t * nUnits;
          for (let i = 0; i < nUnits; i++) mean[i] += data[base + i] * scale[i];
        }
        for (let i = 0; i < nUnits; i++) mean[i] /= nSamples;
        for (let t = 0; t < nSamples; t++) {
          const base = t * nUnits;
          for (let i = 0; i < nUnits; i++) {
            const d = data[base + i] * scale[i] - mean[i];
            std[i] += d * d;
          }
        }
        for (let i = 0; i < nUnits; i++) {
          std[i] = Math.sqrt(std[i] / nSamples) / scale[i];
          mean[i] /= scale[i];
        }

        const white = nSamples >= 8 ? whiteNoiseExcess(rec) : undefined;
        const whiteNoise = white
          ? { sdMedian: Math.sqrt(Math.max(0, summary(white.variance).median)), share: summary(white.share) }
          : null;
        const dtSource = opts.dt !== undefined ? 'given' : rec.time ? 'time column' : rec.dt !== undefined ? 'file' : 'unknown';
        // The span from the first to the last sample: n samples cover n − 1 steps.
        const duration = rec.dt !== undefined ? (nSamples - 1) * rec.dt : undefined;
        const dropped = rec.droppedConstantUnits ?? [];
        const info = {
          file,
          format: rec.source?.format,
          sha256: rec.source?.sha256,
          units: nUnits,
          samples: nSamples,
          dt: rec.dt ?? null,
          dtSource,
          duration: duration ?? null,
          droppedConstantUnits: dropped,
          unitNames: rec.unitNames,
          mean: summary(mean),
          std: summary(std),
          whiteNoise,
          perUnit: rec.unitNames.map((name, i) => ({ name, mean: mean[i], std: std[i] })),
        };
        if (opts.json) {
          printJson(info);
          return;
        }
        const names = rec.unitNames.length <= 8 ? rec.unitNames.join(', ') : `${rec.unitNames.slice(0, 8).join(', ')}, …`;
        const droppedText = dropped.length
          ? `${dropped.length} (${dropped.length <= 8 ? dropped.join(', ') : dropped.slice(0, 8).join(', ') + ', …'})`
          : 'none';
        const dtText = rec.dt !== undefined ? `${fmt(rec.dt)} (${dtSource})` : 'unknown (pass --dt or add a time column)';
        const span = rec.time ? `, t = ${fmt(rec.time[0])} to ${fmt(rec.time[nSamples - 1])}` : '';
        const durText = duration !== undefined ? `${fmt(duration)} (first to last sample, (samples − 1) × dt${span})` : 'unknown';
        const m = info.mean;
        const s = info.std;
        process.stdout.write(
          `file: ${file} (${info.format}, sha256 ${info.sha256?.slice(0, 12)}…)\n` +
            `units: ${nUnits} (${names})\n` +
            `samples: ${nSamples}\n` +
            `dt: ${dtText}\n` +
            `duration: ${durText}\n` +
            `dropped constant units: ${droppedText}\n` +
            `unit mean: min ${fmt(m.min)}, median ${fmt(m.median)}, max ${fmt(m.max)}\n` +
            `unit std: min ${fmt(s.min)}, median ${fmt(s.median)}, max ${fmt(s.max)}\n` +
            (whiteNoise ? whiteNoiseLine(whiteNoise) : ''),
        );
      }),
    );
}
