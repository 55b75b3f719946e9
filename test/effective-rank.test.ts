/**
 * Effective rank α·PR_D from activity (THEORY §5.3): the pieces that can be checked exactly, and the
 * finite-size calibration on one small teacher, the coupling estimate at N = 200 and the CLI. The
 * issue's N = 1000 teachers are in effective-rank-n1000.test.ts (from the couplings); the activity
 * estimate at N = 1000 takes minutes per network and lives in bench/effective-rank.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareEigensolver } from '../src/linalg/eigh.js';
import { randomModeSpectrum, randomModeStatistics } from '../src/simulate/randomMode.js';
import { participationRatio } from '../src/statistics/dimension.js';
import { blockMoments, effectiveRankFromActivity, fitFiniteSizeCurve, pooledPr, rankFromPr } from '../src/structure/effectiveRank.js';
import { participationRatioTheory } from '../src/theory/participation.js';
import { iidNetwork } from '../src/simulate/network.js';
import { matrixSpectrumStats } from '../src/statistics/dimension.js';
import { rel, simulateSpec } from './helpers/sim.js';

beforeAll(prepareEigensolver);

describe('effective rank', () => {
  it('the §5.3 inversion returns the rank that produced the theoretical PR (erf g_eff 2, r = 0.05 … 20)', () => {
    const iid = participationRatioTheory({ phi: 'erf', g: 2 });
    for (const r of [0.05, 0.3, 3, 20]) {
      const pr = participationRatioTheory({ phi: 'erf', g: 2, effectiveRank: r }).pr_phi;
      expect(rel(rankFromPr(pr, iid.pr_phi, iid.k_phi), r)).toBeLessThan(1e-6);
    }
    expect(rankFromPr(1.01 * iid.pr_phi, iid.pr_phi, iid.k_phi)).toBe(Infinity);
  });

  it("random-mode spectra have the requested α·PR_D and g_eff, and the drawn J's PR_S matches §1.3c", async () => {
    for (const r of [0.3, 3]) {
      const spec = randomModeSpectrum(400, r, 2);
      const s = randomModeStatistics(spec, 400);
      expect(rel(s.effectiveRank, r)).toBeLessThan(1e-3); // PR_D = tanh β/β holds for M → ∞
      expect(rel(s.gEff, 2)).toBeLessThan(1e-9);
      const sim = await simulateSpec({ ...iidNetwork({ N: 400, g: 2, D: 0 }), randomModes: spec }, { dt: 0.05, steps: 10, burnIn: 0, seed: 2, keepCouplings: true });
      const m = matrixSpectrumStats(sim.couplings!, 400);
      // PR_S = αPR_D/(1 + 2αPR_D): 0.1875 and 0.4286 (finite-N scatter a few %)
      expect(rel(m.pr_s, r / (1 + 2 * r))).toBeLessThan(0.05);
      expect(rel(m.g_eff, 2)).toBeLessThan(0.02);
    }
  });

  it('the block-pooled PR equals the eigenvalue PR of the whole recording', async () => {
    const sim = await simulateSpec(iidNetwork({ N: 60, g: 1.5, D: 0.1 }), { dt: 0.05, steps: 4000, seed: 3 });
    const m = blockMoments(sim.recording, 'tanh', 8);
    const pooled = pooledPr(m, [0, 1, 2, 3, 4, 5, 6, 7], 60);
    expect(rel(pooled, participationRatio(sim.recording, { of: 'phi', phi: 'tanh' }).pr)).toBeLessThan(1e-5);
  });
});

describe('finite-size calibration of the effective rank by simulation', () => {
  it('the finite-size curve fit recovers 1/PR = c0 + c1/r from exact points and inverts it', () => {
    const x = [4, 2, 1, 0.5, 0];
    const fit = fitFiniteSizeCurve(x, x.map((v) => 45 + 30 * v));
    expect(Math.abs(fit.c0 - 45)).toBeLessThan(1e-6);
    expect(Math.abs(fit.c1 - 30)).toBeLessThan(1e-6);
    expect(fit.s2).toBeLessThan(1e-12);
    // log-scale residuals: multiplying one point by e^0.2 and another by e^-0.2 gives s² ≈ 0.08/3
    const noisy = fitFiniteSizeCurve(x, x.map((v, i) => (45 + 30 * v) * Math.exp(i === 1 ? 0.2 : i === 3 ? -0.2 : 0)));
    expect(noisy.dof).toBe(3);
    expect(noisy.s2).toBeGreaterThan(0.01);
    expect(noisy.s2).toBeLessThan(0.08 / 3);
  });

  // One random-mode teacher, N = 400, α·PR_D = 0.3, g_eff = 2 given (the calibration is what is tested,
  // not the fit of ĝ). At this N the activity's PR is far above the N → ∞ theory, so the uncalibrated
  // inversion says 1.13 with a bootstrap interval [0.89, 1.34] that misses 0.3; the calibrated estimate
  // (12 simulated networks) measured 0.50 [0.10, ∞]. Seeds 2 and 3 behave alike (uncalibrated intervals
  // miss, calibrated ones cover); on seed 3 the uncalibrated point estimate is the closer one (0.40 vs
  // 0.15): one network's PR scatters by ~40 % around the finite-N mean, which calibration cannot remove.
  it('covers the true rank of a small random-mode teacher where the N → ∞ inversion does not', async () => {
    const N = 400;
    const r = 0.3;
    const spec = { ...iidNetwork({ N, g: 2, D: 0 }), randomModes: randomModeSpectrum(N, r, 2) };
    const sim = await simulateSpec(spec, { dt: 0.05, steps: 20000, burnIn: 2000, every: 10, seed: 1 });
    const est = await effectiveRankFromActivity(sim.recording, { phi: 'tanh', g: { value: 2, se: 0 }, D: 0, seed: 1, calibrate: { dt: 0.5, networks: 2 } });
    const cal = est.calibration;
    expect(cal.method).toBe('simulation');
    if (cal.method !== 'simulation') return;
    expect(cal.ranks).toHaveLength(12);
    expect(cal.uncalibrated.ci95[0] > r || cal.uncalibrated.ci95[1] < r).toBe(true);
    expect(est.ci95[0]).toBeLessThanOrEqual(r);
    expect(est.ci95[1]).toBeGreaterThanOrEqual(r);
    expect(est.ci95[0]).toBeGreaterThan(r / 10); // an interval, not [0, ∞]
    expect(Math.abs(Math.log(est.value / r))).toBeLessThan(Math.abs(Math.log(cal.uncalibrated.value / r)));
    expect(est.notes.join(' ')).toMatch(/whole network/);
  }, 120_000);
});

describe('effective rank from the couplings of a fully recorded network (§2.3, §2.8)', () => {
  it('the noise- and bias-corrected PR_S of the least-squares couplings: α·PR_D within 25 % of the realised J, intervals cover it and separate 0.3 from 3', async () => {
    const { blockSums } = await import('../src/loss/lowRank.js');
    const { nonlinearity } = await import('../src/nonlinearity.js');
    const { COUPLING_BLOCKS, effectiveRankFromCouplings } = await import('../src/structure/effectiveRank.js');
    const intervals: [number, number][] = [];
    for (const r of [0.3, 3]) {
      const N = 200;
      const steps = 20000;
      const spec = { ...iidNetwork({ N, g: 2, D: 0.1 }), randomModes: randomModeSpectrum(N, r, 2) };
      const sim = await simulateSpec(spec, { dt: 0.05, steps, seed: 5, keepCouplings: true });
      const prTrue = matrixSpectrumStats(sim.couplings!, N).pr_s;
      const realised = prTrue / (1 - 2 * prTrue);
      const bounds = Array.from({ length: COUPLING_BLOCKS + 1 }, (_, k) => Math.round((k * steps) / COUPLING_BLOCKS));
      const sums = blockSums(sim.recording, { a: 20, b: -19, s: 0 }, nonlinearity('tanh'), bounds);
      const est = await effectiveRankFromCouplings(sums, (2 * 0.1) / 0.05);
      // measured: −0.2 % (0.3) and −13 % (3); the noise correction alone gives +11 % and +20 %. At this
      // length (5·N τ) the three-length extrapolation is noisy near PR_S = 1/2; at N = 1000, 8000 τ it
      // is within 2 % (bench/effective-rank-couplings.ts)
      expect(rel(est.value, realised)).toBeLessThan(0.25);
      if (r < 1) expect(Math.abs(est.prS - prTrue)).toBeLessThan(0.2 * Math.abs(est.prSNoiseCorrected - prTrue));
      expect(est.ci95[0]).toBeLessThanOrEqual(realised);
      expect(est.ci95[1]).toBeGreaterThanOrEqual(realised);
      // at low rank, estimation noise pushes the uncorrected PR_S towards the i.i.d. 1/2 (0.245 vs 0.193)
      if (r < 1) expect(Math.abs(est.prSNoiseCorrected - prTrue)).toBeLessThan(0.5 * Math.abs(est.prSRaw - prTrue));
      intervals.push(est.ci95);
    }
    expect(intervals[0][1]).toBeLessThan(intervals[1][0]);
  }, 240_000);
});

describe('connfit fit --effective-rank', () => {
  it('writes structure.effectiveRank = {value, ci95} with the theory at the fitted ĝ', async () => {
    const { ensureBuilt, runCli } = await import('./helpers/cli.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'connfit-er-'));
    try {
      const rec = join(dir, 'rm.csv');
      const sim = await runCli('simulate', '--N', '120', '--g', '2', '--random-modes', '0.5', '--dt', '0.05', '--steps', '6000', '--burn-in', '500', '--seed', '2', '--quiet', '--out', rec);
      expect(sim.code, sim.stderr).toBe(0);
      const run = await runCli('fit', rec, '--effective-rank', '--json');
      expect(run.code, run.stderr).toBe(0);
      const fit = JSON.parse(run.stdout);
      const e = fit.structure.effectiveRank;
      expect(fit.structure.rank).toBe(0);
      expect(e.calibration.method).toBe('simulation'); // on by default
      expect(e.calibration.networkSize).toBe(120);
      expect(e.source).toBe('activity'); // spectral loss: no coupling estimate
      expect(e.ci95).toHaveLength(2);
      expect(e.value === null || e.value > 0).toBe(true);
      const th = participationRatioTheory({ phi: 'tanh', g: fit.params.g.value, D: fit.params.D.value });
      expect(rel(e.prIid, th.pr_phi)).toBeLessThan(1e-6);
      const bad = await runCli('simulate', '--N', '50', '--g', '2', '--random-modes', '3', '--spectrum', 'step', '--dt', '0.05', '--steps', '10', '--quiet', '--out', join(dir, 'x.csv'));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/step spectrum.*≤ 1/);
      const small = await runCli('fit', rec, '--effective-rank', '--network-size', '100', '--json');
      expect(small.code).toBe(2);
      expect(small.stderr).toMatch(/--network-size 100 is smaller than the 120 recorded units/);
      // exact loss (whole network recorded, D > 0): also from the couplings, against the realised J
      const rx = join(dir, 'rx.csv');
      const net = join(dir, 'net.json');
      const sx = await runCli('simulate', '--N', '60', '--g', '2', '--D', '0.1', '--random-modes', '0.5', '--dt', '0.05', '--steps', '20000', '--burn-in', '500', '--seed', '3', '--quiet', '--out', rx, '--save-network', net);
      expect(sx.code, sx.stderr).toBe(0);
      const fx = await runCli('fit', rx, '--loss', 'exact', '--effective-rank', '--calibration', 'none', '--json');
      expect(fx.code, fx.stderr).toBe(0);
      const ex = JSON.parse(fx.stdout).structure.effectiveRank;
      const c = ex.fromCouplings;
      // 1000 τ = 16.7·N τ: the coupling estimate is the reported value, the activity one is kept
      expect(ex.source).toBe('couplings');
      expect(ex.value).toBe(c.value);
      expect(ex.ci95).toEqual(c.ci95);
      expect(ex.fromActivity.ci95).toHaveLength(2);
      const realised = JSON.parse((await runCli('dimension', net, '--json')).stdout).effective_rank; // 0.545
      expect(c.blocks).toBe(8);
      expect(rel(c.value, realised)).toBeLessThan(0.1); // measured 0.506 (−7 %), interval [0.43, 0.60]
      expect(c.ci95[0]).toBeLessThanOrEqual(realised);
      expect(c.ci95[1]).toBeGreaterThanOrEqual(realised);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
