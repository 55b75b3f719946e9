/**
 * The fitted-model file: a versioned JSON schema (zod) that is also the TypeScript type. Written
 * atomically by `connfit fit`, read by the prediction commands.
 */
import { extname } from 'node:path';
import { z } from 'zod';
import { InputError, jsonPath } from '../errors.js';
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
  /**
   * `fit --connectome F`: J = a·W + J0/N + g·Z/√N with W the given matrix among the recorded units
   * (matched by name); scale = a, gW = a·‖W‖_F/√n (norm = ‖W‖_F/√n), both also in params.
   */
  connectome: z
    .object({
      source: z.object({ path: z.string(), sha256: z.string(), format: z.string(), synapses: z.string().optional(), cells: z.string().optional() }),
      cells: z.number().int(),
      matched: z.number().int(),
      unmatchedUnits: z.array(z.string()),
      unrecordedCells: z.number().int(),
      norm: z.number(),
      scale: EstimateSchema,
      gW: EstimateSchema,
      wald: z.object({ z: num, pValue: num }),
    })
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

// Not strict, unlike the formats users write: connfit writes fit files, and a reader takes the fields it
// knows and ignores others (README, Commands).
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
    units: z.number().int().positive({ error: 'expected a positive whole number of units' }),
    samples: z.number().int(),
    samplesUsed: z.number().int(),
    dt: z.number().positive({ error: 'expected the sampling interval dt > 0' }),
    unitNames: z.array(z.string()),
    droppedConstantUnits: z.array(z.string()),
    /** `unitNames`: the recorded units of each population (fits with several populations; theory predictions need them). */
    populations: z.array(z.object({ name: z.string(), units: z.number().int(), unitNames: z.array(z.string()).optional() })),
  }),
  model: z.object({
    phi: z.enum(['tanh', 'erf']),
    discretisation: z.enum(['euler', 'exp-euler']),
    fitted: z.array(z.string()),
    fixed: z.record(z.string(), z.number()),
    /** The calcium indicator undone before the fit (fit --indicator-decay): decay time, γ per sample, block length, noise over x's variance. */
    indicator: z
      .object({ decay: z.number().positive(), pole: z.number().min(0).max(1), block: z.number().int().positive(), noiseToSignal: z.number().min(0) })
      .optional(),
    /**
     * Point estimates in the model's own form: g²_ab blocks, D_a, J0_ab, τ, offset, scale, s. Finite
     * (zod numbers refuse NaN and ±∞); g² and D are variances (≥ 0), τ and the scale positive.
     */
    natural: z.object({
      g2: z.array(z.array(z.number().min(0, { error: 'expected g² ≥ 0 (a variance)' }))),
      D: z.array(z.number().min(0, { error: 'expected D ≥ 0 (a noise variance)' })),
      J0: z.array(z.array(z.number())),
      tau: z.number().positive({ error: 'expected τ > 0 (a time constant)' }),
      offset: z.number(),
      scale: z.number().positive({ error: 'expected scale > 0 (x_model = (x_data − offset)/scale)' }),
      s: z.number(),
      /** `fit --obs-noise`: sd σ_obs of white observation noise on x, in data units (x_data = x + ε) */
      obsNoise: z.number().min(0, { error: 'expected σ_obs ≥ 0 (a standard deviation)' }).optional(),
    }),
  }),
  structure: StructureSchema.optional(),
  /** `fit --bootstrap-networks B`: params' se and ci95 from refits of B simulated networks (src/fit/networkBootstrap.ts). */
  bootstrap: z
    .object({
      method: z.literal('networks'),
      networks: z.number().int(),
      networkSize: z.number().int(),
      seed: z.number(),
      estimates: z.record(z.string(), z.object({ bias: num, sd: num, ci95: z.tuple([num, num]) })),
      sampling: z.record(z.string(), z.object({ se: num, ci95: z.tuple([num, num]) })),
      /** low-rank fits: largest principal angles (degrees) between refitted and simulated mode spans */
      modes: z
        .object({
          rank: z.number().int(),
          mSpan: z.object({ median: num, p95: num }),
          nSpan: z.object({ median: num, p95: num }),
        })
        .optional(),
      /** connectome fits of a partial recording: the simulation calibration of a (and g) (src/fit/connectomeBootstrap.ts) */
      calibration: z
        .object({
          method: z.literal('indirect inference'),
          parameters: z.array(z.string()),
          raw: z.record(z.string(), num),
          calibrated: z.record(z.string(), num),
          residual: z.record(z.string(), num),
          evaluations: z.number().int(),
          converged: z.boolean(),
          jacobian: z.array(z.array(num)),
        })
        .optional(),
      /** multiregion fits: the same per link (m on the target's units, n on the source's) */
      links: z
        .array(
          z.object({
            target: z.string(),
            source: z.string(),
            rank: z.number().int(),
            mSpan: z.object({ median: num, p95: num }),
            nSpan: z.object({ median: num, p95: num }),
          }),
        )
        .optional(),
    })
    .optional(),
  notes: z.array(z.string()),
  provenance: z.object({
    connfit: z.string(),
    command: z.string(),
    input: z.object({ path: z.string(), sha256: z.string().nullable() }),
    seed: z.number().nullable(),
    date: z.string(),
    backend: z.string(),
  }),
}).superRefine((fit, ctx) => {
  // Cross-field consistency: one name per unit, one g²/J0 row and column and one D per population.
  const { data, model } = fit;
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message, input: undefined });
  if (data.unitNames.length !== data.units) {
    issue(['data', 'unitNames'], `has ${data.unitNames.length} names but data.units is ${data.units}; expected one name per unit`);
  }
  const P = data.populations.length;
  const nat = model.natural;
  const square = (name: 'g2' | 'J0') => {
    const m = nat[name];
    if (m.length !== P) return issue(['model', 'natural', name], `has ${m.length} rows but data.populations lists ${P}; expected ${P} × ${P}`);
    const bad = m.findIndex((row) => row.length !== P);
    if (bad >= 0) issue(['model', 'natural', name, bad], `has ${m[bad].length} entries; expected ${P} (one per population in data.populations)`);
  };
  square('g2');
  square('J0');
  if (nat.D.length !== P) issue(['model', 'natural', 'D'], `has ${nat.D.length} entries but data.populations lists ${P}; expected one per population`);
  // Population membership, when given: every unit of data.unitNames in exactly one population.
  if (data.populations.some((p) => p.unitNames)) {
    const known = new Set(data.unitNames);
    const seen = new Set<string>();
    data.populations.forEach((p, a) => {
      const names = p.unitNames;
      if (!names) return issue(['data', 'populations', a, 'unitNames'], 'is missing while other populations list theirs; expected the unit names of every population');
      if (names.length !== p.units) issue(['data', 'populations', a, 'unitNames'], `has ${names.length} names but units is ${p.units}; expected one name per unit`);
      names.forEach((u, k) => {
        if (!known.has(u)) issue(['data', 'populations', a, 'unitNames', k], `'${u}' is not in data.unitNames; expected a recorded unit`);
        else if (seen.has(u)) issue(['data', 'populations', a, 'unitNames', k], `'${u}' is listed in two populations; expected each unit in one`);
        seen.add(u);
      });
    });
  }
  // Commands predict from model.natural while people read params: an edited file must not let them differ.
  if (P === 1 && nat.g2.length === 1 && nat.J0.length === 1) {
    const p = fit.params;
    if (!Object.keys(p).some((k) => k === 'g' || k.startsWith('g['))) issue(['params'], 'has no estimate of g; expected params.g = {value, se, ci95}');
    const natural: [string, number][] = [['g', Math.sqrt(nat.g2[0][0])], ['D', nat.D[0]], ['J0', nat.J0[0][0]], ['tau', nat.tau], ['scale', nat.scale], ['obsNoise', nat.obsNoise ?? 0]];
    for (const [name, v] of natural) {
      const e = p[name];
      if (e && e.value !== null && !(Math.abs(e.value - v) <= 1e-6 * Math.max(1, Math.abs(v)))) {
        issue(['params', name, 'value'], `is ${e.value} but model.natural gives ${v}; expected the two to agree (edit both, or refit)`);
      }
    }
  }
});
export type FitFile = z.infer<typeof FitFileSchema>;

/** JSON with non-finite numbers as null (JSON.stringify would write them as null anyway, silently). */
export function fitFileJson(fit: FitFile): string {
  return JSON.stringify(fit, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

export async function writeFitFile(path: string, fit: FitFile): Promise<void> {
  FitFileSchema.parse(JSON.parse(fitFileJson(fit)));
  await writeFileAtomic(path, [fitFileJson(fit)]);
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

/** The path each fit was read from (readFitFile), so later refusals can name the file. */
const fitPaths = new WeakMap<FitFile, string>();

/** The file a fit was read from by readFitFile, if it was. */
export function fitFilePath(fit: FitFile): string | undefined {
  return fitPaths.get(fit);
}

/** The value at a zod issue path in the raw document (for the message), or undefined. */
function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let v = doc;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

export function readFitFile(path: string): FitFile {
  const raw = readJsonFile(path, 'a fit file written by connfit fit');
  const r = FitFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = jsonPath(issue.path) || undefined;
    const value = valueAt(raw, issue.path);
    // Out-of-range values are reported with the value found; shape errors as "not a fit file".
    if (issue.code === 'too_small' || issue.code === 'too_big' || issue.code === 'custom') {
      const got = issue.code === 'custom' ? '' : `, got ${JSON.stringify(value)}`;
      throw new InputError(`invalid connfit fit file: ${issue.message}${got}`, { file: path, field });
    }
    throw new InputError(`not a connfit fit file (version ${FIT_FILE_VERSION}): ${issue.message}`, { file: path, field });
  }
  fitPaths.set(r.data, path);
  return r.data;
}
