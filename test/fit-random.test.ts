/**
 * Inference of random-network parameters against synthetic networks with known parameters
 * (THEORY §10 V15–V20, the subsample case of the foundation issue, and the simulator against DMFT).
 */
import { describe, expect, it } from 'vitest';
import { fitRecording } from '../src/fit/fit.js';
import { estimateFromErrors, networkBootstrap, withNetworkBootstrap, type NetworkBootstrap } from '../src/fit/networkBootstrap.js';
import type { FitResult } from '../src/fit/fit.js';
import { rel, simulateIid, simulateSpec } from './helpers/sim.js';

describe('simulator agrees with theory (THEORY §4.5)', () => {
  it('tanh, g=1.5, D=0.1: mean x² within 5 % of Δ0 = 0.7726 over N=1000 units (3 networks)', async () => {
    let sum = 0;
    for (const seed of [11, 12, 13]) {
      const sim = await simulateIid({ N: 1000, g: 1.5, D: 0.1 }, { dt: 0.05, steps: 4000, seed });
      const d = sim.recording.data;
      let s = 0;
      for (let k = 0; k < d.length; k++) s += d[k] * d[k];
      sum += s / d.length;
    }
    expect(rel(sum / 3, 0.7726)).toBeLessThan(0.05);
  });
});

describe('V15/V16: full network N=1000, g=1.5, D=0.1, T=1000, Δ=0.05', async () => {
  const sim = await simulateIid({ N: 1000, g: 1.5, D: 0.1 }, { dt: 0.05, steps: 20000, seed: 21 });
  const gReal = sim.realised.g[0][0];
  it('V16 Whittle: ĝ within 1 % of the realised √N·std(J), D̂ within 1 %', async () => {
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'whittle' });
    expect(rel(f.params.g.value, gReal)).toBeLessThan(0.01);
    expect(f.notes.join(' ')).toMatch(/spectral loss at strong coupling/);
    expect(rel(f.params.D.value, 0.1)).toBeLessThan(0.01);
    expect(f.convergence.converged).toBe(true);
  });
  it('V15 exact: ĝ within 0.5 % of the realised √N·std(J), D̂ within 1 %', async () => {
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'exact' });
    expect(rel(f.params.g.value, gReal)).toBeLessThan(0.005);
    expect(rel(f.params.D.value, 0.1)).toBeLessThan(0.01);
    expect(f.notes.join(' ')).toMatch(/whole network/);
  });
});

describe('subsample: 100 of N=1000 units recorded, T=1000', () => {
  it('Whittle: ĝ and D̂ within 3 % and their 95 % intervals contain the truth', async () => {
    const sim = await simulateIid({ N: 1000, g: 1.5, D: 0.1 }, { dt: 0.05, steps: 20000, observe: 100, seed: 1 });
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05 });
    expect(f.loss.form).toBe('whittle');
    for (const [name, truth] of [['g', 1.5], ['D', 0.1]] as const) {
      const e = f.params[name];
      expect(rel(e.value, truth)).toBeLessThan(0.03);
      expect(e.ci95[0]).toBeLessThanOrEqual(truth);
      expect(e.ci95[1]).toBeGreaterThanOrEqual(truth);
      expect(e.se).toBeGreaterThan(0);
    }
  });
});

describe('V17: the poster cases (tanh; N=500, T=1000)', () => {
  it('(g, D) = (1.5, 0): the spectral fit flags noise-free data; the exact loss it recommends gives ĝ within 2 %, D̂ ≈ 0', async () => {
    const sim = await simulateIid({ N: 500, g: 1.5, D: 0 }, { dt: 0.05, steps: 20000, seed: 31 });
    const spectral = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05 });
    expect(spectral.notes.join(' ')).toMatch(/noise-free data.*prefer --loss exact/);
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'exact' });
    expect(rel(f.params.g.value, 1.5)).toBeLessThan(0.02);
    expect(f.params.D.value).toBeLessThan(0.002);
  });
  it('(g, D) = (1.5, 0.5): both within 2 %', async () => {
    const sim = await simulateIid({ N: 500, g: 1.5, D: 0.5 }, { dt: 0.05, steps: 20000, seed: 32 });
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05 });
    expect(rel(f.params.g.value, 1.5)).toBeLessThan(0.02);
    expect(rel(f.params.D.value, 0.5)).toBeLessThan(0.02);
  });
  it('leak U = x²/2 − 1.5 log cosh x, (g, D) = (0.6, 0.1): within 2 %, and s fitted within 2 %', async () => {
    const sim = await simulateIid({ N: 500, g: 0.6, D: 0.1, s: 1.5 }, { dt: 0.05, steps: 20000, seed: 33 });
    const fixed = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, leak: 1.5 });
    expect(rel(fixed.params.g.value, 0.6)).toBeLessThan(0.02);
    expect(rel(fixed.params.D.value, 0.1)).toBeLessThan(0.02);
    const free = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'exact', fitLeak: true });
    expect(rel(free.params.s.value, 1.5)).toBeLessThan(0.02);
    expect(rel(free.params.g.value, 0.6)).toBeLessThan(0.02);
  });
});

describe('no coupling (g = 0)', () => {
  it('exact loss, N = 100: g held at 0 with a one-sided upper bound below 0.15, converged; D̂ within 1 %', async () => {
    // Before, the fit "converged" at ĝ 0.003 with a log-scale interval [1e-34, 7e28].
    const sim = await simulateIid({ N: 100, g: 0, D: 0.1 }, { dt: 0.05, steps: 10000, seed: 3 });
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'exact' });
    expect(f.convergence.converged).toBe(true);
    expect(f.params.g.value).toBe(0);
    expect(f.params.g.ci95[0]).toBe(0);
    expect(f.params.g.ci95[1]).toBeGreaterThan(0);
    expect(f.params.g.ci95[1]).toBeLessThan(0.15);
    expect(f.notes.join(' ')).toMatch(/consistent with zero: .* upper bound \d/);
    expect(rel(f.params.D.value, 0.1)).toBeLessThan(0.01);
  });
});

describe('spectral loss, 100 units: a unit\'s own φ does not pass for coupling (the own-power term)', () => {
  // Unit i's periodograms |Φ_i(k)|² and |Y_i(k)|² are correlated (φ_i is driven by i's own noise); with
  // the population-mean P̄_φ in s(k) that read as g² ≈ σ²/n: ĝ 0.11–0.19 on uncoupled networks, +12–13 % at
  // g = 0.3 (mean over 8 seeds, tmp script). Each assertion below failed before.
  it('g = 0, D = 0.1: mean ĝ² over 4 networks < 0.01 (was 0.025); each 95 % interval of g starts at 0 and ends below 0.2; D̂ within 1 %', async () => {
    // ĝ either held at 0 or weakly determined (profile-likelihood interval); before, seed 3 gave ĝ 0.178 [0.127, 0.250]
    let sum = 0;
    for (const seed of [3, 4, 5, 6]) {
      const sim = await simulateIid({ N: 100, g: 0, D: 0.1 }, { dt: 0.05, steps: 20000, seed });
      const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'whittle' });
      sum += f.params.g.value ** 2;
      expect(f.params.g.ci95[0]).toBe(0);
      expect(f.params.g.ci95[1]).toBeLessThan(0.2);
      expect(rel(f.params.D.value, 0.1)).toBeLessThan(0.01);
    }
    expect(sum / 4).toBeLessThan(0.01);
  });
  it('g = 0.3, D = 0.02: mean ĝ over 6 networks within 6 % of the realised g (was +13 %)', async () => {
    // one network's ĝ scatters by 4.5 % (its standard error 5 %): the mean of 6 by 1.8 %
    let sum = 0;
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const sim = await simulateIid({ N: 100, g: 0.3, D: 0.02 }, { dt: 0.05, steps: 20000, seed, burnIn: 2000 });
      const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'whittle' });
      sum += f.params.g.value / sim.realised.g[0][0];
      expect(f.notes.join(' ')).not.toMatch(/strong coupling/); // calibrated here (bench/whittle-weak.ts: 6/6 covered)
    }
    expect(Math.abs(sum / 6 - 1)).toBeLessThan(0.06);
  });
});

describe('network bootstrap (spectral loss at strong coupling: N = 100, g = 1.5, D = 0.1, 1000 τ)', () => {
  it('the interval of g widens to the scatter between networks and covers the realised g that the sampling-noise interval misses', async () => {
    // Reference, an independent simulation (bench/network-bootstrap.ts; 48 networks, seeds 11–58): ĝ − g_realised
    // has mean −0.027 and sd 0.027, against a median Hessian SE of 0.0065. The bootstrap's sd and bias with B = 10
    // estimate those to about ±25 % and ±0.009.
    const sim = await simulateIid({ N: 100, g: 1.5, D: 0.1 }, { dt: 0.05, steps: 20000, burnIn: 2000, seed: 11 });
    const truth = sim.realised.g[0][0];
    const opts = { phi: 'tanh' as const, dt: 0.05, loss: 'whittle' as const };
    const fit = await fitRecording(sim.recording, opts);
    expect(fit.params.g.ci95[1]).toBeLessThan(truth); // the Hessian interval misses here (ĝ 1.489, g 1.506)
    const boot = await networkBootstrap(sim.recording, fit, opts, { networks: 10, seed: 1 });
    const booted = withNetworkBootstrap(fit, boot);
    expect(boot.estimates.g.sd).toBeGreaterThan(0.6 * 0.027);
    expect(boot.estimates.g.sd).toBeLessThan(1.6 * 0.027);
    expect(Math.abs(boot.estimates.g.bias - -0.027)).toBeLessThan(0.018);
    expect(booted.params.g.ci95[0]).toBeLessThan(truth);
    expect(booted.params.g.ci95[1]).toBeGreaterThan(truth);
    expect(booted.params.D.ci95[0]).toBeLessThan(0.1);
    expect(booted.params.D.ci95[1]).toBeGreaterThan(0.1);
    expect(booted.bootstrap.sampling.g.se).toBe(fit.params.g.se);
    expect(booted.notes.some((t) => t.startsWith('spectral loss at strong coupling'))).toBe(false);
  });

  it('weak-coupling intervals are kept: g held at 0 or profiled (the fit\'s weakIntervals, also per block); flat directions get the bootstrap\'s', () => {
    const e = (value: number, se: number, ci95: [number, number]) => ({ value, se, ci95 });
    const est = (sd: number) => ({ bias: 0, sd, ci95: [0, 1] as [number, number] });
    const boot = (names: string[]): NetworkBootstrap => ({
      method: 'networks', networks: 10, networkSize: 100, seed: 1,
      estimates: Object.fromEntries(names.map((n) => [n, est(0.5)])), sampling: {},
    });
    const fit = (params: Record<string, ReturnType<typeof e>>, weakIntervals: string[]) => ({ params, notes: [], weakIntervals, data: { units: 100 } }) as unknown as FitResult;
    const profiled = withNetworkBootstrap(fit({ g: e(0.05, 0.1, [0, 0.15]), D: e(0.1, 1e-3, [0.098, 0.102]) }, ['g']), boot(['g', 'D']));
    expect(profiled.params.g.ci95).toEqual([0, 0.15]);
    expect(profiled.params.D.se).toBe(0.5);
    expect(Object.keys(profiled.bootstrap.estimates)).toEqual(['D']);
    const held = withNetworkBootstrap(fit({ g: e(0, Number.NaN, [0, 0.1]), D: e(0.1, 1e-3, [0.098, 0.102]) }, ['g']), boot(['g', 'D']));
    expect(held.params.g.ci95).toEqual([0, 0.1]);
    // a flat direction (no SE, estimate away from 0) is measured by the refits
    const flat = withNetworkBootstrap(fit({ g: e(1.2, Number.NaN, [Number.NaN, Number.NaN]), D: e(0.1, 1e-3, [0.098, 0.102]) }, []), boot(['g', 'D']));
    expect(flat.params.g.se).toBe(0.5);
    const blocks = withNetworkBootstrap(
      fit({ 'g[E<-I]': e(0.03, 0.05, [0, 0.1]), 'g2[E<-I]': e(9e-4, 3e-3, [0, 0.01]), 'g[E<-E]': e(1, 0.01, [0.98, 1.02]) }, ['g[E<-I]', 'g2[E<-I]']),
      boot(['g[E<-I]', 'g2[E<-I]', 'g[E<-E]']),
    );
    expect(Object.keys(blocks.bootstrap.estimates)).toEqual(['g[E<-E]']);
    expect(blocks.params['g[E<-I]'].ci95).toEqual([0, 0.1]);
  });

  it('an estimate from ten refits\' errors: bias their mean, sd theirs, interval ± t(9)·sd·√1.1 = 2.372 sd about the bias-corrected value; an estimate outside it is named in a note', () => {
    // errors with mean 3e-4 and sd 5e-5 exactly: ±5e-5·√(9/10) around the mean, five each way
    const d = 5e-5 * Math.sqrt(0.9);
    const errors = Array.from({ length: 10 }, (_, b) => 3e-4 + (b % 2 === 0 ? d : -d));
    const D = estimateFromErrors('D', 0.0504, errors)!;
    expect(D.bias).toBeCloseTo(3e-4, 12);
    expect(D.sd).toBeCloseTo(5e-5, 12);
    const half = 2.262157 * Math.sqrt(1.1) * 5e-5; // Student t(9) 97.5 % quantile
    expect(D.ci95[0]).toBeCloseTo(0.0501 - half, 8);
    expect(D.ci95[1]).toBeCloseTo(0.0501 + half, 8);
    expect(estimateFromErrors('D', 0.0504, errors.slice(0, 4))).toBeUndefined(); // fewer than 5 refits
    // a positive quantity's interval stops at 0; J0's does not
    expect(estimateFromErrors('g', 0.01, errors.map((e) => e * 100))!.ci95[0]).toBe(0);
    expect(estimateFromErrors('J0', 0.01, errors.map((e) => e * 100))!.ci95[0]).toBeLessThan(0);
    const g = estimateFromErrors('g', 1.2, errors.map((e) => e * 10))!; // bias 3e-3, sd 5e-4: [1.1958, 1.1982], 1.2 outside
    const fit = { params: { D: { value: 0.0504, se: 1e-5, ci95: [0.0503, 0.0505] }, g: { value: 1.2, se: 0.01, ci95: [1.18, 1.22] }, J0: { value: 0, se: 0.1, ci95: [-0.2, 0.2] } }, notes: [], data: { units: 100 } } as unknown as FitResult;
    const J0 = { bias: 0.01, sd: 0.05, ci95: [-0.13, 0.11] as [number, number] };
    const booted = withNetworkBootstrap(fit, { method: 'networks', networks: 10, networkSize: 100, seed: 1, estimates: { D, g, J0 }, sampling: {} });
    expect(booted.params.D.value).toBe(0.0504); // the fit's own estimate is kept
    const note = booted.notes.find((t) => t.startsWith('outside its bootstrap interval'))!;
    expect(note).toContain('D 0.0504 (bias +0.0003, 6.0 sd; bias-corrected 0.0501)');
    expect(note).toContain('g 1.2 (bias +0.003, 6.0 sd; bias-corrected 1.197)');
    expect(note).not.toContain('J0');
    const inside = withNetworkBootstrap(fit, { method: 'networks', networks: 10, networkSize: 100, seed: 1, estimates: { J0 }, sampling: {} });
    expect(inside.notes.some((t) => t.startsWith('outside'))).toBe(false);
  });
});

describe('V18: two populations (g² per block within 10 %)', () => {
  const groups = (n: number) => new Int32Array(2 * n).map((_, i) => (i < n ? 0 : 1));
  const spec = (g2: number[][], n: number) => ({ phi: 'tanh' as const, sizes: [n, n], names: ['A', 'B'], g2, J0: [[0, 0], [0, 0]], D: [0.1, 0.1], tau: 1, s: 0 });
  // A zero block has no relative error to bound: 0.05 absolute is about 1 % of the other blocks' g².
  const check = (est: number[][], g2: number[][]) => {
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 2; b++) {
        if (g2[a][b] === 0) expect(est[a][b]).toBeLessThan(0.05);
        else expect(rel(est[a][b], g2[a][b])).toBeLessThan(0.1);
      }
  };
  const g2Zero = [[4, 0], [0, 6]];
  it('g² = (4, 0, 0, 6): spectral loss, N = 2×500: converged, zero blocks at 0 with upper bounds < 0.1; D̂ within 2 %', async () => {
    const g2 = g2Zero;
    const sim = await simulateSpec(spec(g2, 500), { dt: 0.05, steps: 20000, seed: 41 });
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, populations: { names: ['A', 'B'], groups: groups(500) } });
    check(f.natural.g2, g2); // 3.988, 0, 0, 5.970 (se 0.039, 0.034)
    // The zero blocks have no optimum in log g² (the loss falls towards g² = 0): held at 0, the fit
    // converges and reports one-sided 95 % upper bounds, 0.040 and 0.062 here (0.034–0.093 for seeds 42, 43),
    // instead of a log-scale interval.
    expect(f.convergence.converged).toBe(true);
    for (const blk of ['A<-B', 'B<-A']) {
      const e = f.params[`g2[${blk}]`];
      expect(e.value).toBe(0);
      expect(e.ci95[0]).toBe(0);
      expect(e.ci95[1]).toBeGreaterThan(0);
      expect(e.ci95[1]).toBeLessThan(0.1);
    }
    expect(f.notes.join(' ')).toMatch(/consistent with zero: .*g²\[A<-B\], g²\[B<-A\]/);
    // Against the realised blocks: −0.4 %, −0.7 % (−0.7 … −1.4 % for seeds 42, 43: the spectral loss's
    // O(1/N) bias, THEORY §2.4; the exact loss is within 0.5 % on those seeds).
    const realised = sim.realised.g.map((row) => row.map((g) => g * g));
    for (const a of [0, 1]) expect(rel(f.natural.g2[a][a], realised[a][a])).toBeLessThan(0.02);
    for (const a of ['A', 'B']) expect(rel(f.params[`D[${a}]`].value, 0.1)).toBeLessThan(0.02); // 0.09990, 0.10009
  });
  it('g² = (4, 0, 0, 6), exact loss, N = 2×150: every seed converges; a block is held at 0, or released below 0.002 with a profile-likelihood interval from 0', async () => {
    // Before: seed 41 stopped with a Hessian not positive definite along log g²[B<-A] (float32 L-BFGS stalls
    // where the loss is flat in log g²); seed 43 "converged" with g²[B<-A] 5e-6 and a log-scale interval
    // [8e-23, 4e11]. Now both converge: seed 41 holds A<-B (bound 0.00050) and releases B<-A (0.00025);
    // seed 43 holds both (bounds 0.00052).
    const held: Record<number, string[]> = { 41: ['A<-B'], 43: ['A<-B', 'B<-A'] };
    for (const seed of [41, 43]) {
      const sim = await simulateSpec(spec(g2Zero, 150), { dt: 0.05, steps: 20000, seed });
      const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'exact', populations: { names: ['A', 'B'], groups: groups(150) } });
      expect(f.convergence.converged).toBe(true);
      check(f.natural.g2, g2Zero);
      for (const blk of ['A<-B', 'B<-A']) {
        const e = f.params[`g2[${blk}]`];
        if (held[seed].includes(blk)) {
          expect(e.value).toBe(0);
          expect(e.ci95[1]).toBeLessThan(0.002);
        } else {
          // released near zero (log-scale SE > 0.5): its interval is the profile likelihood's and covers
          // the truth 0 (it was log-normal, [3e-5, 2e-3])
          expect(e.value).toBeLessThan(0.002);
          expect(e.ci95[0]).toBe(0);
          expect(e.ci95[1]).toBeGreaterThan(e.value);
          expect(e.ci95[1]).toBeLessThan(0.002);
          expect(f.notes.join(' ')).toMatch(new RegExp(`weakly determined: g²\\[${blk}\\] \\(log-scale standard error [0-9.]+\\); the 95 % interval is from the profile likelihood`));
        }
      }
      const realised = sim.realised.g.map((row) => row.map((g) => g * g));
      for (const a of [0, 1]) expect(rel(f.natural.g2[a][a], realised[a][a])).toBeLessThan(0.03);
    }
  });
  it('g² = (0.5, 1.5, 2.5, 3.5): the spectral fit flags inseparable blocks; the exact loss recovers them (N = 2×300)', async () => {
    const g2 = [[0.5, 1.5], [2.5, 3.5]];
    const sim = await simulateSpec(spec(g2, 300), { dt: 0.05, steps: 20000, seed: 41 });
    const pops = { names: ['A', 'B'], groups: groups(300) };
    const spectral = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, populations: pops });
    expect(spectral.notes.join(' ')).toMatch(/separates the blocks poorly/);
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, populations: pops, loss: 'exact' });
    check(f.natural.g2, g2);
    for (const a of ['A', 'B']) expect(rel(f.params[`D[${a}]`].value, 0.1)).toBeLessThan(0.02);
    expect(f.convergence.converged).toBe(true);
  });
});

describe('V19/V20: exact loss with a mean coupling and with noiseless data', () => {
  it('V19: N=500, g=1.5, D=0.1, J0=0.8: |Ĵ0 − J0| < 3g/√N; ĝ within 0.5 % of realised; D̂ within 1 %', async () => {
    const sim = await simulateIid({ N: 500, g: 1.5, D: 0.1, J0: 0.8 }, { dt: 0.05, steps: 20000, seed: 3 });
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'exact' });
    expect(Math.abs(f.params.J0.value - 0.8)).toBeLessThan((3 * 1.5) / Math.sqrt(500));
    expect(rel(f.params.g.value, sim.realised.g[0][0])).toBeLessThan(0.005);
    expect(rel(f.params.D.value, 0.1)).toBeLessThan(0.01);
  });
  it('V20: D = 0 data, exact loss, T > N: the fit stays finite (σ² floor)', async () => {
    const sim = await simulateIid({ N: 200, g: 1.5, D: 0 }, { dt: 0.05, steps: 2000, seed: 5 });
    const f = await fitRecording(sim.recording, { phi: 'tanh', dt: 0.05, loss: 'exact' });
    expect(Number.isFinite(f.loss.value)).toBe(true);
    expect(Number.isFinite(f.params.g.value)).toBe(true);
    // V20 asks only that the fit stays finite. Noise-free data bias ĝ low: −5.6 % here, −3.3 … −7.7 % for
    // seeds 1–8 (standard errors ~0.6 %). The bias is not the floor's: 1e-6 instead of 1e-8 of var(y) gives
    // the same ĝ (while 1e-11 lets seed 1 diverge). 8 % therefore bounds the bias, not just a divergence.
    expect(rel(f.params.g.value, sim.realised.g[0][0])).toBeLessThan(0.08);
    expect(f.params.D.value).toBeLessThan(1e-3);
  });
});

describe('coarse sampling (THEORY §2.3 caveat 3)', () => {
  it('sampled every 0.5 τ: exponential-Euler recovers g within 3 % and D within 5 %; plain Euler misses D by > 30 %', async () => {
    const sim = await simulateIid({ N: 300, g: 1.5, D: 0.1 }, { dt: 0.05, steps: 100000, seed: 8 });
    const r = sim.recording;
    const k = 10;
    const n = r.nUnits;
    const S = Math.floor((r.nSamples - 1) / k) + 1;
    const data = new Float64Array(S * n);
    for (let t = 0; t < S; t++) for (let i = 0; i < n; i++) data[t * n + i] = r.data[t * k * n + i];
    const coarse = { ...r, data, nSamples: S, dt: 0.5, time: undefined };
    const expEuler = await fitRecording(coarse, { phi: 'tanh', dt: 0.5, discretisation: 'exp-euler' });
    expect(rel(expEuler.params.g.value, 1.5)).toBeLessThan(0.03);
    expect(rel(expEuler.params.D.value, 0.1)).toBeLessThan(0.05);
    const euler = await fitRecording(coarse, { phi: 'tanh', dt: 0.5, discretisation: 'euler' });
    expect(rel(euler.params.D.value, 0.1)).toBeGreaterThan(0.3);
  });
});
