/**
 * Bayesian forecasting (THEORY §3): the GP conditional in closed form, the §3.4 / V21 calibration of the
 * theory kernel at FITTED parameters on held-out data, the kernel against the baselines, and the CLI.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitRecording } from '../src/fit/fit.js';
import { buildFitFile } from '../src/fitfile/build.js';
import { gpPredictor, type StationaryKernel } from '../src/predict/gaussian.js';
import { evaluateSplit, sliceRecording, type EvaluationReport } from '../src/predict/forecast.js';
import { ensureBuilt, runCli } from './helpers/cli.js';
import { simulateIid } from './helpers/sim.js';

describe('GP conditional (THEORY §3.1)', () => {
  it('Ornstein–Uhlenbeck kernel: one-step mean e^{−Δ}·x_last, variance C(0)(1 − e^{−2Δ}); h steps: C(0)(1 − e^{−2hΔ})', () => {
    const c0 = 0.7;
    const dt = 0.5;
    const context = 30;
    const horizon = 4;
    const cov = Float64Array.from({ length: context + horizon + 1 }, (_, k) => c0 * Math.exp(-k * dt));
    const kernel: StationaryKernel = { name: 'ou', dt, centre: 0.3, cov, note: '' };
    const p = gpPredictor(kernel, context, horizon);
    // Markov: only the last past sample carries weight, e^{−hΔ} for h steps ahead
    for (let h = 0; h < horizon; h++) {
      for (let i = 0; i < context - 1; i++) expect(Math.abs(p.weights[h * context + i])).toBeLessThan(1e-7);
      expect(p.weights[h * context + context - 1]).toBeCloseTo(Math.exp(-(h + 1) * dt), 7);
      expect(p.covariance[h * horizon + h]).toBeCloseTo(c0 * (1 - Math.exp(-2 * (h + 1) * dt)), 7);
    }
    // joint: cov(x_{t+1}, x_{t+2} | past) = e^{−Δ}·Var(x_{t+1} | past)
    expect(p.covariance[1]).toBeCloseTo(Math.exp(-dt) * c0 * (1 - Math.exp(-2 * dt)), 7);
    expect(p.centre).toBe(0.3);
  });
});

/**
 * §3.4: tanh g = 1.5, D = 0.1, N = 1000, Euler dt 0.05 for 1000 time units. The model is FITTED
 * (Whittle) on the first 500 time units at dt 0.05; kernels and baselines are then applied to the last
 * 500 time units sampled every 0.5 (context 60 = 30 time units, horizon 30 = 15 time units).
 */
describe('V21: calibration of the theory kernel at fitted parameters (THEORY §3.4)', () => {
  let report: EvaluationReport;
  let continuous: EvaluationReport;
  const at = [1, 4, 16, 30]; // horizons 0.5, 2, 8, 15 in steps of 0.5
  const table = [0.0982, 0.3522, 0.7315, 0.7703];

  beforeAll(async () => {
    const sim = await simulateIid({ N: 1000, g: 1.5, D: 0.1 }, { dt: 0.05, steps: 20000, seed: 2101 });
    const rec = sim.recording;
    const half = 10000;
    const fitted = await fitRecording(sliceRecording(rec, 0, half + 1), { phi: 'tanh', dt: 0.05, loss: 'whittle' });
    const fit = buildFitFile(fitted, rec, { command: 'test', backend: 'wasm' });
    const train = sliceRecording(rec, 0, half + 1, 10);
    const test = sliceRecording(rec, half, rec.nSamples, 10);
    report = await evaluateSplit(fit, train, test, { context: 60, horizon: 30, stride: 5 });
    continuous = await evaluateSplit(fit, train, test, { context: 60, horizon: 30, stride: 5, kernels: ['theory'], baselines: [], theory: { solver: 'stationary' } });
  }, 90_000);

  it('theory kernel: MSE/predicted var in [0.9, 1.1] and 2σ coverage in [0.93, 0.97] at horizons 0.5, 2, 8, 15', () => {
    const s = report.kernels.theory!.perHorizon;
    console.log(at.map((h, q) => `h ${s.time[h - 1]}: var ${s.predicted_var[h - 1].toFixed(4)} (table ${table[q]}) mse ${s.mse[h - 1].toFixed(4)} ratio ${s.mse_over_var[h - 1].toFixed(3)} cov95 ${s.coverage95[h - 1].toFixed(3)} lpd ${s.lpd[h - 1].toFixed(4)}`).join('\n'));
    console.log(report.kernels.theory!.note);
    for (const h of at) {
      expect(s.mse_over_var[h - 1]).toBeGreaterThan(0.9);
      expect(s.mse_over_var[h - 1]).toBeLessThan(1.1);
      expect(s.coverage95[h - 1]).toBeGreaterThan(0.93);
      expect(s.coverage95[h - 1]).toBeLessThan(0.97);
    }
  });

  it('predicted variances: continuous DMFT within 1.5 % of the §3.4 table, the Euler-step kernel (used) within 6 %', () => {
    // The table is the continuous theory; the simulated (and fitted) model is the Euler network at
    // dt 0.05, whose exact kernel decorrelates slightly faster (+5 % one-step variance at h = 0.5).
    const s = report.kernels.theory!.perHorizon;
    const c = continuous.kernels.theory!.perHorizon;
    console.log(at.map((h, q) => `h ${c.time[h - 1]}: continuous var ${c.predicted_var[h - 1].toFixed(4)} ratio ${c.mse_over_var[h - 1].toFixed(3)} cov95 ${c.coverage95[h - 1].toFixed(3)} (table ${table[q]})`).join('\n'));
    at.forEach((h, q) => {
      expect(Math.abs(c.predicted_var[h - 1] - table[q]) / table[q]).toBeLessThan(0.015);
      expect(Math.abs(s.predicted_var[h - 1] - table[q]) / table[q]).toBeLessThan(0.06);
      // the discrete kernel is the better-calibrated one on Euler data at short horizons
      if (h === 1) expect(Math.abs(s.mse_over_var[0] - 1)).toBeLessThan(Math.abs(c.mse_over_var[0] - 1));
    });
    expect(continuous.kernels.theory!.note).toMatch(/continuous stationary/);
    expect(report.kernels.theory!.note).toMatch(/discrete-time DMFT/);
  });

  it('beyond 2 time constants the theory LPD is within 2 % of the best AR(p ≤ 20) and above persistence', () => {
    const th = report.kernels.theory!.perHorizon;
    const ar = report.baselines.ar!.perHorizon;
    const pe = report.baselines.persistence!.perHorizon;
    const all = { ...report.kernels, ...report.baselines };
    console.log(Object.entries(all).map(([k, v]) => `${k}: lpd ${v!.lpd.toFixed(4)} mse ${v!.mse.toFixed(4)} ratio ${v!.mse_over_var.toFixed(3)} c95 ${v!.coverage95.toFixed(3)}`).join('\n'));
    console.log(`AR p = ${report.info.ar?.p}`, [4, 8, 16, 30].map((h) => `h${h}: th ${th.lpd[h - 1].toFixed(4)} ar ${ar.lpd[h - 1].toFixed(4)} pe ${pe.lpd[h - 1].toFixed(4)}`).join(' | '));
    // the data-driven kernels and AR are calibrated too; the SE GP (smooth kernel + nugget) is not
    for (const v of [report.kernels.plugin!, report.kernels.empirical!, report.baselines.ar!]) {
      expect(Math.abs(v.mse_over_var - 1)).toBeLessThan(0.05);
      expect(Math.abs(v.coverage95 - 0.95)).toBeLessThan(0.01);
    }
    expect(report.baselines.se_gp!.lpd).toBeLessThan(report.kernels.theory!.lpd - 0.05);
    for (let h = 5; h <= 30; h++) {
      // horizon h·0.5 > 2 τ
      expect(Math.abs(th.lpd[h - 1] - ar.lpd[h - 1])).toBeLessThan(0.02 * Math.abs(ar.lpd[h - 1]));
      expect(th.lpd[h - 1]).toBeGreaterThan(pe.lpd[h - 1]);
    }
  });
});

describe('connfit forecast (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'connfit-forecast-'));
  const rec = join(dir, 'rec.csv');
  const fitPath = join(dir, 'fit.json');

  beforeAll(async () => {
    await ensureBuilt();
    const sim = await runCli('simulate', '--N', '200', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '8000', '--observe', '100', '--seed', '7', '--out', rec, '--quiet');
    expect(sim.code).toBe(0);
    const fit = await runCli('fit', rec, '--dt', '0.05', '--phi', 'tanh', '--out', fitPath, '--quiet');
    expect(fit.code).toBe(0);
  }, 300_000);

  it('--evaluate --json: {mse, mse_over_var, coverage50, coverage95, lpd} per kernel and baseline; theory calibrated', async () => {
    const r = await runCli('forecast', fitPath, '--data', rec, '--dt', '0.05', '--context', '60', '--horizon', '20', '--evaluate', '--stride', '5', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const groups = { kernels: ['theory', 'plugin', 'empirical'], baselines: ['persistence', 'ar', 'se_gp'] } as const;
    for (const [group, names] of Object.entries(groups)) {
      for (const name of names) {
        const s = out[group][name];
        for (const f of ['mse', 'mse_over_var', 'coverage50', 'coverage95', 'lpd']) expect(Number.isFinite(s[f])).toBe(true);
        expect(s.perHorizon.mse).toHaveLength(20);
      }
    }
    expect(out.setup).toMatchObject({ context: 60, horizon: 20, units: 100, trainSamples: 4000, testSamples: 4001, stride: 5 });
    // 100 units × 200 time units held out: the fitted network's kernel is calibrated to a few per cent
    const th = out.kernels.theory;
    expect(th.mse_over_var).toBeGreaterThan(0.93);
    expect(th.mse_over_var).toBeLessThan(1.07);
    expect(th.coverage95).toBeGreaterThan(0.94);
    expect(th.coverage95).toBeLessThan(0.96);
    expect(th.coverage50).toBeGreaterThan(0.47);
    expect(th.coverage50).toBeLessThan(0.53);
    // one step of 0.05 ahead the predicted variance is ≈ 2D·dt = 0.01 (noise-dominated)
    expect(th.perHorizon.predicted_var[0]).toBeGreaterThan(0.0095);
    expect(th.perHorizon.predicted_var[0]).toBeLessThan(0.0115);
    expect(th.lpd).toBeGreaterThan(out.baselines.persistence.lpd);
  }, 120_000);

  it('--out writes per-unit mean, sd and 95 % interval for each future sample', async () => {
    const csv = join(dir, 'forecast.csv');
    const r = await runCli('forecast', fitPath, '--data', rec, '--dt', '0.05', '--context', '60', '--horizon', '20', '--out', csv);
    expect(r.code).toBe(0);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('unit,time,step,mean,sd,lower95,upper95');
    expect(lines).toHaveLength(1 + 100 * 20);
    const [, time, step, mean, sd, lo, hi] = lines[20].split(',').map(Number);
    expect(step).toBe(20);
    expect(time).toBeCloseTo(8000 * 0.05 + 20 * 0.05, 9);
    expect(hi - mean).toBeCloseTo(1.959964 * sd, 5);
    expect(mean - lo).toBeCloseTo(1.959964 * sd, 5);
  }, 60_000);

  it('--kernel network on a spectral-loss fit of a subsample runs with a note that the ensemble takes the recorded units for the network', async () => {
    const r = await runCli('forecast', fitPath, '--data', rec, '--kernel', 'network', '--network-members', '5', '--horizon', '5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.notes.join(' ')).toMatch(/takes the 100 recorded units for the whole network; this fit \(whittle loss\)/);
    const text = await runCli('forecast', fitPath, '--data', rec, '--kernel', 'network', '--network-members', '5', '--horizon', '5');
    expect(text.stdout).toMatch(/^note: the network ensemble takes the 100 recorded units/m);
  }, 60_000);

  it('bad input: unit count, step and fit-file field are refused with exit code 2 and named', async () => {
    const small = join(dir, 'small.csv');
    writeFileSync(small, 'a,b\n' + Array.from({ length: 200 }, (_, t) => `${Math.sin(t / 5)},${Math.cos(t / 7)}`).join('\n') + '\n');
    const units = await runCli('forecast', fitPath, '--data', small, '--dt', '0.05');
    expect(units.code).toBe(2);
    expect(units.stderr).toMatch(/2 units but the fit was made on 100 .*fit\.json: data\.units/);
    const wide = join(dir, 'wide.csv');
    const cols = Array.from({ length: 100 }, (_, i) => i);
    writeFileSync(wide, cols.map((i) => `u${i}`).join(',') + '\n' + Array.from({ length: 200 }, (_, t) => cols.map((i) => Math.sin(t / 5 + i)).join(',')).join('\n') + '\n');
    const step = await runCli('forecast', fitPath, '--data', wide, '--dt', '0.07');
    expect(step.code).toBe(2);
    expect(step.stderr).toMatch(/step 0\.07 is not a whole multiple of the fit's step 0\.05.*data\.dt/);
    const broken = join(dir, 'broken.json');
    const f = JSON.parse(readFileSync(fitPath, 'utf8'));
    delete f.model.natural;
    writeFileSync(broken, JSON.stringify(f));
    const bad = await runCli('forecast', broken, '--data', rec, '--dt', '0.05');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/broken\.json.*model\.natural/);
    // a recording too short for --evaluate's training half (was blamed on the plug-in kernel and --context)
    const short = join(dir, 'short.csv');
    writeFileSync(short, readFileSync(rec, 'utf8').split('\n').slice(0, 201).join('\n') + '\n');
    const brief = await runCli('forecast', fitPath, '--data', short, '--dt', '0.05', '--evaluate');
    expect(brief.code).toBe(2);
    expect(brief.stderr).toMatch(/--data: the recording has 200 samples: the evaluation needs a training part \(the first 0\.5 of them, 100\) of more than 2 × \(context \+ horizon\) = 160 samples/);
  }, 60_000);
});

describe('connfit forecast (CLI): options that would do nothing are refused; the seed of the network ensemble', () => {
  const dir = mkdtempSync(join(tmpdir(), 'connfit-forecast-options-'));
  const rec = join(dir, 'rec.csv');
  const fitPath = join(dir, 'fit.json');

  beforeAll(async () => {
    await ensureBuilt();
    // 20 units, all recorded, exact loss: what the network ensemble assumes
    const sim = await runCli('simulate', '--N', '20', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '1500', '--seed', '3', '--out', rec, '--quiet');
    expect(sim.code, sim.stderr).toBe(0);
    const fit = await runCli('fit', rec, '--loss', 'exact', '--out', fitPath, '--quiet');
    expect(fit.code, fit.stderr).toBe(0);
  }, 120_000);

  it('refused (exit 2, naming the option, nothing written): --evaluate options without --evaluate, ensemble options without the ensemble, --context for the ensemble, --theory-solver without the theory kernel', async () => {
    const deterministic = /--seed: seeds the network ensemble \(--kernel network, or --evaluate with --network-members K > 0\); the GP forecasts are deterministic and take no seed: drop it/;
    const cases: [string[], RegExp][] = [
      [['--stride', '5'], /--stride: applies to --evaluate only .*add --evaluate, or drop it/],
      [['--train-fraction', '0.4'], /--train-fraction: applies to --evaluate only/],
      [['--ar-max-order', '5'], /--ar-max-order: applies to --evaluate only/],
      [['--network-windows', '5'], /--network-windows: applies to --evaluate only/],
      [['--network-members', '5'], /--network-members: applies with --kernel network or --evaluate/],
      [['--evaluate', '--network-windows', '5'], /--network-windows: applies when --evaluate scores the network ensemble/],
      [['--seed', '5'], deterministic],
      [['--kernel', 'plugin', '--seed', '5'], deterministic],
      [['--evaluate', '--seed', '5'], deterministic],
      [['--kernel', 'network', '--context', '10'], /--context: does not apply to --kernel network \(the ensemble simulates forward from the last sample/],
      [['--kernel', 'plugin', '--theory-solver', 'discrete'], /--theory-solver: applies to the theory kernel only \(--kernel plugin does not use it\)/],
      [['--evaluate', '--kernel', 'empirical', '--theory-solver', 'stationary'], /--theory-solver: applies to the theory kernel only/],
    ];
    const out = join(dir, 'never.csv');
    const results = await Promise.all(cases.map(([args]) => runCli('forecast', fitPath, '--data', rec, '--horizon', '3', '--out', out, ...args)));
    cases.forEach(([args, message], k) => {
      expect(results[k].code, args.join(' ')).toBe(2);
      expect(results[k].stderr, args.join(' ')).toMatch(message);
    });
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('--evaluate --out writes the scores per predictor and horizon step; their means over the steps are the overall scores', async () => {
    const out = join(dir, 'scores.csv');
    const r = await runCli('forecast', fitPath, '--data', rec, '--evaluate', '--context', '10', '--horizon', '3', '--stride', '10', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('kind,predictor,step,time,predicted_var,mse,mse_over_var,coverage50,coverage95,lpd');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength((3 + 3) * 3); // theory, plugin, empirical; persistence, ar, se_gp; 3 steps
    const theory = rows.filter((c) => c[0] === 'kernel' && c[1] === 'theory');
    expect(theory.map((c) => Number(c[2]))).toEqual([1, 2, 3]);
    expect(Number(theory[2][3])).toBeCloseTo(0.15, 12);
    const mean = (k: number) => theory.reduce((s, c) => s + Number(c[k]), 0) / 3;
    expect(mean(5)).toBeCloseTo(report.kernels.theory.mse, 12);
    expect(mean(9)).toBeCloseTo(report.kernels.theory.lpd, 12);
    expect(rows.filter((c) => c[0] === 'baseline').map((c) => c[1])).toEqual(['persistence', 'persistence', 'persistence', 'ar', 'ar', 'ar', 'se_gp', 'se_gp', 'se_gp']);
    // no ensemble ran: no seed was used
    expect(report.seed).toBeNull();
    const text = await runCli('forecast', fitPath, '--data', rec, '--evaluate', '--context', '10', '--horizon', '3', '--stride', '10', '--out', out);
    expect(text.stdout).toContain(`scores written to ${out}`);
  }, 60_000);

  it('--kernel network: --json reports the seed used (1 by default); the same seed gives the same forecast, another seed another', async () => {
    const forecast = async (...args: string[]) => {
      const r = await runCli('forecast', fitPath, '--data', rec, '--kernel', 'network', '--network-members', '4', '--horizon', '3', '--json', ...args);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const byDefault = await forecast();
    expect(byDefault.seed).toBe(1);
    const one = await forecast('--seed', '1');
    expect(one.seed).toBe(1);
    expect(one.units).toEqual(byDefault.units);
    const [five, fiveAgain, six] = await Promise.all([forecast('--seed', '5'), forecast('--seed', '5'), forecast('--seed', '6')]);
    expect(five.seed).toBe(5);
    expect(fiveAgain.units).toEqual(five.units);
    expect(six.seed).toBe(6);
    expect(six.units.u0.mean).not.toEqual(five.units.u0.mean);
    // --evaluate with the ensemble reports its seed too (was null)
    const ev = await runCli('forecast', fitPath, '--data', rec, '--evaluate', '--kernel', 'network', '--network-members', '3', '--network-windows', '4', '--context', '10', '--horizon', '3', '--json');
    expect(ev.code, ev.stderr).toBe(0);
    const report = JSON.parse(ev.stdout);
    expect(report.seed).toBe(1);
    expect(Object.keys(report.kernels)).toEqual(['network']);
    const help = await runCli('forecast', '--help');
    expect(help.stdout).toMatch(/--seed <n>\s+seed of the network ensemble/);
    expect(help.stdout).not.toMatch(/recorded for reproducibility/);
  }, 60_000);
});
