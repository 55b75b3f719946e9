#!/usr/bin/env node
/**
 * connfit command-line program. Each command lives in cli/commands/<name>.ts and registers itself.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../src/version.js';
import { registerInfo } from './commands/info.js';
import { registerDmft } from './commands/dmft.js';
import { registerInspect } from './commands/inspect.js';
import { registerFit } from './commands/fit.js';
import { registerDemo } from './commands/demo.js';
import { registerSimulate } from './commands/simulate.js';
import { registerFixedpoints } from './commands/fixedpoints.js';
import { registerDimension } from './commands/dimension.js';
import { registerForecast } from './commands/forecast.js';
import { registerPredict } from './commands/predict.js';

const program = new Command();
program
  .name('connfit')
  .description(
    'Bayesian inference of recurrent-network connectivity (g, D, J0, time constant, structure) from neural\n' +
      'recordings by the large-deviation rate function of the stochastic rate network.',
  )
  .version(VERSION, '-V, --version', 'print the connfit version')
  .addOption(
    new Option('--backend <name>', 'tensor backend: tensorflow (tfjs-node), wasm or cpu; default: the first that loads')
      .choices(['auto', 'tensorflow', 'node', 'wasm', 'cpu'])
      .default('auto'),
  )
  .showHelpAfterError('(run with --help for usage and examples)')
  .addHelpText(
    'after',
    `
Examples:
  $ connfit simulate --N 1000 --g 1.5 --D 0.1 --dt 0.05 --steps 20000 --observe 100 --seed 1 --out rec.csv
  $ connfit fit rec.csv --dt 0.05 --phi tanh --out fit.json
  $ connfit forecast fit.json --data rec.csv --context 60 --horizon 20 --evaluate
  $ connfit predict fit.json --data rec.csv
  $ connfit info`,
  );

// Before registering commands: commander copies this setting to subcommands created afterwards.
program.exitOverride((err) => {
  // commander's own usage errors (unknown option, bad value): exit 2 like other input errors.
  process.exit(err.exitCode === 0 ? 0 : 2);
});

registerInfo(program);
registerDmft(program);
registerInspect(program);
registerFit(program);
registerDemo(program);
registerSimulate(program);
registerFixedpoints(program);
registerDimension(program);
registerForecast(program);
registerPredict(program);

await program.parseAsync(process.argv);
