/**
 * Connectome-constrained fits (THEORY §2.3 with a structured prior mean, §2.7): the coupling is a given
 * matrix W (a connectome) at an unknown scale a, plus a mean and a random bulk,
 *   J = a·W + J0/N + g·Z/√N,
 * so that each row's prior is N(a·W_i + (J0/N)·1, (g²/N) I) and the rate function is the exact loss with
 * that mean: y_i ~ N(a·Φ W_iᵀ + J0·m̄, σ² I + g² Ĉ_φ). The scale enters as the signed gain
 * g_W = a·‖W‖_F/√n (the connectome's g_eff among the recorded units), fitted with g, D and J0; ĝ is the
 * strength of the couplings the connectome does not explain. The recording's units are matched to the
 * connectome's cells by name.
 */
import type { Connectome } from '../connectome/connectome.js';
import { InputError } from '../errors.js';
import { effectiveGain } from '../linalg/small.js';
import type { Structure } from '../fitfile/schema.js';
import type { Recording } from '../recording/types.js';
import { twoSidedP } from '../statistics/normal.js';
import { EXACT_LOSS_NOTE, fitRecording, type FitOptions, type FitResult } from './fit.js';

/** The connectome among the recorded units (rows and columns in the recording's unit order). */
export interface AlignedConnectome {
  /** n×n row-major, row = target; zero rows and columns for units the connectome lacks */
  W: Float64Array;
  /** recorded units found among the connectome's cells */
  matched: number;
  /** recorded units that are not cells of the connectome */
  unmatchedUnits: string[];
  /** cells of the connectome that are not recorded */
  unrecordedCells: number;
}

/** Match recorded units to connectome cells by name (exact, after trimming). */
export function alignConnectome(c: Connectome, unitNames: readonly string[], file?: string): AlignedConnectome {
  const index = new Map(c.names.map((name, i) => [name.trim(), i]));
  const n = unitNames.length;
  const cell = unitNames.map((u) => index.get(u.trim()) ?? -1);
  const matched = cell.filter((k) => k >= 0).length;
  if (matched === 0) {
    throw new InputError(
      `no recorded unit is a cell of the connectome: units are matched to cells by name (recording: ${unitNames.slice(0, 3).join(', ')}${n > 3 ? ', …' : ''}; connectome: ${c.names.slice(0, 3).join(', ')}${c.N > 3 ? ', …' : ''})`,
      { file, field: '--connectome' },
    );
  }
  const seen = new Set<number>();
  unitNames.forEach((u, i) => {
    if (cell[i] < 0) return;
    if (seen.has(cell[i])) throw new InputError(`two recorded units are the cell '${u.trim()}' of the connectome; expected one unit per cell`, { file, field: '--connectome' });
    seen.add(cell[i]);
  });
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    if (cell[i] < 0) continue;
    for (let j = 0; j < n; j++) if (cell[j] >= 0) W[i * n + j] = c.J[cell[i] * c.N + cell[j]];
  }
  return { W, matched, unmatchedUnits: unitNames.filter((_, i) => cell[i] < 0), unrecordedCells: c.N - matched };
}

export type ConnectomeFitResult = FitResult & { structure: Structure };

/**
 * Fit J = a·W + J0/N + g·Z/√N to a recording whose units are (some of) the connectome's cells.
 * `opts` are those of fitRecording (exact loss, one population); `file` names the connectome in errors.
 */
export async function fitWithConnectome(rec: Recording, c: Connectome, opts: FitOptions, file?: string): Promise<ConnectomeFitResult> {
  const aligned = alignConnectome(c, rec.unitNames, file);
  let fit: FitResult;
  try {
    fit = await fitRecording(rec, { ...opts, connectome: aligned.W });
  } catch (e) {
    // a zero block among the recorded units is a fact about this file and this recording
    if (e instanceof InputError && /coupling matrix is zero/.test(e.message)) {
      throw new InputError(`${e.message} (${aligned.matched} recorded units are cells of the connectome)`, { file, field: '--connectome' });
    }
    throw e;
  }
  const gW = fit.params.gW;
  const scale = fit.params.connectomeScale;
  const z = gW.value / gW.se;
  const pValue = Number.isFinite(z) ? twoSidedP(z) : Number.NaN;
  const notes: string[] = [
    `J = a·W + J0/N + g·Z/√N: a (connectomeScale) is the scale of the connectome's weights, gW = a·‖W‖_F/√n its gain among the ${aligned.matched} recorded cells, g the strength of the couplings it does not explain`,
  ];
  if (aligned.unrecordedCells > 0) {
    notes.push(
      `${aligned.unrecordedCells} of the connectome's ${c.N} cells are not recorded: their input through the connectome is not modelled. ` +
        'The recorded activity stands in for the part of it that is correlated with theirs, which biases â upwards, and the rest acts as bulk input ' +
        '(C. elegans teacher, bench/connectome-fit.ts: â +14 % and ĝ +4 % with half of the 300 cells recorded, +21 % and +25 % with a quarter; unbiased with all). ' +
          '--bootstrap-networks B (10–20) calibrates a, g and J0 by simulating the whole connectome',
    );
  }
  if (aligned.unmatchedUnits.length > 0) {
    const u = aligned.unmatchedUnits;
    notes.push(`${u.length} recorded unit${u.length > 1 ? 's are not cells' : ' is not a cell'} of the connectome (${u.slice(0, 5).join(', ')}${u.length > 5 ? ', …' : ''}): no connectome input or output, only the bulk`);
  }
  const empty = rec.unitNames.map(() => [] as number[]);
  const src = c.source;
  const structure: Structure = {
    rank: 0,
    m: empty,
    n: empty,
    strength: [],
    overlaps: [],
    normalisation: rec.nUnits,
    identifiability: 'the connectome\'s scale a is identified by how well the recorded activity, passed through W, predicts each unit\'s input (a regression on Φ W_iᵀ); its sign is that of the weights as given',
    connectome: {
      source: { path: src.path, sha256: src.sha256, format: src.format, ...(src.synapses ? { synapses: src.synapses } : {}), ...(src.cells ? { cells: src.cells } : {}) },
      cells: c.N,
      matched: aligned.matched,
      unmatchedUnits: aligned.unmatchedUnits,
      unrecordedCells: aligned.unrecordedCells,
      norm: effectiveGain(aligned.W, rec.nUnits),
      scale,
      gW,
      wald: { z, pValue },
    },
  };
  // the exact loss's advice for subsampled recordings (the spectral loss) does not apply: a connectome fit is exact only, and says above what a partial recording does
  return { ...fit, notes: [...notes, ...fit.notes.filter((t) => t !== EXACT_LOSS_NOTE)], structure };
}
