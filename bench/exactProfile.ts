/**
 * Stage timings of the exact-loss statistics (src/loss/exact.ts, exactStatistics) for the benchmark's
 * "where does the time go" split. This repeats the steps of exactStatistics with a timer around each
 * (the library function is not instrumented); `bench/run.ts` also times the real exactStatistics on
 * the same data so that the sum of these stages can be checked against it. If exactStatistics
 * changes, update this mirror.
 */
import { symmetricEigen } from '../src/linalg/eigh.js';
import { tf } from '../src/backend.js';
import type { Nonlinearity } from '../src/nonlinearity.js';
import type { BasisSpec, SeriesSource } from '../src/statistics/spectra.js';

export interface ExactStageTimes {
  /** φ(x) and the basis series (plain JS loops, float32 arrays). */
  phiAndBasis: number;
  /** G = ΦᵀΦ and ΦᵀB (tfjs transpose + two T×N by N×N-sized matMuls, read back). */
  gram: number;
  /** Symmetrise G and eigendecompose it (symmetricEigen: LAPACK dsyev where it fits). */
  eigen: number;
  /** A = QᵀΦᵀB on tfjs and the per-eigenvector sums. */
  projections: number;
}

export function profileExactStatistics(src: SeriesSource, basis: BasisSpec, phi: Nonlinearity): ExactStageTimes {
  const n = src.nUnits;
  const T = src.nSamples - 1;
  let t0 = performance.now();
  const phiArr = new Float32Array(T * n);
  for (let k = 0; k < T * n; k++) phiArr[k] = phi.f(src.data[k]);
  const f = basis.fixed!;
  const B = new Float32Array(T * n);
  const d = src.data;
  for (let t = 0; t < T; t++)
    for (let i = 0; i < n; i++) B[t * n + i] = f.a * d[(t + 1) * n + i] + f.b * d[t * n + i] - (f.s !== 0 ? f.s * Math.tanh(d[t * n + i]) : 0);
  let yy = 0;
  for (let k = 0; k < B.length; k++) yy += B[k] * B[k];
  const phiAndBasis = performance.now() - t0;

  t0 = performance.now();
  const { G, PhiTB } = tf.tidy(() => {
    const Phi = tf.tensor2d(phiArr, [T, n]);
    const PhiT = tf.transpose(Phi);
    return { G: tf.matMul(PhiT, Phi), PhiTB: tf.matMul(PhiT, tf.tensor2d(B, [T, n])) };
  });
  const Gv = G.dataSync();
  PhiTB.dataSync();
  G.dispose();
  const gram = performance.now() - t0;

  t0 = performance.now();
  const Gs = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Gs[i * n + j] = 0.5 * (Gv[i * n + j] + Gv[j * n + i]);
  const eig = symmetricEigen(Gs, n);
  const eigen = performance.now() - t0;

  t0 = performance.now();
  const Qt = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) Qt[k * n + i] = eig.vectors[i * n + k];
  tf.tidy(() => {
    const A = tf.matMul(tf.tensor2d(Qt, [n, n]), PhiTB);
    tf.sum(tf.mul(A, A), 1).dataSync();
    tf.sum(A, 1).dataSync();
  });
  PhiTB.dispose();
  const projections = performance.now() - t0;
  if (!Number.isFinite(yy)) throw new Error('non-finite basis');
  return { phiAndBasis: phiAndBasis / 1000, gram: gram / 1000, eigen: eigen / 1000, projections: projections / 1000 };
}
