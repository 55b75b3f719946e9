/**
 * `connfit dmft`: JSON contract, human table, discrete mode, populations file and input errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerDmft } from '../cli/commands/dmft.js';
import { discreteTauInf } from '../src/theory/dmftDiscrete.js';

async function run(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  const program = new Command();
  program.exitOverride();
  registerDmft(program);
  let out = '';
  let err = '';
  const w1 = process.stdout.write;
  const w2 = process.stderr.write;
  process.stdout.write = ((chunk: string) => {
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    err += chunk;
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'connfit', 'dmft', ...args]);
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
  const code = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { out, err, code };
}

describe('connfit dmft', () => {
  it('--json prints the contract {delta0, cphi0, tau_1e, tau_int, tau_inf, regime, lags, delta}', async () => {
    const { out, code } = await run(['--phi', 'tanh', '--g', '1.5', '--D', '0.1', '--json']);
    expect(code).toBeUndefined();
    const j = JSON.parse(out);
    for (const k of ['delta0', 'cphi0', 'tau_1e', 'tau_int', 'tau_inf', 'regime', 'lags', 'delta']) expect(j).toHaveProperty(k);
    expect(j.delta0).toBeCloseTo(0.77257, 4);
    expect(j.cphi0).toBeCloseTo(0.34789, 4);
    expect(j.regime).toBe('chaotic');
    expect(j.lags.length).toBe(j.delta.length);
    expect(j.lags[1] - j.lags[0]).toBeCloseTo(0.05, 12);
    expect(j.J0c).toBeCloseTo(1.533, 3);
    expect(j.magnetised).toBeNull();
  });

  it('prints a short table by default', async () => {
    const { out } = await run(['--g', '0.5', '--D', '0.5']);
    expect(out).toMatch(/regime\s+noise-driven/);
    expect(out).toMatch(/Δ0 = <x²>\s+0\.5361/);
    expect(out).toContain('lag');
  });

  it('J0 above J0c reports the magnetised state', async () => {
    const { out } = await run(['--g', '0.5', '--J0', '2', '--json']);
    const j = JSON.parse(out);
    expect(j.magneticStable).toBe(false);
    expect(j.magnetised.static).toBe(true);
    expect(j.magnetised.m).toBeGreaterThan(0.9);
  });

  it('a saturated magnetised state (J0 ≫ J0c) reports m = 1 and J0·m = J0, not the m = 0 branch', async () => {
    // 1 − m ≤ 2 exp(−2μ + 2Δ0) (1 − tanh x ≤ 2e^{−2x}): below an ulp of 1 for all three
    for (const [g, J0] of [
      ['1.5', 100],
      ['1.5', 50],
      ['0.5', 20],
    ] as const) {
      const { out, code } = await run(['--g', g, '--J0', String(J0), '--json']);
      expect(code).toBeUndefined();
      const j = JSON.parse(out);
      expect(Math.abs(j.magnetised.m - 1)).toBeLessThan(2e-15);
      expect(Math.abs(j.magnetised.mu - J0)).toBeLessThan(2e-15 * J0);
      // frozen: Δ0 = g²<φ²> = g²(1 − <sech²>) with <sech²> ≤ 4 exp(−2μ + 2Δ0)
      expect(Math.abs(j.delta0 - Number(g) ** 2)).toBeLessThan(1e-14);
    }
  });

  it('--discrete runs the Euler recursion', async () => {
    const { out } = await run(['--g', '1.5', '--D', '0.1', '--discrete', '--dt', '0.1', '--steps', '600', '--tau-max', '10', '--json']);
    const j = JSON.parse(out);
    expect(j.mode).toBe('discrete');
    expect(j.lags.length).toBe(101);
    expect(j.delta0).toBeGreaterThan(0.77);
    expect(j.delta0).toBeLessThan(0.79);
    expect(j.regime).toBe('chaotic');
  });

  it('--discrete past the magnetic transition follows the magnetised branch (the continuous solution\'s μ and λ_max)', async () => {
    // from μ = 0 the recursion stays on the unstable m = 0 state (λ_max +0.05, "chaotic") by symmetry
    const j = JSON.parse((await run(['--g', String(Math.sqrt(5)), '--D', '0.5', '--J0', '3', '--discrete', '--steps', '1000', '--json'])).out);
    const c = JSON.parse((await run(['--g', String(Math.sqrt(5)), '--D', '0.5', '--J0', '3', '--json'])).out);
    expect(c.magnetised.mu).toBeCloseTo(1.7152, 3);
    expect(Math.abs(j.mean / c.magnetised.mu - 1)).toBeLessThan(0.005); // Euler step 0.05: O(Δ)
    expect(c.lyapunov).toBeCloseTo(-0.1824, 3);
    expect(Math.abs(j.lyapunov - c.lyapunov)).toBeLessThan(0.005);
    expect(j.regime).toBe('noise-driven');
    expect(j.notes.join(' ')).toContain('magnetised branch');
  });

  it('--tau-max trims the output only: the timescales are those of the full solution', async () => {
    const json = async (args: string[]) => JSON.parse((await run(['--g', '1.5', '--D', '0.1', ...args, '--json'])).out);
    // --dt 0.1 --tau-max 5 used to cut the discrete profile before Δ reached Δ0/e (τ_1/e null)
    const full = await json(['--discrete', '--dt', '0.1']);
    const cut = await json(['--discrete', '--dt', '0.1', '--tau-max', '5']);
    expect(cut.lags).toHaveLength(51);
    expect(cut.timescaleRange).toBe(full.timescaleRange);
    expect(cut.notes).toBeUndefined();
    for (const k of ['tau_1e', 'tau_int', 'tau_inf']) expect(Math.abs(cut[k] - full[k])).toBeLessThan(1e-12 * full[k]);
    // the continuous solution reads them off its energy-method profile (V5: τ_1/e = 5.67)
    const cont = await json([]);
    const contCut = await json(['--tau-max', '1']);
    expect(Math.abs(cont.tau_1e - 5.67) / 5.67).toBeLessThan(0.01);
    for (const k of ['tau_1e', 'tau_int', 'tau_inf']) expect(Math.abs(contCut[k] - cont[k])).toBeLessThan(1e-12 * cont[k]);
  });

  it('discrete timescales with a short --tau-max extrapolate to the continuous ones (tanh g 0.5, D 0.5)', async () => {
    const cont = JSON.parse((await run(['--g', '0.5', '--D', '0.5', '--json'])).out);
    // one at a time: run() swaps process.stdout.write while it runs
    const discrete = async (dt: number) =>
      JSON.parse((await run(['--g', '0.5', '--D', '0.5', '--discrete', '--dt', String(dt), '--steps', String(Math.round(20 / dt)), '--tau-max', '0.5', '--json'])).out);
    const coarse = await discrete(0.04);
    const fine = await discrete(0.02);
    // first order in the Euler step: Richardson extrapolation, as in the library test of §4.3
    for (const k of ['tau_1e', 'tau_int']) expect(Math.abs(2 * fine[k] - coarse[k] - cont[k]) / cont[k]).toBeLessThan(5e-4);
  });

  it('--discrete says when τ_1/e lies beyond the lags the solver has', async () => {
    const j = JSON.parse((await run(['--g', '1.5', '--D', '0.1', '--discrete', '--dt', '0.1', '--steps', '10', '--json'])).out);
    expect(j.tau_1e).toBeNull();
    expect(j.timescaleRange).toBeCloseTo(1, 12);
    expect(j.notes[0]).toContain('τ_1/e > 1.000');
    const { out } = await run(['--g', '1.5', '--D', '0.1', '--discrete', '--dt', '0.1', '--steps', '10', '--quiet']);
    expect(out).toMatch(/τ_1\/e\s+> 1\.000 \(not reached, see note\)/);
  });

  it('--populations (discrete): τ_∞ is the tail decay both populations share (Perron root of g²_ab⟨φ\'⟩_b²); past the mean mode\'s transition the state the recursion settles on, or a note', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'connfit-dmft-'));
    const file = join(dir, 'pops.json');
    writeFileSync(file, JSON.stringify({ populations: [{ name: 'E', size: 600, D: 0.1 }, { name: 'I', size: 400, D: 0.3 }], g2: [[0.9, 0.6], [1.2, 0.3]] }));
    const j = JSON.parse((await run(['--populations', file, '--discrete', '--dt', '0.1', '--steps', '1500', '--tau-max', '40', '--json'])).out);
    // measured at dt 0.05: 2.45799 from the formula, the tail's log-slope over 20–55 τ within 1e-6 of it
    const slope = (d: number[], t: number) => -5 / Math.log(d[Math.round((t + 5) / 0.1)] / d[Math.round(t / 0.1)]);
    for (const d of j.deltaByPopulation) expect(Math.abs(slope(d, 30) / j.tau_inf - 1)).toBeLessThan(1e-4);
    expect(j.populations.map((p: { tau_inf: number }) => p.tau_inf)).toEqual([j.tau_inf, j.tau_inf]);
    // neither population's own block would give it (E alone: g² 0.9)
    const own = discreteTauInf(0.1, 0.9 * j.populations[0].meanGain ** 2);
    expect(Math.abs(own / j.tau_inf - 1)).toBeGreaterThan(0.2);
    // past the mean mode's transition: a magnetised E (simulated, 600 + 400 units, 200 τ: mean x 3.980, I −0.034)
    const withJ0 = async (J0: number[][]) => {
      const f = join(dir, `J0-${J0.flat().join('_')}.json`);
      writeFileSync(f, JSON.stringify({ populations: [{ name: 'E', size: 600, D: 0.1 }, { name: 'I', size: 400, D: 0.3 }], g2: [[0.9, 0.6], [1.2, 0.3]], J0 }));
      return JSON.parse((await run(['--populations', f, '--discrete', '--dt', '0.1', '--steps', '600', '--tau-max', '5', '--json'])).out);
    };
    const m = await withJ0([[4, 0], [0, 0]]);
    expect(Math.abs(m.populations[0].mean / 3.98 - 1)).toBeLessThan(0.01);
    expect(Math.abs(m.populations[1].mean)).toBeLessThan(1e-12); // no J0 into I: its mean decays from the start at 1
    expect(m.notes.join(' ')).toMatch(/unstable to the mean mode \(leading eigenvalue of J0_ab<φ'>_b [0-9.]+ ≥ 1\): the recursion was started at mean 1 in every population and settled/);
    // E/I mean couplings whose mean mode oscillates (the simulated E mean swings between ±1.45): no stationary state to follow
    const o = await withJ0([[4, -3], [4, -1]]);
    expect(o.populations.map((p: { mean: number }) => p.mean)).toEqual([0, 0]);
    expect(o.notes.join(' ')).toMatch(/the network leaves it; started at mean 1 the recursion did not settle on a stationary state/);
  });

  it('--populations (discrete) and input errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'connfit-dmft-'));
    const file = join(dir, 'pops.json');
    writeFileSync(file, JSON.stringify({ populations: [{ name: 'E', size: 800 }, { name: 'I', size: 200, D: 0.5 }], g2: [[2.25, 0], [0, 0.25]] }));
    const { out } = await run(['--populations', file, '--D', '0.1', '--discrete', '--dt', '0.1', '--steps', '300', '--tau-max', '5', '--json']);
    const j = JSON.parse(out);
    expect(j.populations.map((p: { name: string }) => p.name)).toEqual(['E', 'I']);
    expect(j.deltaByPopulation).toHaveLength(2);

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ populations: [{ name: 'E', size: 10 }], g2: [[1, 2]] }));
    const e1 = await run(['--populations', bad, '--discrete']);
    expect(e1.code).toBe(2);
    expect(e1.err).toContain('bad.json');

    const e2 = await run(['--D', '0.1']);
    expect(e2.code).toBe(2);
    expect(e2.err).toContain('--g');

    // options the chosen solution would not use are refused, not ignored
    for (const [args, message] of [
      [['--g', '1.5', '--discrete', '--dtau', '0.1'], /--dtau: applies to the stationary solution only \(the lags of --discrete are multiples of --dt\)/],
      [['--populations', file, '--discrete', '--g', '1'], /--g: does not apply with --populations \(the "g2" and "J0" blocks of .*pops\.json set the couplings\)/],
      [['--populations', file, '--discrete', '--J0', '0'], /--J0: does not apply with --populations/],
    ] as [string[], RegExp][]) {
      const e = await run(args);
      expect(e.code, args.join(' ')).toBe(2);
      expect(e.err, args.join(' ')).toMatch(message);
      expect(e.out).toBe('');
    }
  });
});
