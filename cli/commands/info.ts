import type { Command } from 'commander';
import { VERSION } from '../../src/version.js';
import { action, printJson, startBackend } from '../common.js';
import { dataDirectory } from '../../src/datasets/registry.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the connfit version, the tensor backend in use and the data directory')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  $ connfit info --backend wasm')
    .action(
      action(async (opts: { json?: boolean }, cmd: Command) => {
        const backend = await startBackend(cmd);
        const info = { version: VERSION, backend, node: process.version, dataDirectory: dataDirectory() };
        if (opts.json) printJson(info);
        else process.stdout.write(`connfit ${info.version}\nbackend: ${info.backend}\nnode: ${info.node}\ndata directory: ${info.dataDirectory}\n`);
      }),
    );
}
