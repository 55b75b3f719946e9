import type { Command } from 'commander';
import { DEMO_NETWORK, DEMO_RUN, runDemo } from '../../src/demo.js';
import { estimateTable } from '../../src/report/summary.js';
import { action, printJson, progressBar, startBackend } from '../common.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('simulate the embedded default network (N=1000, 100 recorded units), fit it and compare with the truth')
    .option('--json', 'print JSON')
    .option('--quiet', 'no progress bar')
    .addHelpText('after', '\nExample (npm run demo in the checkout does the same):\n  $ connfit demo')
    .action(
      action(async (opts: { json?: boolean; quiet?: boolean }, cmd: Command) => {
        const backend = await startBackend(cmd);
        if (!opts.json) {
          process.stdout.write(
            `connfit demo (backend ${backend}): rate network N=${DEMO_NETWORK.N}, φ=${DEMO_NETWORK.phi}, g=${DEMO_NETWORK.g}, D=${DEMO_NETWORK.D}, J0=${DEMO_NETWORK.J0};\n` +
              `recording ${DEMO_RUN.observe} of ${DEMO_NETWORK.N} units for ${DEMO_RUN.steps * DEMO_RUN.dt} time units (dt ${DEMO_RUN.dt}, seed ${DEMO_RUN.seed}); fitting by the spectral rate function.\n\n`,
          );
        }
        const bar = progressBar('demo', opts.quiet || opts.json);
        let stage = '';
        const res = await runDemo((s, d, t) => {
          if (s !== stage) stage = s;
          bar.update(s === 'simulating' ? d : t, t);
        });
        bar.stop();
        if (opts.json) {
          printJson({ truth: res.truth, realised: res.realised, params: res.fit.params, convergence: res.fit.convergence, seconds: res.seconds });
          return;
        }
        process.stdout.write(
          estimateTable(res.fit.params, res.truth) +
            `\n\nrealised coupling statistics of this network: g = ${res.realised.g.toFixed(4)}, J0 = ${res.realised.J0.toFixed(4)}\n` +
            `${res.fit.convergence.converged ? 'converged' : 'NOT converged'} (${res.fit.convergence.reason})\n` +
            `simulation ${res.seconds.simulate.toFixed(1)} s, fit ${res.seconds.fit.toFixed(1)} s\n`,
        );
      }),
    );
}
