/**
 * Network-aware ensemble forecast (THEORY §3.3): for a fully recorded network, draw coupling rows from
 * their posterior (§2.3),
 *   J_i | data ~ N(μ_i, Σ_J),  Σ_J = σ²(G + (Nσ²/g²) I)⁻¹,  μ_i = Σ_J (Φᵀy_i/σ² + (N/g²)(J0/N)1),
 * simulate every sampled network forward from the last observed state with the fitted noise, and
 * summarise the ensemble per unit and horizon by its mean and variance. Unlike the single-unit GP it
 * uses the other units' present state, so it gains at short horizons; beyond the Lyapunov time the
 * chaos erases that (§3.3).
 */
import { InputError } from '../errors.js';
import type { FitFile } from '../fitfile/schema.js';
import { symmetricEigen } from '../linalg/eigh.js';
import { blockSums } from '../loss/lowRank.js';
import { stepCoefficients } from '../model/parameters.js';
import { nonlinearity } from '../nonlinearity.js';
import { normalGenerator } from '../random.js';
import type { Recording } from '../recording/types.js';
import { yieldToEventLoop } from '../util/yield.js';
import type { ForecastScores } from './evaluate.js';
import { refuseIndicator } from './kernels.js';
import { Z50, Z95 } from '../statistics/normal.js';

export interface CouplingPosterior {
  N: number;
  /** posterior means, row-major (μ_i in row i) */
  mean: Float64Array;
  /** Σ_J = F Fᵀ with F = Q diag(σ/sqrt(λ + Nσ²/g²)) (row-major N×N), shared by all rows */
  factor: Float64Array;
}

function checkFit(fit: FitFile, rec: Recording): { g2: number; D: number; J0: number; h: number } {
  const nat = fit.model.natural;
  if (nat.g2.length !== 1) throw new InputError('the network ensemble needs a one-population fit', { field: 'model.natural.g2' });
  if (fit.structure && fit.structure.rank > 0) throw new InputError('the network ensemble does not include low-rank modes yet', { field: 'structure.rank' });
  if (fit.structure?.connectome) throw new InputError('the network ensemble does not include a given coupling matrix (fit --connectome) yet', { field: 'structure.connectome' });
  if (nat.scale !== 1 || nat.offset !== 0 || nat.s !== 0) throw new InputError('the network ensemble needs a fit without observation scale/offset or leak', { field: 'model.natural' });
  if (fit.model.discretisation !== 'euler') throw new InputError('the network ensemble simulates the Euler network: it needs an Euler fit', { field: 'model.discretisation' });
  refuseIndicator(fit, 'the network ensemble', 'use the GP kernels theory (which takes the indicator) or empirical');
  if ((nat.obsNoise ?? 0) > 0) throw new InputError('the network ensemble regresses the couplings on the recorded x, which this fit finds noisy (σ_obs > 0, fit --obs-noise): use the GP kernels (theory, plugin, empirical), which include the noise', { field: 'model.natural.obsNoise' });
  if (rec.dt === undefined || Math.abs(rec.dt - fit.data.dt) > 1e-9 * fit.data.dt) {
    throw new InputError(`the network ensemble runs at the fit's step ${fit.data.dt}; the data step is ${rec.dt}`, { field: '--dt' });
  }
  return { g2: nat.g2[0][0], D: nat.D[0], J0: nat.J0[0][0], h: fit.data.dt / nat.tau };
}

/**
 * What the ensemble assumes that the fit may not: the posterior of §2.3 takes the recorded units for
 * the whole network. The exact loss made the same assumption; the spectral loss did not, and nothing in
 * its fit file says whether the recording was a subsample, so the user is told instead of refused.
 */
export function ensembleNotes(fit: FitFile): string[] {
  if (fit.loss.form === 'exact') return [];
  return [
    `the network ensemble takes the ${fit.data.units} recorded units for the whole network; this fit (${fit.loss.form} loss) does not assume that, and for a subsample the ensemble leaves out the unrecorded units' input: if the whole network is recorded, refit with --loss exact; if not, prefer the GP kernels (theory, plugin, empirical)`,
  ];
}

/** The row posterior of §2.3 from a (training) recording. */
export function couplingPosterior(fit: FitFile, train: Recording): CouplingPosterior {
  const { g2, D, J0 } = checkFit(fit, train);
  const N = train.nUnits;
  const k = stepCoefficients(fit.data.dt, fit.model.natural.tau, 'euler');
  const sigma2 = k.c * D;
  const s = blockSums(train, { a: k.a, b: k.b, s: 0 }, nonlinearity(fit.model.phi), [0, train.nSamples - 1])[0];
  const eig = symmetricEigen(s.G, N);
  const c = (N * sigma2) / g2;
  // μ_i = Q diag(1/(λ + c)) Qᵀ (Φᵀy_i + (σ²/g²) J0 1)
  const shift = (sigma2 / g2) * J0;
  const mean = new Float64Array(N * N);
  const tmp = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    tmp.fill(0);
    for (let q = 0; q < N; q++) {
      let v = 0;
      for (let j = 0; j < N; j++) v += eig.vectors[j * N + q] * (s.PhiY[j * N + i] + shift);
      tmp[q] = v / (Math.max(eig.values[q], 0) + c);
    }
    for (let j = 0; j < N; j++) {
      let v = 0;
      for (let q = 0; q < N; q++) v += eig.vectors[j * N + q] * tmp[q];
      mean[i * N + j] = v;
    }
  }
  const factor = new Float64Array(N * N);
  for (let j = 0; j < N; j++)
    for (let q = 0; q < N; q++) factor[j * N + q] = eig.vectors[j * N + q] * Math.sqrt(sigma2 / (Math.max(eig.values[q], 0) + c));
  return { N, mean, factor };
}

/** One coupling matrix from the posterior (rows independent, shared covariance). */
export function sampleCouplings(post: CouplingPosterior, normal: () => number): Float64Array {
  const N = post.N;
  const J = Float64Array.from(post.mean);
  const z = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    for (let q = 0; q < N; q++) z[q] = normal();
    for (let j = 0; j < N; j++) {
      let v = 0;
      for (let q = 0; q < N; q++) v += post.factor[j * N + q] * z[q];
      J[i * N + j] += v;
    }
  }
  return J;
}

export interface EnsembleForecast {
  /** mean[h][i] and variance[h][i] of unit i, h = 1..horizon steps ahead */
  mean: Float64Array[];
  variance: Float64Array[];
}

/** Forecast every unit `horizon` steps from state x0 with an ensemble of sampled networks. */
export function ensembleForecast(fit: FitFile, networks: Float64Array[], x0: ArrayLike<number>, horizon: number, normal: () => number): EnsembleForecast {
  const N = x0.length;
  const h = fit.data.dt / fit.model.natural.tau;
  const noise = Math.sqrt(2 * fit.model.natural.D[0] * h);
  const phi = nonlinearity(fit.model.phi);
  const sum = Array.from({ length: horizon }, () => new Float64Array(N));
  const sum2 = Array.from({ length: horizon }, () => new Float64Array(N));
  const x = new Float64Array(N);
  const f = new Float64Array(N);
  for (const J of networks) {
    x.set(x0);
    for (let step = 0; step < horizon; step++) {
      for (let j = 0; j < N; j++) f[j] = phi.f(x[j]);
      const next = new Float64Array(N);
      for (let i = 0; i < N; i++) {
        let inp = 0;
        const row = i * N;
        for (let j = 0; j < N; j++) inp += J[row + j] * f[j];
        next[i] = x[i] + h * (-x[i] + inp) + noise * normal();
      }
      x.set(next);
      for (let i = 0; i < N; i++) {
        sum[step][i] += x[i];
        sum2[step][i] += x[i] * x[i];
      }
    }
  }
  const K = networks.length;
  return {
    mean: sum.map((s) => s.map((v) => v / K)),
    variance: sum2.map((s2, step) => s2.map((v, i) => Math.max(v / K - (sum[step][i] / K) ** 2, 1e-300))),
  };
}

/**
 * Held-out scores of the ensemble forecast (Gaussian approximation of the ensemble per value), on
 * `windows` start points spread over the test part; the posterior comes from the training part.
 */
export async function evaluateNetworkEnsemble(
  fit: FitFile, train: Recording, test: Recording, opt: { horizon: number; members: number; windows: number; seed: number; onProgress?: (d: number, t: number) => void },
): Promise<ForecastScores> {
  checkFit(fit, test);
  const post = couplingPosterior(fit, train);
  const normal = normalGenerator(opt.seed);
  const networks = Array.from({ length: opt.members }, () => sampleCouplings(post, normal));
  const N = test.nUnits;
  const H = opt.horizon;
  const last = test.nSamples - 1 - H;
  if (last < 0) throw new InputError(`the test data are shorter than the horizon (${H} samples)`, { field: '--horizon' });
  const W = Math.min(opt.windows, last + 1);
  const acc = { se: new Float64Array(H), z2: new Float64Array(H), c50: new Float64Array(H), c95: new Float64Array(H), lpd: new Float64Array(H), v: new Float64Array(H) };
  for (let w = 0; w < W; w++) {
    const t0 = Math.floor((w * last) / Math.max(1, W - 1));
    const x0 = test.data.subarray(t0 * N, (t0 + 1) * N);
    const fc = ensembleForecast(fit, networks, x0, H, normal);
    for (let step = 0; step < H; step++)
      for (let i = 0; i < N; i++) {
        const y = test.data[(t0 + step + 1) * N + i];
        const m = fc.mean[step][i];
        const v = fc.variance[step][i];
        const e = y - m;
        const z = Math.abs(e) / Math.sqrt(v);
        acc.se[step] += e * e;
        acc.z2[step] += (e * e) / v;
        acc.c50[step] += z <= Z50 ? 1 : 0;
        acc.c95[step] += z <= Z95 ? 1 : 0;
        acc.lpd[step] += -0.5 * Math.log(2 * Math.PI * v) - (0.5 * e * e) / v;
        acc.v[step] += v;
      }
    opt.onProgress?.(w + 1, W);
    await yieldToEventLoop();
  }
  const n = W * N;
  const per = (a: Float64Array) => Array.from(a, (v) => v / n);
  const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / (n * H);
  return {
    mse: mean(acc.se),
    mse_over_var: mean(acc.z2),
    coverage50: mean(acc.c50),
    coverage95: mean(acc.c95),
    lpd: mean(acc.lpd),
    perHorizon: {
      time: Array.from({ length: H }, (_, k) => (k + 1) * (test.dt ?? 1)),
      predicted_var: per(acc.v),
      mse: per(acc.se),
      mse_over_var: per(acc.z2),
      coverage50: per(acc.c50),
      coverage95: per(acc.c95),
      lpd: per(acc.lpd),
    },
    note: `network ensemble: ${opt.members} coupling matrices from the row posterior (§2.3), simulated forward from each window's last state; ${W} windows`,
  };
}

export interface NetworkForecast {
  time: number[];
  /** mean[i][h], sd[i][h] for unit i, h = 0..horizon−1 */
  mean: Float64Array[];
  sd: Float64Array[];
}

/** Forecast the `horizon` samples after the end of `rec` (posterior from all of `rec`). */
export function networkForecastFromEnd(fit: FitFile, rec: Recording, opt: { horizon: number; members: number; seed: number }): NetworkForecast {
  const post = couplingPosterior(fit, rec);
  const normal = normalGenerator(opt.seed);
  const networks = Array.from({ length: opt.members }, () => sampleCouplings(post, normal));
  const N = rec.nUnits;
  const T = rec.nSamples;
  const fc = ensembleForecast(fit, networks, rec.data.subarray((T - 1) * N, T * N), opt.horizon, normal);
  const dt = rec.dt ?? 1;
  const tLast = rec.time ? rec.time[T - 1] : (T - 1) * dt;
  return {
    time: Array.from({ length: opt.horizon }, (_, h) => tLast + (h + 1) * dt),
    mean: Array.from({ length: N }, (_, i) => Float64Array.from({ length: opt.horizon }, (_, h) => fc.mean[h][i])),
    sd: Array.from({ length: N }, (_, i) => Float64Array.from({ length: opt.horizon }, (_, h) => Math.sqrt(fc.variance[h][i]))),
  };
}

/** CSV rows unit,time,step,mean,sd,lower95,upper95 (the format of the GP forecast). */
export function* networkForecastCsv(f: NetworkForecast, unitNames: string[]): Generator<string> {
  yield 'unit,time,step,mean,sd,lower95,upper95\n';
  for (let i = 0; i < f.mean.length; i++) {
    let s = '';
    for (let h = 0; h < f.time.length; h++) {
      const m = f.mean[i][h];
      const sd = f.sd[i][h];
      s += `${unitNames[i]},${f.time[h]},${h + 1},${m},${sd},${m - Z95 * sd},${m + Z95 * sd}\n`;
    }
    yield s;
  }
}
