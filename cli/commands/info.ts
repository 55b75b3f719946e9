import type { Command } from 'commander';
import { VERSION } from '../../src/version.js';
import { action, printJson, startBackend } from '../common.js';
import { existsSync, statSync } from 'node:fs';
import { dataDirectory, datasetStatus } from '../../src/datasets/registry.js';
import { modelNames, modelsDirectory } from '../../src/io/models.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the connfit version, the tensor backend in use, the shipped models (JSON files any command takes by name), the data directory and the registered datasets found there (checked against their SHA-256)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  $ connfit info --backend wasm')
    .action(
      action(async (opts: { json?: boolean }, cmd: Command) => {
        const backend = await startBackend(cmd);
        const dir = dataDirectory();
        const dirStatus = !existsSync(dir) ? 'missing' : statSync(dir).isDirectory() ? 'ok' : 'not a directory';
        const datasets = await datasetStatus(); // every registered set, 'missing' when the directory is
        const info = { version: VERSION, backend, node: process.version, modelsDirectory: modelsDirectory(), models: modelNames(), dataDirectory: dir, dataDirectoryStatus: dirStatus, datasets };
        if (opts.json) printJson(info);
        else {
          const where = dirStatus === 'ok' ? '' : ` (${dirStatus}: set CONNFIT_DATA to the datasets directory)`;
          const lines = [`connfit ${info.version}`, `backend: ${info.backend}`, `node: ${info.node}`, `models (a JSON file argument can name one, e.g. --regions two-regions): ${info.modelsDirectory}`];
          for (const m of info.models) lines.push(`  ${m}`);
          lines.push(`data directory: ${dir}${where}`);
          for (const d of datasets) lines.push(`  ${d.status.padEnd(8)} ${d.name} (${d.file})`);
          process.stdout.write(lines.join('\n') + '\n');
        }
      }),
    );
}
