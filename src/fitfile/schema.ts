/**
 * The fitted-model file: a versioned JSON schema (zod) that is also the TypeScript type. Written
 * atomically by `connfit fit`, read by the prediction commands.
 */
import { extname } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readJsonFile } from '../io/json.js';
import { resolveModelFile } from '../io/models.js';

export const FIT_FILE_VERSION = 1;

/** NaN/∞ are not JSON: non-finite numbers are stored as null. */
const num = z.number().nullable();

export const EstimateSchema = z.object({ value: num, se: num, ci95: z.tuple([num, num]) });

/**
 * Structure beyond the i.i.d. bulk: low-rank modes (THEORY §1.3b, fit --rank; loadings: recorded units ×
 * rank), multiregion links (§1.3d, fit --regions) or the effective rank (§5.3, fit --effective-rank).
 */
export const StructureSchema = z.object({
  rank: z.number().int().nonnegative(),
  m: z.array(z.array(z.number())),
  n: z.array(z.array(z.number())),
  strength: z.array(z.number()),
  overlaps: z.array(z.array(z.number())),
  currents: z.array(z.array(z.number())).optional(),
  baseline: z.object({ m: z.array(z.array(z.number())), n: z.array(z.array(z.number())) }).optional(),
  selection: z
    .object({
      ranks: z.array(z.number()),
      heldOut: z.array(num),
      heldOutSe: z.array(num),
      bic: z.array(num),
      chosen: z.number(),
      chosenByBic: z.number(),
      folds: z.number(),
    })
    .optional(),
  /** N in J_ij = Σ_r m_ir n_jr / N: the recorded units, or the network size given for a partial recording */
  normalisation: z.number(),
  /** total units of the network when the recorded units are a subsample (fit --network-size) */
  networkSize: z.number().int().positive().optional(),
  /** the partial-recording correction of the readout loadings (network size > recorded units) */
  partial: z.object({ recorded: z.number().int().positive(), rho: z.number(), shrink: z.array(z.number()) }).optional(),
  identifiability: z.string(),
  /**
   * Multiregion fits (THEORY §1.3d): per region g, D and the routing class of §6.2 read off the fitted
   * input powers (routing: more structured input from the other regions than from its own loop; null:
   * the region lacks a self link or a link from another region).
   */
  regions: z
    .array(z.object({ name: z.string(), units: z.number(), g: EstimateSchema, D: EstimateSchema, routing: z.boolean().nullable(), inputPower: z.object({ self: num, others: num }).optional() }))
    .optional(),
  links: z
    .array(
      z.object({
        source: z.string(),
        target: z.string(),
        rank: z.number(),
        strength: z.array(z.number()),
        inputPower: z.number().optional(),
        m: z.array(z.array(z.number())),
        n: z.array(z.array(z.number())),
        currents: z.object({ value: z.array(z.array(z.number())), se: z.array(z.array(z.number())) }).optional(),
      }),
    )
    .optional(),
  /** Leading eigenvalue of T̂ (THEORY §6.4) from the fitted loadings. */
  leadingEigenvalue: z.object({ re: z.number(), im: z.number() }).optional(),
  /**
   * α·PR_D (THEORY §1.3c, §5.3) with a 95 % interval; null for +∞. `source` says where value/ci95
   * come from: 'couplings' (fromCouplings, a whole network recorded for ≥ 5·N τ with the exact loss)
   * or 'activity' (the PR of φ given ĝ_eff; the activity figures below; files without `source`).
   */
  effectiveRank: z
    .object({
      value: num, ci95: z.tuple([num, num]), prData: z.number(), prDataCorrected: z.number(), prIid: z.number(), K: z.number(), bootstrapSamples: z.number(),
      source: z.enum(['activity', 'couplings']).optional(),
      /** the activity estimate, when value/ci95 are the coupling estimate */
      fromActivity: z.object({ value: num, ci95: z.tuple([num, num]) }).optional(),
      /**
       * from the least-squares couplings of a fully recorded network (§2.3, §2.8): PR_S corrected for
       * estimation noise and finite-T bias (src/structure/effectiveRank.ts); the interval and the
       * intermediate figures are absent in files written before they existed
       */
      fromCouplings: z
        .object({
          value: num, ci95: z.tuple([num, num]).optional(), prS: z.number(), prSSe: z.number().optional(),
          prSNoiseCorrected: z.number().optional(), prSHalves: z.number().optional(), prSRaw: z.number(), blocks: z.number().int().optional(),
        })
        .optional(),
      /**
       * 'simulation': value/ci95 are calibrated on simulated random-mode networks of the same size
       * (finite-N curve 1/PR = c0 + c1/(α·PR_D), network-to-network scatter in the interval); 'none':
       * the N → ∞ inversion of §5.3. Absent in files written before the calibration existed.
       */
      calibration: z
        .discriminatedUnion('method', [
          z.object({ method: z.literal('none') }),
          z.object({
            method: z.literal('simulation'),
            uncalibrated: z.object({ value: num, ci95: z.tuple([num, num]) }),
            networkSize: z.number(),
            samples: z.number(),
            ranks: z.array(num),
            pr: z.array(num),
            curve: z.object({ c0: z.number(), c1: z.number() }),
            networkSd: z.number(),
            residualSd: z.number(),
            timeSd: z.number(),
          }),
        ])
        .optional(),
      notes: z.array(z.string()).optional(),
    })
    .optional(),
});
export type Structure = z.infer<typeof StructureSchema>;

export const FitFileSchema = z.object({
  schema: z.literal('connfit.fit'),
  version: z.literal(FIT_FILE_VERSION),
  params: z.record(z.string(), EstimateSchema),
  correlation: z.object({ names: z.array(z.string()), matrix: z.array(z.array(num)) }),
  loss: z.object({ form: z.enum(['whittle', 'exact']), value: num, perSample: num }),
  convergence: z.object({
    converged: z.boolean(),
    reason: z.string(),
    iterations: z.number(),
    evaluations: z.number(),
    gradientMaxAbs: num,
    starts: z.number(),
    hessianPositiveDefinite: z.boolean(),
  }),
  data: z.object({
    units: z.number().int(),
    samples: z.number().int(),
    samplesUsed: z.number().int(),
    dt: z.number(),
    unitNames: z.array(z.string()),
    droppedConstantUnits: z.array(z.string()),
    populations: z.array(z.object({ name: z.string(), units: z.number().int() })),
  }),
  model: z.object({
    phi: z.enum(['tanh', 'erf']),
    discretisation: z.enum(['euler', 'exp-euler']),
    fitted: z.array(z.string()),
    fixed: z.record(z.string(), z.number()),
    /** Point estimates in the model's own form: g²_ab blocks, D_a, J0_ab, τ, offset, scale, s. */
    natural: z.object({
      g2: z.array(z.array(z.number())),
      D: z.array(z.number()),
      J0: z.array(z.array(z.number())),
      tau: z.number(),
      offset: z.number(),
      scale: z.number(),
      s: z.number(),
    }),
  }),
  structure: StructureSchema.optional(),
  notes: z.array(z.string()),
  provenance: z.object({
    connfit: z.string(),
    command: z.string(),
    input: z.object({ path: z.string(), sha256: z.string().nullable() }),
    seed: z.number().nullable(),
    date: z.string(),
    backend: z.string(),
  }),
});
export type FitFile = z.infer<typeof FitFileSchema>;

/** JSON with non-finite numbers as null (JSON.stringify would write them as null anyway, silently). */
export function fitFileJson(fit: FitFile): string {
  return JSON.stringify(fit, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

export function writeFitFile(path: string, fit: FitFile): void {
  FitFileSchema.parse(JSON.parse(fitFileJson(fit)));
  writeFileAtomic(path, [fitFileJson(fit)]);
}

/** True for a JSON file that declares itself a fit file ("schema": "connfit.fit"), valid or not. */
export function isFitFile(path: string): boolean {
  if (extname(resolveModelFile(path)).toLowerCase() !== '.json') return false;
  try {
    const doc = readJsonFile(path, 'a fit file') as { schema?: unknown } | null;
    return doc !== null && typeof doc === 'object' && doc.schema === 'connfit.fit';
  } catch {
    return false;
  }
}

export function readFitFile(path: string): FitFile {
  const raw = readJsonFile(path, 'a fit file written by connfit fit');
  const r = FitFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`not a connfit fit file (version ${FIT_FILE_VERSION}): ${issue.message}`, { file: path, field: issue.path.join('.') || undefined });
  }
  return r.data;
}
