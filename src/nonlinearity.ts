/**
 * The single-unit nonlinearities φ of THEORY §1.2, in float64 (simulation, statistics) and as tfjs
 * ops (losses under autodiff). erf(√π x/2) has slope 1 at 0 like tanh and closed-form Gaussian
 * integrals.
 */
import erf from '@stdlib/math-base-special-erf';
import { tf } from './backend.js';

import { PHI_NAMES, type PhiName } from './phi.js';

export { PHI_NAMES, isPhiName, type PhiName } from './phi.js';

const HALF_SQRT_PI = Math.sqrt(Math.PI) / 2;

export interface Nonlinearity {
  name: PhiName;
  /** φ(x) */
  f(x: number): number;
  /** φ'(x) */
  df(x: number): number;
  /** φ applied to a tensor, differentiable. */
  tensor(x: tf.Tensor): tf.Tensor;
  /** φ'(x) applied to a tensor (the Jacobian of a simulated network). */
  derivativeTensor(x: tf.Tensor): tf.Tensor;
}

const tanhPhi: Nonlinearity = {
  name: 'tanh',
  f: Math.tanh,
  df: (x) => {
    const t = Math.tanh(x);
    return 1 - t * t;
  },
  tensor: (x) => tf.tanh(x),
  derivativeTensor: (x) => tf.sub(1, tf.square(tf.tanh(x))),
};

const erfPhi: Nonlinearity = {
  name: 'erf',
  f: (x) => erf(HALF_SQRT_PI * x),
  df: (x) => Math.exp(-(Math.PI / 4) * x * x),
  tensor: (x) => tf.erf(tf.mul(x, HALF_SQRT_PI)),
  derivativeTensor: (x) => tf.exp(tf.mul(tf.square(x), -Math.PI / 4)),
};

export function nonlinearity(name: PhiName): Nonlinearity {
  if (name === 'tanh') return tanhPhi;
  if (name === 'erf') return erfPhi;
  throw new Error(`unknown nonlinearity '${String(name)}' (expected one of ${PHI_NAMES.join(', ')})`);
}
