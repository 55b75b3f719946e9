#!/usr/bin/env node
/**
 * connfit command-line program. Each command lives in cli/commands/<name>.ts and registers itself.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../src/version.js';

/** Each command's module, loaded only when needed: loading all of them pulls in tfjs (~0.7 s). */
const COMMANDS: Record<string, () => Promise<(p: Command) => void>> = {
  info: async () => (await import('./commands/info.js')).registerInfo,
  dmft: async () => (await import('./commands/dmft.js')).registerDmft,
  inspect: async () => (await import('./commands/inspect.js')).registerInspect,
  fit: async () => (await import('./commands/fit.js')).registerFit,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  simulate: async () => (await import('./commands/simulate.js')).registerSimulate,
  fixedpoints: async () => (await import('./commands/fixedpoints.js')).registerFixedpoints,
  dimension: async () => (await import('./commands/dimension.js')).registerDimension,
  connectome: async () => (await import('./commands/connectome.js')).registerConnectome,
  bin: async () => (await import('./commands/bin.js')).registerBin,
  forecast: async () => (await import('./commands/forecast.js')).registerForecast,
  predict: async () => (await import('./commands/predict.js')).registerPredict,
};

const program = new Command();
program
  .name('connfit')
  .description(
    'Bayesian inference of recurrent-network connectivity (g, D, J0, time constant, structure) from neural ' +
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
Examples (run in order):
  $ connfit simulate --N 1000 --g 1.5 --D 0.1 --dt 0.05 --steps 20000 --observe 100 --seed 1 --out rec.csv
  $ connfit fit rec.csv --dt 0.05 --phi tanh --out fit.json
  $ connfit forecast fit.json --data rec.csv --context 60 --horizon 20 --evaluate --stride 5
  $ connfit predict fit.json --data rec.csv --sim-time 500
  $ connfit info
Every command has --help with examples.`,
  );

// Before registering commands: commander copies this setting to subcommands created afterwards.
// commander's messages carry the same prefix as connfit's own errors.
program.configureOutput({ outputError: (text, write) => write(`connfit: ${text}`) });
program.exitOverride((err) => {
  // commander's own usage errors (unknown option, bad value): exit 2 like other input errors.
  process.exit(err.exitCode === 0 ? 0 : 2);
});

// The named command alone when there is one (fast start), else all of them (help, unknown command).
const named = process.argv.slice(2).find((a) => a in COMMANDS);
for (const name of named ? [named] : Object.keys(COMMANDS)) (await COMMANDS[name]())(program);

await program.parseAsync(process.argv);
