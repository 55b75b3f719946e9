/**
 * Nelder–Mead simplex minimisation for a few parameters whose loss is not differentiable by autodiff
 * (the observation offset and scale of the exact loss, which move the eigendecomposition).
 */
export interface NelderMeadResult {
  x: number[];
  f: number;
  evaluations: number;
  converged: boolean;
}

export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  steps: number[],
  opt: { maxEvaluations?: number; fTolerance?: number; xTolerance?: number[] } = {},
): NelderMeadResult {
  const n = x0.length;
  const maxEval = opt.maxEvaluations ?? 200;
  const ftol = opt.fTolerance ?? 1e-3;
  const xtol = opt.xTolerance ?? steps.map((s) => s * 1e-3);
  let evals = 0;
  const F = (x: number[]) => {
    evals++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let simplex = [x0.slice(), ...steps.map((s, i) => x0.map((v, j) => (j === i ? v + s : v)))];
  let values = simplex.map(F);
  let converged = false;
  while (evals < maxEval) {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    const spread = values[n] - values[0];
    const small = xtol.every((t, j) => Math.max(...simplex.map((p) => Math.abs(p[j] - simplex[0][j]))) <= t);
    if (spread <= ftol && small) {
      converged = true;
      break;
    }
    const centroid = x0.map((_, j) => simplex.slice(0, n).reduce((s, p) => s + p[j], 0) / n);
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n][j] - c));
    const xr = along(-1);
    const fr = F(xr);
    if (fr < values[0]) {
      const xe = along(-2);
      const fe = F(xe);
      [simplex[n], values[n]] = fe < fr ? [xe, fe] : [xr, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [xr, fr];
    } else {
      const xc = fr < values[n] ? along(-0.5) : along(0.5);
      const fc = F(xc);
      if (fc < Math.min(fr, values[n])) [simplex[n], values[n]] = [xc, fc];
      else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j]));
          values[i] = F(simplex[i]);
        }
      }
    }
  }
  const best = values.indexOf(Math.min(...values));
  return { x: simplex[best], f: values[best], evaluations: evals, converged };
}
