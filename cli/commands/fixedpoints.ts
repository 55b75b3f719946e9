import type { Command } from 'commander';
import { PHI_NAMES, type PhiName } from '../../src/phi.js';
import { normalGenerator } from '../../src/random.js';
import { iidNetwork } from '../../src/simulate/network.js';
import { drawCouplings } from '../../src/simulate/simulate.js';
import { solveStationary } from '../../src/theory/dmft.js';
import { findFixedPoints } from '../../src/theory/fixedpoints.js';
import { jacobianBulk } from '../../src/theory/jacobianBulk.js';
import { action, parseChoice, parseNumber, printJson, progressBar } from '../common.js';

interface FixedpointsOptions {
  N: number;
  g: number;
  phi: PhiName;
  seed: number;
  starts: number;
  json?: boolean;
  quiet?: boolean;
}

const fmt = (v: number, digits = 5): string => (Number.isFinite(v) ? v.toPrecision(digits) : String(v));

function quantiles(values: number[]): { min: number; median: number; max: number } {
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN };
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { min: s[0], median: s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]), max: s[s.length - 1] };
}

export function registerFixedpoints(program: Command): void {
  program
    .command('fixedpoints')
    .description(
      'fixed points of the noiseless random network ẋ = −x + Jφ(x) (THEORY §8): Newton from many starts, ' +
        'their shell radii x*ᵀx*/N against the DMFT Δ0 of the dynamics, Jacobian unstable directions and the ' +
        "predicted bulk radius R = g·sqrt(<φ'(x*)²>)",
    )
    .requiredOption('--N <n>', 'number of units', parseNumber('--N', { positive: true, integer: true }))
    .requiredOption('--g <value>', 'coupling gain g (J_ij = g z_ij/√N)', parseNumber('--g', { nonNegative: true }))
    .option('--phi <name>', 'nonlinearity: tanh or erf', parseChoice('--phi', PHI_NAMES), 'tanh' as PhiName)
    .option('--seed <n>', 'seed of the couplings and of the starts', parseNumber('--seed', { nonNegative: true, integer: true }), 1)
    .option('--starts <n>', 'number of Newton starts', parseNumber('--starts', { nonNegative: true, integer: true }), 200)
    .option('--quiet', 'no progress bar')
    .option('--json', 'print JSON {N, g, phi, delta0, count, shell:{min,median,max}, fixedPoints:[{shell, unstable, bulkRadius, ...}]}')
    .addHelpText(
      'after',
      `
Examples:
  $ connfit fixedpoints --N 100 --g 3 --phi tanh --seed 1 --starts 200
  $ connfit fixedpoints --N 100 --g 3 --seed 1 --starts 50 --json > fp.json`,
    )
    .action(
      action(async (opts: FixedpointsOptions) => {
        const { N, g, phi, seed } = opts;
        const { J } = drawCouplings(iidNetwork({ N, g, D: 0, phi }), normalGenerator(seed));
        // Large N is slow (Newton steps and each fixed point's Jacobian spectrum cost N³): show progress.
        const bar = progressBar('fixed points', opts.quiet);
        const res = findFixedPoints({ J, N, phi, starts: opts.starts, seed: seed + 1, onProgress: bar.update });
        bar.stop();
        const dmft = solveStationary({ phi, g, skipThreshold: true });
        const rows = res.fixedPoints.map((f) => {
          const bulk = jacobianBulk(f.gains, g);
          let maxRe = -Infinity;
          for (const v of f.eigenReal) maxRe = Math.max(maxRe, v);
          return { shell: f.shell, unstable: f.unstable, bulkRadius: bulk.radius, maxReEigenvalue: maxRe, residual: f.residual, hits: f.hits };
        });
        const shell = quantiles(rows.map((r) => r.shell));
        const below = rows.filter((r) => r.shell < dmft.delta0).length;
        if (opts.json) {
          printJson({
            N,
            g,
            phi,
            seed,
            starts: res.starts,
            // Newton is also started from the origin x = 0, so converged counts up to starts + 1
            converged: res.converged,
            delta0: dmft.delta0,
            count: rows.length,
            belowDelta0: below,
            shell,
            unstable: quantiles(rows.map((r) => r.unstable)),
            fixedPoints: rows,
          });
          return;
        }
        let out = `Fixed points of ẋ = −x + Jφ(x): N=${N} g=${g} phi=${phi} seed=${seed}, ${res.starts} random starts and x = 0 (${res.converged} of ${res.starts + 1} converged)\n`;
        out += `  found                ${rows.length} (incl. x = 0 and mirrors −x*)\n`;
        out += `  shell x*ᵀx*/N        min ${fmt(shell.min)}  median ${fmt(shell.median)}  max ${fmt(shell.max)}\n`;
        out += `  DMFT Δ0 (dynamics)   ${fmt(dmft.delta0)}   (${below} of ${rows.length} fixed points below)\n`;
        if (rows.length > 0) {
          out += `\n  ${'shell'.padStart(9)}  ${'unstable'.padStart(8)}  ${"R = g√<φ'²>".padStart(12)}  ${'max Re λ'.padStart(10)}  ${'hits'.padStart(5)}\n`;
          for (const r of rows) {
            out += `  ${fmt(r.shell).padStart(9)}  ${String(r.unstable).padStart(8)}  ${fmt(r.bulkRadius).padStart(12)}  ${fmt(r.maxReEigenvalue).padStart(10)}  ${String(r.hits).padStart(5)}\n`;
          }
          out += `  (Jacobian −I + J diag(φ'(x*)): bulk disc of radius R centred at −1)\n`;
        }
        process.stdout.write(out);
      }),
    );
}
