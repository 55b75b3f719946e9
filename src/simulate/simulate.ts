/**
 * Euler–Maruyama simulation of the rate network (THEORY §1.1, the reference discretisation of §0.2).
 * In model time with step h = dt/τ:
 *   x[k+1] = x[k] + h(−x[k] + s·tanh x[k] + J φ(x[k])) + sqrt(2 D h) ξ[k]
 * The N×N product runs as a tfjs matMul (row vector × Jᵀ, no transpose flag: that path is slow on
 * wasm); couplings and noise come from one seeded stream so the same seed gives the same output.
 */
import { applyIndicator, indicatorPole } from '../model/indicator.js';
import { initBackend, tf } from '../backend.js';
import { nonlinearity } from '../nonlinearity.js';
import { normalGenerator } from '../random.js';
import type { Recording } from '../recording/types.js';
import { yieldToEventLoop } from '../util/yield.js';
import { networkSize, populationOf, type NetworkSpec } from './network.js';
import { drawRandomModeCouplings } from './randomMode.js';

export interface SimulateOptions {
  /** Integration and sampling step in the user's time unit. */
  dt: number;
  /** Recorded steps (after burn-in). */
  steps: number;
  /** Keep every `every`-th recorded step (default 1): floor(steps/every) + 1 samples at spacing dt·every. */
  every?: number;
  burnIn?: number;
  /** Number of recorded units (spread evenly over the network) or explicit indices. Default: all. */
  observe?: number | number[];
  seed: number;
  /** Keep the coupling matrix in the result (N² doubles). */
  keepCouplings?: boolean;
  /**
   * sd of white observation noise added to the recorded x (x_data = x + ε). From a stream of its own, so
   * the network's trajectory for a seed is the same with or without it.
   */
  obsNoise?: number;
  /**
   * Decay time of a calcium indicator the recorded x is seen through (src/model/indicator.ts), in the
   * time unit of dt, at the recorded step; the observation noise is added to the indicator's trace.
   */
  indicatorDecay?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RealisedCouplings {
  /** sqrt(N_b · Var(J_ij)) per block, rows target a — the realised g_ab. */
  g: number[][];
  /** N_b · mean(J_ij) per block. */
  J0: number[][];
}

export interface SimulationResult {
  recording: Recording;
  observedUnits: number[];
  realised: RealisedCouplings;
  /** Row-major J (J[i*N+j] = J_ij) when keepCouplings. */
  couplings?: Float64Array;
}

export function evenlySpacedUnits(N: number, k: number): number[] {
  if (k >= N) return Array.from({ length: N }, (_, i) => i);
  return Array.from({ length: k }, (_, i) => Math.floor((i * N) / k));
}

/** Draw J (row-major) and its realised block statistics. */
export function drawCouplings(spec: NetworkSpec, normal: () => number): { J: Float64Array; realised: RealisedCouplings } {
  const N = networkSize(spec);
  if (spec.randomModes || spec.coupling) {
    if (spec.sizes.length !== 1) throw new RangeError('random-mode or given couplings are for one population');
    let J: Float64Array;
    if (spec.coupling) {
      if (spec.coupling.J.length !== N * N) throw new RangeError(`the given coupling matrix must have N² = ${N * N} entries`);
      J = Float64Array.from(spec.coupling.J);
    } else J = drawRandomModeCouplings(spec.randomModes!, N, normal);
    // A given matrix with a random bulk and mean (J = a·W + J0/N + g·Z/√N): `realised` describes the
    // added part, the one a fit's ĝ and Ĵ0 estimate; otherwise the whole matrix.
    const bulk = spec.coupling !== undefined && (spec.g2[0][0] > 0 || spec.J0[0][0] !== 0);
    const gb = Math.sqrt(spec.g2[0][0] / N);
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < J.length; k++) {
      let v = J[k];
      if (bulk) {
        v = spec.J0[0][0] / N + gb * normal();
        J[k] += v;
      }
      s += v;
      s2 += v * v;
    }
    // realised g: sqrt(N·Var J_ij) (≈ g_eff = ‖J‖_F/√N for random modes)
    const mean = s / (N * N);
    return { J: withModes(J, spec, N), realised: { g: [[Math.sqrt((s2 / (N * N) - mean * mean) * N)]], J0: [[mean * N]] } };
  }
  const pop = populationOf(spec);
  const P = spec.sizes.length;
  const J = new Float64Array(N * N);
  const sum = Array.from({ length: P }, () => new Float64Array(P));
  const sum2 = Array.from({ length: P }, () => new Float64Array(P));
  for (let i = 0; i < N; i++) {
    const a = pop[i];
    for (let j = 0; j < N; j++) {
      const b = pop[j];
      const Nb = spec.sizes[b];
      const v = spec.J0[a][b] / Nb + Math.sqrt(spec.g2[a][b] / Nb) * normal();
      J[i * N + j] = v;
      sum[a][b] += v;
      sum2[a][b] += v * v;
    }
  }
  const g: number[][] = [];
  const J0: number[][] = [];
  for (let a = 0; a < P; a++) {
    g.push([]);
    J0.push([]);
    for (let b = 0; b < P; b++) {
      const n = spec.sizes[a] * spec.sizes[b];
      const mean = sum[a][b] / n;
      const variance = sum2[a][b] / n - mean * mean;
      g[a].push(Math.sqrt(variance * spec.sizes[b]));
      J0[a].push(mean * spec.sizes[b]);
    }
  }
  // Low-rank structure is added after the statistics: `realised` describes the random bulk.
  return { J: withModes(J, spec, N), realised: { g, J0 } };
}

/** J plus the low-rank modes Σ_r m_r n_rᵀ/N of the spec, in place. */
function withModes(J: Float64Array, spec: NetworkSpec, N: number): Float64Array {
  if (spec.modes) {
    const { m, n } = spec.modes;
    for (let r = 0; r < m.length; r++) {
      if (m[r].length !== N || n[r].length !== N) throw new RangeError(`mode ${r + 1}: loadings must have N = ${N} entries`);
      for (let i = 0; i < N; i++) {
        const mi = m[r][i] / N;
        if (mi === 0) continue;
        for (let j = 0; j < N; j++) J[i * N + j] += mi * n[r][j];
      }
    }
  }
  return J;
}

/** What one Euler step of a network needs, drawn from the seeded stream in the order every simulation uses. */
export interface EulerNetwork {
  N: number;
  /** dt/τ */
  h: number;
  J: Float64Array;
  realised: RealisedCouplings;
  /** h·Jᵀ row-major (N×N): the row vector φ(x) times it gives h·(J φ)ᵀ, without a transpose flag. */
  hJt: Float32Array;
  /** sqrt(2 D_a h) of each unit's population */
  noiseScale: Float32Array;
  /** the initial state, x_i(0) ~ N(0, 1) */
  x0: Float32Array;
  /** the stream, positioned at the first noise draw */
  normal: () => number;
}

/** Couplings, then the initial state, from the stream of `seed`: the same network and start for a seed everywhere. */
export function eulerNetwork(spec: NetworkSpec, dt: number, seed: number): EulerNetwork {
  const N = networkSize(spec);
  const h = dt / spec.tau;
  if (!(h > 0) || !Number.isFinite(h)) throw new RangeError(`dt/tau must be positive, got ${h}`);
  const normal = normalGenerator(seed);
  const pop = populationOf(spec);
  const { J, realised } = drawCouplings(spec, normal);
  const hJt = new Float32Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) hJt[j * N + i] = h * J[i * N + j];
  const noiseScale = new Float32Array(N);
  for (let i = 0; i < N; i++) noiseScale[i] = Math.sqrt(2 * spec.D[pop[i]] * h);
  const x0 = new Float32Array(N);
  for (let i = 0; i < N; i++) x0[i] = normal();
  return { N, h, J, realised, hJt, noiseScale, x0, normal };
}

/** Fill `noise` with `steps` rows of N scaled white-noise draws (steps of 256 keep one seed's noise the same everywhere). */
export function drawNoise(net: EulerNetwork, noise: Float32Array, steps: number): void {
  const N = net.N;
  for (let r = 0; r < steps; r++) {
    const off = r * N;
    for (let i = 0; i < N; i++) noise[off + i] = net.noiseScale[i] * net.normal();
  }
}

/** Steps whose noise is drawn at once (and between progress reports). */
export const NOISE_CHUNK = 256;

export async function simulate(spec: NetworkSpec, opt: SimulateOptions): Promise<SimulationResult> {
  await initBackend(); // the default backend unless the caller chose one
  const burnIn = opt.burnIn ?? 0;
  const every = opt.every ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`every must be a whole number >= 1, got ${every}`);
  const net = eulerNetwork(spec, opt.dt, opt.seed);
  const { N, h, J, realised } = net;
  const observed = Array.isArray(opt.observe) ? opt.observe : evenlySpacedUnits(N, opt.observe ?? N);
  const n = observed.length;
  const phi = nonlinearity(spec.phi);

  const total = burnIn + opt.steps + 1; // steps+1 samples so that steps differences exist
  const nSamples = Math.floor(opt.steps / every) + 1;
  const data = new Float64Array(nSamples * n);
  let sample = 0;
  const chunk = NOISE_CHUNK;
  const noise = new Float32Array(chunk * N);
  const jt = tf.tensor2d(net.hJt, [N, N]);
  let x: tf.Tensor = tf.tensor2d(net.x0, [1, N]);
  const leak = spec.s;
  try {
    for (let k0 = 0; k0 < total; k0 += chunk) {
      const m = Math.min(chunk, total - k0);
      drawNoise(net, noise, m);
      const rows: tf.Tensor[] = [];
      for (let r = 0; r < m; r++) {
        const k = k0 + r;
        const eta = tf.tensor2d(noise.subarray(r * N, (r + 1) * N), [1, N]);
        // x ← (1−h)x + h·Jφ(x) (+ h·s·tanh x) + sqrt(2Dh)ξ
        const next = tf.tidy(() => {
          let drift = tf.add(tf.mul(x, 1 - h), tf.matMul(phi.tensor(x), jt));
          if (leak !== 0) drift = tf.add(drift, tf.mul(tf.tanh(x), h * leak));
          return tf.add(drift, eta);
        });
        eta.dispose();
        // Recorded states are kept as they are (no copy) and released after the chunk is read.
        if (k >= burnIn && (k - burnIn) % every === 0 && sample + rows.length < nSamples) rows.push(x);
        else x.dispose();
        x = next;
      }
      if (rows.length) {
        const block = tf.concat(rows, 0);
        const vals = block.dataSync();
        block.dispose();
        rows.forEach((t) => t !== x && t.dispose());
        for (let r = 0; r < rows.length; r++) {
          const dst = (sample + r) * n;
          const src = r * N;
          for (let q = 0; q < n; q++) data[dst + q] = vals[src + observed[q]];
        }
        sample += rows.length;
      }
      opt.onProgress?.(Math.min(k0 + m, total), total);
      await yieldToEventLoop();
    }
    const vals = x.dataSync();
    if (!vals.every(Number.isFinite)) throw new Error('simulation diverged (non-finite activity): reduce dt or g');
  } finally {
    x.dispose();
    jt.dispose();
  }
  if (opt.indicatorDecay !== undefined) {
    const seen = applyIndicator({ data, nSamples, nUnits: n, unitNames: [] }, indicatorPole(opt.indicatorDecay, opt.dt * every));
    data.set(seen.data);
  }
  if (opt.obsNoise) {
    if (!(opt.obsNoise > 0 && Number.isFinite(opt.obsNoise))) throw new RangeError(`the observation noise must be a positive sd, got ${opt.obsNoise}`);
    const noisy = normalGenerator((opt.seed ^ 0x0b5e7a11) >>> 0);
    for (let k = 0; k < data.length; k++) data[k] += opt.obsNoise * noisy();
  }
  const time = new Float64Array(nSamples);
  for (let t = 0; t < nSamples; t++) time[t] = t * opt.dt * every;
  const recording: Recording = {
    data,
    nSamples,
    nUnits: n,
    dt: opt.dt * every,
    unitNames: observed.map((i) => spec.coupling?.names?.[i] ?? `u${i}`),
    time,
  };
  return { recording, observedUnits: observed, realised, couplings: opt.keepCouplings ? J : undefined };
}
