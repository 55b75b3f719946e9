/**
 * The maximal Lyapunov exponent of a simulated network under its own noise (THEORY §4.4): the growth
 * rate of an infinitesimal perturbation v carried along the Euler trajectory of src/simulate/simulate.ts,
 *   v[k+1] = (1 − h + h·s·sech² x[k]) ∘ v[k] + h J (φ'(x[k]) ∘ v[k]),
 * normalised every step (Benettin). Two copies of the network driven by the same noise separate at this
 * rate; it is positive in the chaotic regime, negative when the noise drives a stable network. An
 * independent check of the mean-field exponent (src/theory/lyapunov.ts) and of the regime it gives.
 */
import { initBackend, tf } from '../backend.js';
import { nonlinearity } from '../nonlinearity.js';
import { normalGenerator } from '../random.js';
import { yieldToEventLoop } from '../util/yield.js';
import type { NetworkSpec } from './network.js';
import { drawNoise, eulerNetwork, NOISE_CHUNK } from './simulate.js';

export interface LyapunovOptions {
  /** Euler step in the user's time unit (as simulate's dt). */
  dt: number;
  /** Steps over which the exponent is averaged, after the burn-in. */
  steps: number;
  /** Steps before (the state settles and v turns to the leading direction). */
  burnIn?: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LyapunovResult {
  /** λ_max per τ */
  exponent: number;
  /** its standard error from the spread over blocks of 256 steps */
  se: number;
  /** λ_max over each block of 256 steps (per τ) */
  blocks: number[];
}

/** λ_max of the network `spec` simulated with `seed` (the same network, start and noise as simulate). */
export async function maximalLyapunovExponent(spec: NetworkSpec, opt: LyapunovOptions): Promise<LyapunovResult> {
  await initBackend();
  const net = eulerNetwork(spec, opt.dt, opt.seed);
  const { N, h } = net;
  const burnIn = opt.burnIn ?? 0;
  const total = burnIn + opt.steps;
  const phi = nonlinearity(spec.phi);
  const leak = spec.s;
  // the perturbation's start from a stream of its own, so the network's trajectory is simulate's
  const start = normalGenerator((opt.seed ^ 0x1a9b7c3d) >>> 0);
  const v0 = Float32Array.from({ length: N }, () => start());
  const noise = new Float32Array(NOISE_CHUNK * N);
  const jt = tf.tensor2d(net.hJt, [N, N]);
  let x: tf.Tensor = tf.tensor2d(net.x0, [1, N]);
  let v: tf.Tensor = tf.tidy(() => tf.div(tf.tensor2d(v0, [1, N]), tf.norm(tf.tensor2d(v0, [1, N]))));
  const blocks: number[] = [];
  try {
    for (let k0 = 0; k0 < total; k0 += NOISE_CHUNK) {
      const m = Math.min(NOISE_CHUNK, total - k0);
      drawNoise(net, noise, m);
      const logGrowth: tf.Tensor[] = [];
      for (let r = 0; r < m; r++) {
        const eta = tf.tensor2d(noise.subarray(r * N, (r + 1) * N), [1, N]);
        const [xNext, vNext, growth] = tf.tidy(() => {
          // one product for both: rows φ(x) and φ'(x)∘v times h·Jᵀ
          const both = tf.matMul(tf.concat([phi.tensor(x), tf.mul(phi.derivativeTensor(x), v)], 0), jt);
          const [input, vInput] = tf.split(both, 2, 0);
          let xn = tf.add(tf.mul(x, 1 - h), input);
          let vn = tf.add(tf.mul(v, 1 - h), vInput);
          if (leak !== 0) {
            const t = tf.tanh(x);
            xn = tf.add(xn, tf.mul(t, h * leak));
            vn = tf.add(vn, tf.mul(v, tf.mul(tf.sub(1, tf.square(t)), h * leak)));
          }
          const size = tf.norm(vn);
          return [tf.add(xn, eta), tf.div(vn, size), tf.log(size)];
        });
        eta.dispose();
        x.dispose();
        v.dispose();
        x = xNext;
        v = vNext;
        if (k0 + r >= burnIn) logGrowth.push(growth);
        else growth.dispose();
      }
      if (logGrowth.length === NOISE_CHUNK) {
        const sum = tf.tidy(() => tf.addN(logGrowth).dataSync()[0]);
        blocks.push(sum / (NOISE_CHUNK * h));
      }
      logGrowth.forEach((t) => t.dispose());
      opt.onProgress?.(Math.min(k0 + m, total), total);
      await yieldToEventLoop();
    }
  } finally {
    x.dispose();
    v.dispose();
    jt.dispose();
  }
  if (blocks.length < 2) throw new RangeError(`the exponent needs at least two blocks of ${NOISE_CHUNK} steps after the burn-in (steps ${opt.steps})`);
  if (!blocks.every(Number.isFinite)) throw new Error('the simulation diverged (non-finite activity): reduce dt or g');
  const exponent = blocks.reduce((a, b) => a + b, 0) / blocks.length;
  const variance = blocks.reduce((a, b) => a + (b - exponent) ** 2, 0) / (blocks.length - 1);
  return { exponent, se: Math.sqrt(variance / blocks.length), blocks };
}
