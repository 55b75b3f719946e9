/**
 * The package entry point (package.json "main": dist/src/index.js, built from src/index.ts): the README's
 * library example, against the simulated network's realised g.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fitRecording, iidNetwork, initBackend, simulate } from '../src/index.js';
import { ensureBuilt, root } from './helpers/cli.js';

describe('library entry point', () => {
  it("the README example: simulate an i.i.d. network and fit it, ĝ within 5 % of the realised g", async () => {
    await initBackend('wasm');
    const { recording, realised } = await simulate(iidNetwork({ N: 200, g: 1.5, D: 0.1 }), { dt: 0.05, steps: 20000, seed: 1 });
    const fit = await fitRecording(recording, { phi: 'tanh' });
    expect(Math.abs(fit.params.g.value / realised.g[0][0] - 1)).toBeLessThan(0.05);
    expect(Math.abs(fit.params.D.value / 0.1 - 1)).toBeLessThan(0.1);
  }, 120_000);

  it('without initBackend the first call starts the default backend (a fresh process, the built package)', async () => {
    await ensureBuilt();
    const entry = join(root, 'dist', 'src', 'index.js');
    const script = `import { activeBackend, fitRecording, iidNetwork, simulate } from ${JSON.stringify(entry)};
const { recording, realised } = await simulate(iidNetwork({ N: 60, g: 1.5, D: 0.1 }), { dt: 0.05, steps: 4000, seed: 2 });
const fit = await fitRecording(recording, { phi: 'tanh' });
console.log(JSON.stringify({ backend: activeBackend(), g: fit.params.g.value, realised: realised.g[0][0] }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(['wasm', 'tensorflow', 'cpu']).toContain(r.backend);
    expect(Math.abs(r.g / r.realised - 1)).toBeLessThan(0.1);
  }, 300_000);
});
