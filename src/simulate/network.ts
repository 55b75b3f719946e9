/**
 * Network specification: the stochastic rate network of THEORY §1.1 with the coupling ensembles of
 * §1.3a and the populations of §2.5.
 *
 *   τ dx_i/dt = −U'(x_i) + Σ_j J_ij φ(x_j) + sqrt(2Dτ) ξ_i(t),   U(x) = x²/2 − s·log cosh x
 *
 * i.e. in model time (t/τ) the noise intensity is D in the sqrt(2D)ξ convention of §0.2.
 * Couplings: for i in population a, j in population b,
 *   J_ij = J0_ab/N_b + sqrt(g²_ab/N_b) z_ij,   z_ij ~ N(0,1) i.i.d. (self-couplings included).
 * With one population this is J0/N + (g/√N) z.
 */
import { z } from 'zod';
import { parseWithSchema, readJsonFile } from '../io/json.js';
import { PHI_NAMES, type PhiName } from '../nonlinearity.js';
import type { RandomModeSpec } from './randomMode.js';
import { effectiveGain } from '../linalg/small.js';

export const PopulationSchema = z.strictObject({
  name: z.string().min(1),
  size: z.number().int().positive(),
  D: z.number().nonnegative().optional(),
});

/** The `--populations <file.json>` format; unknown keys are errors (src/io/json.ts parseWithSchema). */
export const PopulationsFileSchema = z
  .strictObject({
    populations: z.array(PopulationSchema).min(1),
    /** g²_ab: variance × N_b of couplings from population b onto a (rows: target a). */
    g2: z.array(z.array(z.number().nonnegative())),
    /** J0_ab: mean × N_b (optional, default 0). */
    J0: z.array(z.array(z.number())).optional(),
    description: z.string().optional(),
  })
  .superRefine((v, ctx) => {
    const P = v.populations.length;
    const check = (name: 'g2' | 'J0', m: number[][] | undefined) => {
      if (!m) return;
      if (m.length !== P) ctx.addIssue({ code: 'custom', path: [name], message: `must have ${P} rows (one per population), got ${m.length}` });
      m.forEach((row, a) => {
        if (row.length !== P) ctx.addIssue({ code: 'custom', path: [name, a], message: `must have ${P} entries, got ${row.length}` });
      });
    };
    check('g2', v.g2);
    check('J0', v.J0);
    const names = new Set<string>();
    v.populations.forEach((p, a) => {
      if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: ['populations', a, 'name'], message: `duplicate population name '${p.name}'` });
      names.add(p.name);
    });
  });
export type PopulationsFile = z.infer<typeof PopulationsFileSchema>;

/** Read and check a populations file (simulate, dmft); every problem names the file and the field. */
export function readPopulationsFile(file: string): PopulationsFile {
  const raw = readJsonFile(file, 'a populations file {"populations": [{"name", "size", "D"?}], "g2": [[…]], "J0"?: [[…]]}');
  return parseWithSchema(PopulationsFileSchema, raw, { file });
}

export interface NetworkSpec {
  phi: PhiName;
  /** Population sizes (one entry for an unstructured network). */
  sizes: number[];
  names: string[];
  /** g²_ab, P×P, row-major by target. */
  g2: number[][];
  /** J0_ab, P×P. */
  J0: number[][];
  /** Noise intensity per population (model time units). */
  D: number[];
  /** Time constant in the user's time unit. */
  tau: number;
  /** Leak shape s of U(x) = x²/2 − s log cosh x. */
  s: number;
  /**
   * Low-rank structure Σ_r m_r n_rᵀ/N added to the random couplings (THEORY §1.3b): R arrays of N
   * loadings each (m[r][i], n[r][j]).
   */
  modes?: LowRankModes;
  /**
   * Random-mode couplings (THEORY §1.3c) instead of the i.i.d. bulk (one population; g2 and J0 are
   * then ignored, g_eff comes from the spectrum).
   */
  randomModes?: RandomModeSpec;
  /**
   * A given coupling matrix (a connectome, THEORY §2.8; one population): row-major N×N, J[i·N + j] onto
   * i from j, with the cells' names. A random bulk (g2) and mean (J0) are added to it when not zero.
   */
  coupling?: { J: Float64Array; names?: string[] };
}

export interface LowRankModes {
  m: Float64Array[];
  n: Float64Array[];
}

export function networkSize(spec: NetworkSpec): number {
  return spec.sizes.reduce((a, b) => a + b, 0);
}

/** The one-population network J = J0/N + (g/√N) Z. */
export function iidNetwork(p: { N: number; g: number; D: number; J0?: number; phi?: PhiName; tau?: number; s?: number }): NetworkSpec {
  return {
    phi: p.phi ?? 'tanh',
    sizes: [p.N],
    names: ['all'],
    g2: [[p.g * p.g]],
    J0: [[p.J0 ?? 0]],
    D: [p.D],
    tau: p.tau ?? 1,
    s: p.s ?? 0,
  };
}

/**
 * The network with a given coupling matrix: J = k·W (+ J0/N + bulkG·Z/√N when given). k is `scale`, or
 * the factor that makes g_eff = ‖kW‖_F/√N = gEff (connectome weights are relative: the scale sets the
 * regime), or 1.
 */
export function couplingNetwork(
  c: { J: Float64Array; N: number; names?: string[] },
  p: { gEff?: number; scale?: number; bulkG?: number; J0?: number; D: number; phi?: PhiName; tau?: number; s?: number },
): NetworkSpec {
  if (p.gEff !== undefined && p.scale !== undefined) throw new RangeError('give the coupling matrix a g_eff or a scale, not both');
  let k = p.scale ?? 1;
  if (p.gEff !== undefined) {
    const g = effectiveGain(c.J, c.N);
    if (g === 0) throw new RangeError('the coupling matrix is zero: it cannot be scaled to a g_eff');
    k = p.gEff / g;
  }
  const J = k === 1 ? c.J : c.J.map((v) => v * k);
  return { ...iidNetwork({ N: c.N, g: p.bulkG ?? 0, J0: p.J0, D: p.D, phi: p.phi, tau: p.tau, s: p.s }), coupling: { J, ...(c.names ? { names: c.names } : {}) } };
}

export function networkFromPopulations(file: PopulationsFile, defaults: { D: number; phi: PhiName; tau: number; s: number }): NetworkSpec {
  const P = file.populations.length;
  return {
    phi: defaults.phi,
    sizes: file.populations.map((p) => p.size),
    names: file.populations.map((p) => p.name),
    g2: file.g2,
    J0: file.J0 ?? Array.from({ length: P }, () => new Array<number>(P).fill(0)),
    D: file.populations.map((p) => p.D ?? defaults.D),
    tau: defaults.tau,
    s: defaults.s,
  };
}

/** Population index of every unit. */
export function populationOf(spec: NetworkSpec): Int32Array {
  const out = new Int32Array(networkSize(spec));
  let k = 0;
  spec.sizes.forEach((n, a) => {
    for (let i = 0; i < n; i++) out[k++] = a;
  });
  return out;
}

export { PHI_NAMES };
