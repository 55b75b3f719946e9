/**
 * The spectrum statistics of a coupling matrix (THEORY §2.8) as `dimension` and `connectome` print them:
 * one JSON shape and one text block.
 */
import type { MatrixSpectrumStats } from '../statistics/dimension.js';

export function couplingStatisticsJson(s: MatrixSpectrumStats) {
  return { g: s.g, J0: s.J0, g_eff: s.g_eff, pr_s: s.pr_s, effective_rank: s.effective_rank, s_max: s.s_max };
}

export function couplingStatisticsLines(s: MatrixSpectrumStats): string {
  const fmt = (v: number) => String(Number(v.toPrecision(4)));
  return (
    `g (sqrt(N·Var J_ij)): ${fmt(s.g)}\n` +
    `J0 (N·mean J_ij): ${fmt(s.J0)}\n` +
    `g_eff (‖J‖_F/√N): ${fmt(s.g_eff)}\n` +
    `PR_S (singular values²): ${fmt(s.pr_s)}  (i.i.d. Gaussian: 0.5)\n` +
    `effective rank α·PR_D: ${s.effective_rank === null ? '- (PR_S ≥ 1/2: i.i.d.-like)' : fmt(s.effective_rank)}\n` +
    (s.s_max !== null ? `largest singular value: ${fmt(s.s_max)}\n` : '')
  );
}
