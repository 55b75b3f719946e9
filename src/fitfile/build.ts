import type { FitResult } from '../fit/fit.js';
import type { NetworkBootstrap } from '../fit/networkBootstrap.js';
import type { Recording } from '../recording/types.js';
import { VERSION } from '../version.js';
import { FIT_FILE_VERSION, type FitFile, type Structure } from './schema.js';

/** Assemble the fit file from a fit result, the recording it came from and how it was run. */
export function buildFitFile(fit: FitResult & { structure?: Structure; bootstrap?: NetworkBootstrap }, rec: Recording, run: { command: string; seed?: number; backend: string; inputPath?: string }): FitFile {
  const n = fit.natural;
  return {
    schema: 'connfit.fit',
    version: FIT_FILE_VERSION,
    params: fit.params,
    correlation: fit.correlation,
    loss: fit.loss,
    convergence: fit.convergence,
    data: {
      ...fit.data,
      unitNames: rec.unitNames,
      droppedConstantUnits: rec.droppedConstantUnits ?? [],
    },
    model: {
      ...fit.model,
      natural: { g2: n.g2, D: n.D, J0: n.J0, tau: n.tau, offset: n.offset, scale: n.scale, s: n.leak, ...(n.obsNoise2 !== undefined ? { obsNoise: Math.sqrt(n.obsNoise2) } : {}) },
    },
    ...(fit.structure ? { structure: fit.structure } : {}),
    ...(fit.bootstrap ? { bootstrap: fit.bootstrap } : {}),
    notes: fit.notes,
    provenance: {
      connfit: VERSION,
      command: run.command,
      input: { path: run.inputPath ?? rec.source?.path ?? '(in memory)', sha256: rec.source?.sha256 ?? null },
      seed: run.seed ?? null,
      date: new Date().toISOString(),
      backend: run.backend,
    },
  };
}
