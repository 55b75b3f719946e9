/**
 * Tensor backend selection. tfjs-node (native TensorFlow) when it loads, else WebAssembly, else the
 * pure-JS cpu backend. Everything in connfit runs on any of them; wasm is the default on machines where
 * the native TensorFlow download is impossible.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { InputError } from './errors.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendChoice = BackendName | 'node' | 'auto';

let active: BackendName | undefined;
/** Why tfjs-node did not load, for the message when it was asked for by name. */
let nodeFailure = '';

async function tryNode(): Promise<boolean> {
  try {
    // Optional dependency: its native library is downloaded at install time, which fails offline.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return await tf.setBackend('tensorflow');
  } catch (err) {
    nodeFailure = ((err as Error).message ?? String(err)).split('\n')[0];
    return false;
  }
}

/** Initialise the backend once; later calls return the active one (or switch if `choice` differs). */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<BackendName> {
  const want: BackendChoice = choice === 'node' ? 'tensorflow' : choice;
  if (active && (want === 'auto' || want === active)) return active;
  const order: BackendName[] = want === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [want];
  // Production mode silences tfjs's console advice (the cpu backend's "install our node backend" banner
  // on every run); connfit says itself which backend it uses and why.
  tf.env().set('PROD', true);
  for (const name of order) {
    const ok = name === 'tensorflow' ? await tryNode() : await tf.setBackend(name).catch(() => false);
    if (ok) {
      await tf.ready();
      active = name;
      return name;
    }
  }
  if (want === 'tensorflow') {
    // A user's choice, not a fault of connfit: say why and what works instead.
    throw new InputError(
      `the native TensorFlow backend is not available here (@tensorflow/tfjs-node: ${nodeFailure || 'did not register'}); ` +
        'it needs its native library, downloaded when the package is installed. Use --backend wasm (or auto)',
      { field: '--backend' },
    );
  }
  throw new Error(`tensor backend '${choice}' is not available (tried ${order.join(', ')})`);
}

export function activeBackend(): BackendName | undefined {
  return active;
}

/**
 * Values of the tensors `fn` builds, read after its tidy scope: returning typed arrays from
 * `tf.tidy` makes it walk them element by element as if they held tensors (≈ 0.6 µs per element;
 * 40 s for the block sums of a 1000-unit recording).
 */
export function readTidy(fn: () => tf.Tensor): Float32Array;
export function readTidy(fn: () => tf.Tensor[]): Float32Array[];
export function readTidy(fn: () => tf.Tensor | tf.Tensor[]): Float32Array | Float32Array[] {
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return Array.isArray(out) ? values : values[0];
}

export { tf };
