/**
 * The package entry point (package.json "main": dist/src/index.js, built from src/index.ts): the README's
 * library example, against the simulated network's realised g.
 */
import { describe, expect, it } from 'vitest';
import { fitRecording, iidNetwork, initBackend, simulate } from '../src/index.js';

describe('library entry point', () => {
  it("the README example: simulate an i.i.d. network and fit it, ĝ within 5 % of the realised g", async () => {
    await initBackend('wasm');
    const { recording, realised } = await simulate(iidNetwork({ N: 200, g: 1.5, D: 0.1 }), { dt: 0.05, steps: 20000, seed: 1 });
    const fit = await fitRecording(recording, { phi: 'tanh' });
    expect(Math.abs(fit.params.g.value / realised.g[0][0] - 1)).toBeLessThan(0.05);
    expect(Math.abs(fit.params.D.value / 0.1 - 1)).toBeLessThan(0.1);
  }, 120_000);
});
