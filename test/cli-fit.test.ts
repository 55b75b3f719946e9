/** The fit command's interface contract and its input errors, through the built CLI. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { dataDirectory } from '../src/datasets/registry.js';
import { FitFileSchema } from '../src/fitfile/schema.js';
import { normalGenerator } from '../src/random.js';
import { ensureBuilt, runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'connfit-fit-'));
const run = (args: string[]) => runCli(...args);

beforeAll(ensureBuilt, 300_000);

describe('connfit fit', () => {
  it('--json prints params.g/D/J0 as {value, se, ci95} and --out writes the same versioned file', async () => {
    const rec = join(dir, 'rec.csv');
    const sim = await run(['simulate', '--N', '200', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '4000', '--observe', '100', '--seed', '7', '--out', rec, '--quiet']);
    expect(sim.code).toBe(0);
    const out = join(dir, 'fit.json');
    const r = await run(['fit', rec, '--dt', '0.05', '--phi', 'tanh', '--loss', 'whittle', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const fit = JSON.parse(r.stdout);
    for (const name of ['g', 'D', 'J0']) {
      const e = fit.params[name];
      expect(typeof e.value).toBe('number');
      expect(e.se).toBeGreaterThan(0);
      expect(e.ci95[0]).toBeLessThan(e.value);
      expect(e.ci95[1]).toBeGreaterThan(e.value);
    }
    // 100 of 200 units for 200 time units: g within 8 %, D within 3 % of the truth
    expect(Math.abs(fit.params.g.value - 1.5) / 1.5).toBeLessThan(0.08);
    expect(Math.abs(fit.params.D.value - 0.1) / 0.1).toBeLessThan(0.03);
    const file = FitFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(file.version).toBe(1);
    expect(file.data.units).toBe(100);
    expect(file.data.samples).toBe(4001);
    expect(file.provenance.input.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(file.params.g.value).toBeCloseTo(fit.params.g.value, 12);
  }, 120_000);

  it('--bootstrap-networks B: params g and D take the refits\' sd and interval, the fit file records the bootstrap and the sampling-noise figures; bad uses refused (exit 2)', async () => {
    const rec = join(dir, 'boot.csv');
    expect((await run(['simulate', '--N', '40', '--g', '1.2', '--D', '0.1', '--dt', '0.05', '--steps', '4000', '--seed', '5', '--out', rec, '--quiet'])).code).toBe(0);
    const out = join(dir, 'boot.json');
    const r = await run(['fit', rec, '--bootstrap-networks', '6', '--seed', '3', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const fit = FitFileSchema.parse(JSON.parse(r.stdout));
    const b = fit.bootstrap!;
    expect(b).toMatchObject({ method: 'networks', networks: 6, networkSize: 40, seed: 3 });
    expect(fit.provenance.seed).toBe(3);
    for (const name of ['g', 'D', 'J0']) {
      const e = b.estimates[name];
      expect(fit.params[name].se).toBe(e.sd);
      expect(fit.params[name].ci95).toEqual(e.ci95);
      // centred on the bias-corrected estimate, ± t·sd·√(1 + 1/B): t_0.975 with 5 degrees of freedom is 2.5706
      if (e.ci95[0]! > 0) expect((e.ci95[0]! + e.ci95[1]!) / 2).toBeCloseTo(fit.params[name].value! - e.bias!, 6);
      expect((e.ci95[1]! - (fit.params[name].value! - e.bias!)) / e.sd!).toBeCloseTo(2.5706 * Math.sqrt(7 / 6), 3);
    }
    // 40 units at g 1.2: the network scatter is several times the sampling noise alone
    expect(b.estimates.g.sd!).toBeGreaterThan(1.5 * b.sampling.g.se!);
    expect(fit.notes.some((t) => t.startsWith('network bootstrap: 6 networks of 40 units') && t.includes('taken for the whole network'))).toBe(true);
    expect(fit.notes.some((t) => t.startsWith('spectral loss at strong coupling'))).toBe(false);
    expect(JSON.parse(readFileSync(out, 'utf8')).bootstrap.estimates.g.sd).toBe(b.estimates.g.sd);
    const partialRegions = join(dir, 'part-regions.json');
    const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `u${from + i}`);
    writeFileSync(partialRegions, JSON.stringify({ regions: [{ name: 'A', units: names(0, 20), size: 40 }, { name: 'B', units: names(20, 40) }] }));
    for (const [args, message] of [
      [['--bootstrap-networks', '3'], /--bootstrap-networks must be >= 5, got '3'/],
      [['--bootstrap-networks', '6', '--regions', partialRegions], /part-regions\.json regions\[0\]\.size: the network bootstrap of a multiregion fit needs every region recorded in full; region 'A' has 20 of 40 units recorded/],
      [['--bootstrap-networks', '6', '--network-size', '30'], /--network-size 30 is smaller than the 40 recorded units/],
    ] as const) {
      const bad = await run(['fit', rec, ...args, '--quiet']);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
  }, 180_000);

  it('--fit-leak with the default spectral loss recovers the leak shape s (the bin-0 offset term was NaN for tanh)', async () => {
    const rec = join(dir, 'leak.csv');
    expect((await run(['simulate', '--N', '100', '--g', '0.6', '--D', '0.1', '--leak', '1.5', '--dt', '0.05', '--steps', '10000', '--seed', '3', '--out', rec, '--quiet'])).code).toBe(0);
    const out = join(dir, 'leakfit.json');
    const r = await run(['fit', rec, '--fit-leak', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const fit = JSON.parse(r.stdout);
    expect(fit.loss.form).toBe('whittle');
    // s = 1.5 within 2 % (its standard error is about 0.6 %)
    expect(Math.abs(fit.params.s.value - 1.5) / 1.5).toBeLessThan(0.02);
    // the i.i.d. theory has the plain leak: predict and the PR comparison refuse the fit instead of dropping s
    for (const cmd of ['predict', 'dimension']) {
      const t = await run([cmd, out, '--data', rec, '--sim-time', '0']);
      expect(t.code, cmd).toBe(2);
      expect(t.stderr, cmd).toMatch(/model\.natural\.s: .* needs the leak U = x²\/2 \(s = 0\), as the i\.i\.d\. theory has it; this fit has s = 1\.4/);
    }
  }, 120_000);

  it('--out in a missing directory, naming a directory or an input is refused up front (exit 2) by fit, forecast and simulate', async () => {
    mkdirSync(join(dir, 'adir'), { recursive: true });
    const rec = join(dir, 'never-read.csv'); // the check comes before anything is read
    const commands = [
      ['fit', rec],
      ['forecast', join(dir, 'never-read.json'), '--data', rec],
      ['simulate', '--N', '10', '--g', '1', '--dt', '0.1', '--steps', '10', '--format', 'csv'],
    ];
    for (const args of commands) {
      const missing = await run([...args, '--out', join(dir, 'nodir', 'out.json')]);
      expect(missing.code, args[0]).toBe(2);
      expect(missing.stderr, args[0]).toMatch(/--out: directory '.*nodir' does not exist; create it first/);
      const isDir = await run([...args, '--out', join(dir, 'adir')]);
      expect(isDir.code, args[0]).toBe(2);
      expect(isDir.stderr, args[0]).toMatch(/--out: '.*adir' is a directory/);
    }
    // nor may it replace an input
    for (const args of [['fit', rec, '--out', rec], ['forecast', join(dir, 'never-read.json'), '--data', rec, '--out', rec]]) {
      const same = await run(args);
      expect(same.code, args[0]).toBe(2);
      expect(same.stderr, args[0]).toMatch(/--out: would overwrite the input '.*never-read\.csv'/);
    }
  });

  it('--folds: below 2 refused at parsing; too many for the recording names --folds and the file (exit 2)', async () => {
    const rec = join(dir, 'folds.csv');
    expect((await run(['simulate', '--N', '20', '--g', '0.5', '--D', '0.1', '--dt', '0.05', '--steps', '400', '--seed', '1', '--out', rec, '--quiet'])).code).toBe(0);
    const one = await run(['fit', rec, '--rank', 'auto', '--folds', '1']);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/--folds must be >= 2, got '1'/);
    const many = await run(['fit', rec, '--rank', 'auto', '--folds', '1000']);
    expect(many.code).toBe(2);
    expect(many.stderr).toMatch(/folds\.csv: too short for --rank auto with --folds 1000 .*at least 16001 samples, has 401/);
  });

  it('options that act only with another are refused, not ignored (exit 2): --currents, --max-rank, --folds, --tau/--leak with their fit, --calibration, --units ""', async () => {
    const rec = join(dir, 'never-read.csv'); // refused before the recording is read
    const cases: [string[], RegExp][] = [
      [['--currents'], /--currents: applies with --rank R or --regions/],
      [['--max-rank', '3'], /--max-rank: applies with --rank auto/],
      [['--rank', '2', '--max-rank', '3'], /--max-rank: applies with --rank auto/],
      [['--folds', '3'], /--folds: applies with --rank auto/],
      // a fixed value and its estimate: the value would not be the model's
      [['--tau', '2', '--fit-tau'], /--tau: sets a fixed τ, but --fit-tau estimates it .*drop --tau, or drop --fit-tau/],
      [['--leak', '1.5', '--fit-leak'], /--leak: sets a fixed leak shape s, but --fit-leak estimates it .*drop --leak, or drop --fit-leak/],
      // --calibration has a default: given on the command line without --effective-rank it is refused
      [['--calibration', 'none'], /--calibration: applies with --effective-rank .*add --effective-rank, or drop it/],
      [['--calibration', 'simulation'], /--calibration: applies with --effective-rank/],
      [['--effective-rank', '--rank', '1'], /--effective-rank: cannot be combined with --rank/],
      [['--effective-rank', '--calibration', 'none', '--network-size', '100'], /--network-size: .*simulated calibration networks, which --calibration none skips/],
      [['--units', ''], /--units needs at least one unit name/],
      [['--units', ' , '], /--units needs at least one unit name/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['fit', rec, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('--fit-scale with the spectral loss (flat along the scale) and --leak with --regions are refused (exit 2); --fit-tau with it runs', async () => {
    const rec = join(dir, 'scale.csv');
    expect((await run(['simulate', '--N', '20', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '1000', '--seed', '2', '--out', rec, '--quiet'])).code).toBe(0);
    const out = join(dir, 'scale-fit.json');
    const scale = await run(['fit', rec, '--fit-scale', '--loss', 'whittle', '--out', out]);
    expect(scale.code).toBe(2);
    expect(scale.stderr).toMatch(/--fit-scale: the spectral loss \(--loss whittle\) does not identify the observation scale .*use --loss exact \(the default with --fit-scale: omit --loss\)/);
    expect(existsSync(out)).toBe(false);
    const tau = await run(['fit', rec, '--fit-tau', '--loss', 'whittle', '--json']);
    expect(tau.code, tau.stderr).toBe(0);
    const fit = JSON.parse(tau.stdout);
    expect(fit.params.tau.se).toBeGreaterThan(0);
    expect(fit.notes.join(' ')).toMatch(/the spectral loss identifies the time constant only through the nonlinearity/);
    const leak = await run(['fit', rec, '--regions', 'two-regions', '--leak', '0.5']);
    expect(leak.code).toBe(2);
    expect(leak.stderr).toMatch(/--regions: cannot be combined with --leak \(a multiregion fit has .* no leak/);
  });

  it('populations file: a JSON syntax error at line:column; mixing units and size says so (exit 2)', async () => {
    const rec = join(dir, 'pops.csv');
    writeFileSync(rec, 'a,b,c\n' + Array.from({ length: 100 }, (_, t) => `${Math.sin(t)},${Math.cos(t * 1.3)},${Math.sin(t * 0.7)}`).join('\n') + '\n');
    const syntax = join(dir, 'syntax-pops.json');
    writeFileSync(syntax, '{\n  "populations": [\n    {"name": "E", "units": ["a"]}\n    {"name": "I", "units": ["b", "c"]}\n  ]\n}\n');
    const r1 = await run(['fit', rec, '--dt', '0.05', '--populations', syntax]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/syntax-pops\.json:4:5: invalid JSON: expected ',' or '\]'/);
    const mixed = join(dir, 'mixed-pops.json');
    writeFileSync(mixed, JSON.stringify({ populations: [{ name: 'E', units: ['a'] }, { name: 'I', size: 2 }] }));
    const r2 = await run(['fit', rec, '--dt', '0.05', '--populations', mixed]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/populations mix 'units' \(E\) and 'size' \(I\)/);
  });

  it('bad input: non-numeric cell → message with file, line and column, exit code 2, no output file', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'time,a,b\n0,1,2\n0.05,1,x\n0.1,3,4\n');
    const out = join(dir, 'never.json');
    const r = await run(['fit', bad, '--dt', '0.05', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv:3:3/);
    expect(() => readFileSync(out)).toThrow();
  });

  it('a time column is never fitted as a unit: without a header it is refused (exit 2), named time_s it is the time', async () => {
    const rec = join(dir, 'clock.csv');
    expect((await run(['simulate', '--N', '50', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '3000', '--seed', '1', '--out', rec, '--quiet'])).code).toBe(0);
    const lines = readFileSync(rec, 'utf8').split('\n');
    const bare = join(dir, 'clock-bare.csv');
    writeFileSync(bare, lines.slice(1).join('\n'));
    const out = join(dir, 'never-clock.json');
    const r = await run(['fit', bare, '--no-header', '--dt', '0.05', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^connfit: error: .*clock-bare\.csv:1:1: column 1 \(unit u0\) rises by the same step \(0\.05\) over all 3001 samples: a clock .* naming it time \(recognised: /);
    expect(existsSync(out)).toBe(false);
    // the audit's header name: read as the time column, 50 units fitted (it was 51, ĝ 7.44)
    const named = join(dir, 'clock-time_s.csv');
    writeFileSync(named, [lines[0].replace(/^time,/, 'time_s,'), ...lines.slice(1)].join('\n'));
    const ok = await run(['fit', named, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const fit = JSON.parse(ok.stdout);
    expect(fit.data.units).toBe(50);
    expect(fit.data.dt).toBe(0.05);
    expect(fit.data.unitNames[0]).toBe('u0');
    expect(Math.abs(fit.params.g.value - 1.5) / 1.5).toBeLessThan(0.1);
  }, 120_000);

  it('--currents at rank 0: structure.currents is written empty, with a note (it was left out without a word)', async () => {
    const rec = join(dir, 'iid-partial.csv');
    expect((await run(['simulate', '--N', '200', '--g', '1.5', '--D', '0.1', '--dt', '0.05', '--steps', '10000', '--observe', '50', '--seed', '1', '--out', rec, '--quiet'])).code).toBe(0);
    const note = 'rank 0: no low-rank modes, so no latent currents (structure.currents is empty)';
    // the audit's case: --rank auto with the network size chooses 0 for an i.i.d. network
    const out = join(dir, 'rank0.json');
    const r = await run(['fit', rec, '--network-size', '200', '--rank', 'auto', '--max-rank', '2', '--currents', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const fit = JSON.parse(r.stdout);
    expect(fit.structure.rank).toBe(0);
    expect(fit.structure.currents).toEqual([]);
    expect(fit.notes).toContain(note);
    expect(FitFileSchema.parse(JSON.parse(readFileSync(out, 'utf8'))).structure!.currents).toEqual([]);
    // --rank 0 given, all units as the network: the same, and the summary prints the note
    const text = await run(['fit', rec, '--rank', '0', '--currents']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`note: ${note}\n`);
    // without --currents there is nothing to say
    const plain = JSON.parse((await run(['fit', rec, '--rank', '0', '--json'])).stdout);
    expect(plain.structure.currents).toBeUndefined();
    expect(plain.notes).not.toContain(note);
  }, 120_000);

  it('bad option: --loss foo and a missing --dt are refused with exit code 2', async () => {
    const rec = join(dir, 'nodt.csv');
    writeFileSync(rec, 'a,b\n' + Array.from({ length: 100 }, (_, t) => `${Math.sin(t)},${Math.cos(t * 1.3)}`).join('\n') + '\n');
    expect((await run(['fit', rec, '--dt', '0.05', '--loss', 'foo'])).code).toBe(2);
    const r = await run(['fit', rec]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dt/);
  });

  const zebrafish = join(dataDirectory(), 'zebrafish-tectum-triplett2018-f1', 'zf_20151104-f1_activity_matrix.csv');
  it.skipIf(!existsSync(zebrafish))('real data: zebrafish tectum (114 units × 4245 frames) with --fit-tau --fit-scale converges with finite intervals and notes its white noise', async () => {
    const r = await run(['fit', zebrafish, '--layout', 'unit-by-time', '--no-header', '--dt', '0.4545', '--fit-tau', '--fit-scale', '--json']);
    expect(r.code).toBe(0);
    const fit = JSON.parse(r.stdout);
    expect(fit.convergence.converged).toBe(true);
    expect(fit.data.units).toBe(114);
    expect(fit.data.samples).toBe(4245);
    for (const name of ['g', 'D', 'J0', 'tau', 'scale', 'offset']) {
      const e = fit.params[name];
      expect(Number.isFinite(e.se) && e.se > 0, name).toBe(true);
      expect(e.ci95[0] <= e.value && e.value <= e.ci95[1], name).toBe(true);
    }
    // τ in seconds: slower than a frame, faster than the 32-minute recording
    expect(fit.params.tau.value).toBeGreaterThan(0.4545);
    expect(fit.params.tau.value).toBeLessThan(1920);
    // the white noise the traces show (src/statistics/whiteNoise.ts; the --obs-noise fit's σ̂ is 0.100)
    expect(fit.notes.find((t: string) => t.startsWith('the recording shows white noise'))).toMatch(/1\.9 % .*\(sd 0\.086\)/);
  }, 300_000);

  it('bad inputs to fit: Inf, non-uniform time column, one unit, too few samples → exit 2 with the reason and location', async () => {
    const cases: [string, string, RegExp][] = [
      ['inf.csv', 'time,a,b\n0,1,2\n0.05,Infinity,1\n0.1,3,4\n', /inf\.csv:3:2/],
      ['uneven.csv', 'time,a,b\n0,1,2\n0.05,2,1\n0.2,3,4\n0.25,1,1\n', /uneven\.csv:4.*time/i],
      ['oneunit.csv', 'time,a,b\n' + Array.from({ length: 100 }, (_, t) => `${(t * 0.05).toFixed(2)},${Math.sin(t)},5`).join('\n') + '\n', /oneunit\.csv.*(2 units|at least 2)/],
      ['short.csv', 'time,a,b\n' + Array.from({ length: 20 }, (_, t) => `${(t * 0.05).toFixed(2)},${Math.sin(t)},${Math.cos(t)}`).join('\n') + '\n', /short\.csv.*at least 64 samples/],
    ];
    for (const [name, text, message] of cases) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const r = await run(['fit', path, '--out', join(dir, 'never.json')]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
    }
    expect(() => readFileSync(join(dir, 'never.json'))).toThrow();
  });

  it('i.i.d. noise (5 units, --dt 0.05): a flat loss in log D is the reason given, never "NaN%" or the stopping rule that was met', async () => {
    // white noise: the spectral loss trades D against g²S_φ (also white), so D runs to its floor and the
    // Hessian is singular along log D (seed 3: λ_min < 0; seed 8: λ_min > 0 by round-off, which the old
    // code inverted into a variance of −2e14; both printed "remaining Newton step NaN%")
    for (const seed of [3, 8]) {
      const normal = normalGenerator(seed);
      const rows = ['u0,u1,u2,u3,u4'];
      for (let t = 0; t < 2000; t++) rows.push(Array.from({ length: 5 }, () => normal().toFixed(6)).join(','));
      const rec = join(dir, `iid${seed}.csv`);
      writeFileSync(rec, rows.join('\n') + '\n');
      const out = join(dir, `iid${seed}.json`);
      const r = await run(['fit', rec, '--dt', '0.05', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/NaN/);
      const file = JSON.parse(readFileSync(out, 'utf8'));
      const conv = file.convergence;
      expect(conv.converged).toBe(false);
      expect(conv.hessianPositiveDefinite).toBe(false);
      expect(conv.reason).not.toMatch(/NaN|remaining Newton step/);
      expect(r.stdout).toContain(`NOT converged: ${conv.reason}`);
      const m = conv.reason.match(/^the Hessian of the loss is not positive definite at the optimum \(smallest eigenvalue ([-0-9.e+]+)(?:, ([0-9.e+-]+) of the largest: numerically zero)?\): the loss is flat or curved the wrong way along log D, so there are no standard errors/);
      expect(m, conv.reason).not.toBeNull();
      // not positive definite: λ_min ≤ 0, or a positive λ_min that is round-off (≤ 1e-10 of the largest)
      const lambdaMin = Number(m[1]);
      if (lambdaMin > 0) expect(Number(m[2])).toBeLessThan(1e-10);
      else expect(lambdaMin).toBeLessThanOrEqual(0);
      // the stopping rule that was met is reported as where L-BFGS stopped, not as the failure
      expect(conv.reason).toMatch(/\(L-BFGS stopped: (gradient below 0\.000002|loss change below 1e-9 \(relative\) for 3 iterations)\)$/);
      // D at its floor (the data are white: nothing left for the noise once g²S_φ fits them), no interval
      expect(file.params.D.value).toBeLessThan(1e-3);
      expect(file.params.D.se).toBeNull();
    }
  });
});

