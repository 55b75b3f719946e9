/** Plain-text summaries of fits for terminals. */
import type { Estimate } from '../fit/uncertainty.js';

const fmt = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(digits);

/** A table of estimates: name, value, standard error, 95 % interval, and optionally the truth. */
export function estimateTable(params: Record<string, { value: number | null; se: number | null; ci95: [number | null, number | null] } | Estimate>, truth?: Record<string, number>): string {
  const rows = Object.entries(params).map(([name, e]) => {
    const t = truth?.[name];
    const inside = t !== undefined && e.ci95[0] !== null && e.ci95[1] !== null ? (t >= (e.ci95[0] as number) && t <= (e.ci95[1] as number) ? 'yes' : 'NO') : '';
    return [name, ...(truth ? [t === undefined ? '' : fmt(t)] : []), fmt(e.value), fmt(e.se), `[${fmt(e.ci95[0])}, ${fmt(e.ci95[1])}]`, ...(truth ? [inside] : [])];
  });
  const header = ['parameter', ...(truth ? ['true'] : []), 'estimate', 'std. error', '95% interval', ...(truth ? ['covers'] : [])];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  return all.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}
