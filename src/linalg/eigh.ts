/**
 * Eigendecomposition of a symmetric matrix, the one N³ step of the exact loss: LAPACK dsyev (CLAPACK
 * compiled to WebAssembly, package `emlapack`, BSD) where the matrix fits the build's fixed 16 MB heap
 * (n ≲ 1100), 4× faster than pure JS; ml-matrix's Jacobi/QL otherwise. emlapack is an old emscripten
 * build whose instance reads its settings from a `Module` object in its own scope, so its source is
 * evaluated once with one we control (quiet output, the wasm bytes given, a ready promise).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { runInThisContext } from 'node:vm';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

interface Emscripten {
  cwrap(name: string, ret: null, args: string[]): (...a: number[]) => void;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  setValue(ptr: number, v: number, type: string): void;
  getValue(ptr: number, type: string): number;
  HEAPF64: Float64Array;
}

export interface SymmetricEigen {
  /** ascending */
  values: Float64Array;
  /** row-major n×n: vectors[i*n + k] = component i of eigenvector k */
  vectors: Float64Array;
}

const require = createRequire(import.meta.url);
/** Usable heap of the 16 MB build after its stack and static data. */
const LAPACK_HEAP_BYTES = 10 << 20;

async function loadLapack(): Promise<Emscripten | undefined> {
  try {
    const path = require.resolve('emlapack/wasm.js');
    const listeners = process.listeners('uncaughtException');
    const Module: Record<string, unknown> = {
      TOTAL_MEMORY: 16 << 20,
      wasmBinary: readFileSync(path.replace(/wasm\.js$/, 'emlapack.wasm')),
      noExitRuntime: true,
      print: () => {},
      printErr: () => {},
    };
    const ready = new Promise<void>((resolve) => (Module.onRuntimeInitialized = resolve));
    const run = runInThisContext(`(function (Module, require, module, __dirname, __filename) {${readFileSync(path, 'utf8')}\n})`, { filename: path });
    run(Module, require, { exports: {} }, dirname(path), path);
    await ready;
    // The build installs an uncaughtException handler of its own; keep Node's behaviour instead.
    for (const l of process.listeners('uncaughtException')) if (!listeners.includes(l)) process.off('uncaughtException', l);
    return Module as unknown as Emscripten;
  } catch {
    return undefined; // ml-matrix serves every size
  }
}

let lapack: Emscripten | undefined;
let loading: Promise<void> | undefined;

/**
 * Load LAPACK (≈ 40 ms, once). Until it has been awaited, `symmetricEigen` uses ml-matrix, so only
 * the commands that need large eigendecompositions pay the start-up cost.
 */
export function prepareEigensolver(): Promise<void> {
  loading ??= loadLapack().then((m) => {
    lapack = m;
  });
  return loading;
}

function dsyev(m: Emscripten, a: Float64Array, n: number): SymmetricEigen | undefined {
  const lwork = 3 * n;
  const ints = m._malloc(32);
  const pa = m._malloc(8 * n * n);
  const pw = m._malloc(8 * n);
  const pwork = m._malloc(8 * lwork);
  try {
    if (!ints || !pa || !pw || !pwork) return undefined;
    const [pjobz, puplo, pn, plda, plwork, pinfo] = [0, 4, 8, 12, 16, 20].map((o) => ints + o);
    m.setValue(pjobz, 'V'.charCodeAt(0), 'i8');
    m.setValue(puplo, 'U'.charCodeAt(0), 'i8');
    m.setValue(pn, n, 'i32');
    m.setValue(plda, n, 'i32');
    m.setValue(plwork, lwork, 'i32');
    new Float64Array(m.HEAPF64.buffer, pa, n * n).set(a); // symmetric: row- and column-major agree
    m.cwrap('dsyev_', null, new Array(9).fill('number'))(pjobz, puplo, pn, pa, plda, pw, pwork, plwork, pinfo);
    if (m.getValue(pinfo, 'i32') !== 0) return undefined;
    const values = Float64Array.from(new Float64Array(m.HEAPF64.buffer, pw, n));
    // Eigenvectors come back as the columns of a column-major matrix: V[i,k] at i + k·n.
    const colMajor = new Float64Array(m.HEAPF64.buffer, pa, n * n);
    const vectors = new Float64Array(n * n);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) vectors[i * n + k] = colMajor[i + k * n];
    return { values, vectors };
  } finally {
    for (const p of [pa, pw, pwork, ints]) if (p) m._free(p);
  }
}

function jacobiQL(a: Float64Array, n: number): SymmetricEigen {
  const M = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M.set(i, j, a[i * n + j]);
  const e = new EigenvalueDecomposition(M, { assumeSymmetric: true });
  const order = e.realEigenvalues.map((v, k) => [v, k] as const).sort((x, y) => x[0] - y[0]);
  const V = e.eigenvectorMatrix;
  const vectors = new Float64Array(n * n);
  order.forEach(([, k], c) => {
    for (let i = 0; i < n; i++) vectors[i * n + c] = V.get(i, k);
  });
  return { values: Float64Array.from(order, ([v]) => v), vectors };
}

/** Which solver `symmetricEigen` uses for an n×n matrix. */
export function eigenSolverFor(n: number): 'lapack' | 'ml-matrix' {
  return lapack && 8 * (n * n + 4 * n) + (1 << 16) <= LAPACK_HEAP_BYTES ? 'lapack' : 'ml-matrix';
}

/** Eigen-decompose the symmetric row-major n×n matrix `a`. */
export function symmetricEigen(a: Float64Array, n: number, solver = eigenSolverFor(n)): SymmetricEigen {
  if (solver === 'lapack' && lapack) {
    const r = dsyev(lapack, a, n);
    if (r) return r;
  }
  return jacobiQL(a, n);
}
