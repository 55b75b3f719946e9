/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, in float64 on the unconstrained θ.
 * The objective comes from float32 autodiff, so the convergence test accepts the float32 noise floor:
 * it stops on a small gradient, on a negligible loss change over consecutive iterations, or when no
 * step decreases the loss while the gradient is already near the noise level — and says which.
 */
import { dot } from '../linalg/small.js';

export interface ValueAndGradient {
  f: number;
  g: Float64Array;
}

export interface OptimiseOptions {
  maxIterations?: number;
  /** stop when max |∂f/∂θ| ≤ gradientTolerance */
  gradientTolerance?: number;
  /** stop when |Δf| ≤ lossTolerance·max(1,|f|) for 3 iterations in a row */
  lossTolerance?: number;
  memory?: number;
  onIteration?: (iteration: number, f: number) => void;
}

export interface OptimiseResult {
  x: Float64Array;
  f: number;
  g: Float64Array;
  iterations: number;
  evaluations: number;
  converged: boolean;
  reason: string;
  gradientMaxAbs: number;
}

const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

export function minimiseLBFGS(fg: (x: Float64Array) => ValueAndGradient, x0: Float64Array, opt: OptimiseOptions = {}): OptimiseResult {
  const maxIter = opt.maxIterations ?? 200;
  const gtol = opt.gradientTolerance ?? 1e-6;
  const ftol = opt.lossTolerance ?? 1e-10;
  const m = opt.memory ?? 8;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let cur = fg(x);
  let evaluations = 1;
  if (!Number.isFinite(cur.f)) throw new Error('loss is not finite at the starting point');
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  let smallChanges = 0;
  let reason = 'iteration limit reached';
  let converged = false;
  let it = 0;
  for (; it < maxIter; it++) {
    const gmax = maxAbs(cur.g);
    if (gmax <= gtol) {
      converged = true;
      reason = `gradient below ${gtol}`;
      break;
    }
    // Two-loop recursion: d = −H g
    const q = Float64Array.from(cur.g);
    const alpha = new Float64Array(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = dot(S[k], q) / dot(Y[k], S[k]);
      for (let i = 0; i < n; i++) q[i] -= alpha[k] * Y[k][i];
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1 / Math.max(1, maxAbs(cur.g) * 10);
    for (let i = 0; i < n; i++) q[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = dot(Y[k], q) / dot(Y[k], S[k]);
      for (let i = 0; i < n; i++) q[i] += S[k][i] * (alpha[k] - beta);
    }
    const d = q.map((v) => -v);
    let slope = dot(d, cur.g);
    if (!(slope < 0)) {
      // Not a descent direction (curvature pairs went stale): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      for (let i = 0; i < n; i++) d[i] = -cur.g[i] / Math.max(1, maxAbs(cur.g) * 10);
      slope = dot(d, cur.g);
    }
    // Backtracking line search with the Armijo condition.
    let step = 1;
    let next: ValueAndGradient | undefined;
    let xn = new Float64Array(n);
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < n; i++) xn[i] = x[i] + step * d[i];
      const trial = fg(xn);
      evaluations++;
      if (Number.isFinite(trial.f) && trial.f <= cur.f + 1e-4 * step * slope) {
        next = trial;
        break;
      }
      step *= 0.3;
    }
    if (!next) {
      // No decrease: at the float32 noise floor if the gradient is already small.
      converged = gmax <= 1e3 * gtol;
      reason = converged ? 'no further decrease at the float32 noise level' : 'line search failed';
      break;
    }
    const s = xn.map((v, i) => v - x[i]);
    const y = next.g.map((v, i) => v - cur.g[i]);
    if (dot(s, y) > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      S.push(s);
      Y.push(y);
      if (S.length > m) {
        S.shift();
        Y.shift();
      }
    }
    const df = Math.abs(cur.f - next.f);
    x = xn;
    xn = new Float64Array(n);
    cur = next;
    opt.onIteration?.(it + 1, cur.f);
    smallChanges = df <= ftol * Math.max(1, Math.abs(cur.f)) ? smallChanges + 1 : 0;
    if (smallChanges >= 3) {
      converged = true;
      reason = `loss change below ${ftol} (relative) for 3 iterations`;
      it++;
      break;
    }
  }
  return { x, f: cur.f, g: cur.g, iterations: it, evaluations, converged, reason, gradientMaxAbs: maxAbs(cur.g) };
}
