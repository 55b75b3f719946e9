/**
 * DMFT engine: THEORY §10 validation cases (V1–V7, V22, V28), the §4.4 / §4.5 reference tables, the
 * discrete-time recursion of §4.3 and the magnetised state of §7.
 */
import { describe, expect, it } from 'vitest';
import {
  gaussHermite,
  gaussianPhi,
  quadraturePhi,
  erfClosed,
  expect1,
  expect2,
  expectStationary,
  denseRule,
  referenceRule,
  logCosh,
} from '../src/theory/gaussian.js';
import {
  chaosThreshold,
  cosineTransform,
  dmftSpectra,
  solveDelta0,
  solveStationary,
  staticChaosThreshold,
} from '../src/theory/dmft.js';
import { dmftDiscrete, discreteTauInf, profileTimescales } from '../src/theory/dmftDiscrete.js';
import { initBackend } from '../src/backend.js';
import { simulate } from '../src/simulate/simulate.js';
import { iidNetwork } from '../src/simulate/network.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('Gaussian integrals (§1.2)', () => {
  it('probabilists’ Gauss–Hermite rule integrates polynomials exactly', () => {
    const { z, w } = gaussHermite(160);
    const moment = (p: number) => z.reduce((acc, x, i) => acc + w[i] * x ** p, 0);
    expect(moment(0)).toBeCloseTo(1, 14);
    expect(moment(2)).toBeCloseTo(1, 13);
    expect(moment(4)).toBeCloseTo(3, 12);
    expect(rel(moment(10), 945)).toBeLessThan(1e-12); // 9!!
    const small = gaussHermite(5);
    expect(rel(small.z[4], Math.sqrt(5 + Math.sqrt(10)))).toBeLessThan(1e-14);
  });

  it('V1: erf closed forms equal 2-D quadrature to 1e-8', () => {
    const e = gaussianPhi('erf');
    const q = quadraturePhi('erf');
    const cases: [number, number, number][] = [
      [0.3, 0.8, 1.1],
      [1.9, 2, 2.1],
      [-0.5, 1, 3],
      [0.05, 0.1, 0.2],
      [0.74, 0.75, 0.75],
    ];
    for (const [d12, d11, d22] of cases) {
      expect(Math.abs(e.cphi(d12, d11, d22) - q.cphi(d12, d11, d22))).toBeLessThan(1e-8);
      expect(Math.abs(e.cdphi(d12, d11, d22) - q.cdphi(d12, d11, d22))).toBeLessThan(1e-8);
    }
    for (const d0 of [0.1, 0.8, 2, 4]) {
      expect(Math.abs(e.meanGain(d0) - q.meanGain(d0))).toBeLessThan(1e-8);
      expect(Math.abs(e.meanGain2(d0) - q.meanGain2(d0))).toBeLessThan(1e-8);
      expect(Math.abs(e.meanPhi2(d0) - q.meanPhi2(d0))).toBeLessThan(1e-8);
      expect(Math.abs(e.varPhiAnti(d0) - q.varPhiAnti(d0))).toBeLessThan(1e-8);
      for (const frac of [0, 0.3, 0.7, 1]) {
        // stationary nested form ∫Dz [∫Dz1 f(√(Δ0−Δ) z1 + √Δ z)]² vs the closed forms
        expect(Math.abs(e.cphiStationary(frac * d0, d0) - expectStationary(q.f, frac * d0, d0))).toBeLessThan(1e-8);
        expect(Math.abs(e.cPhiStationary(frac * d0, d0) - expectStationary(q.F, frac * d0, d0))).toBeLessThan(1e-8);
      }
      // ψ⁻¹
      expect(rel(erfClosed.gainInverse(e.meanGain(d0)), d0)).toBeLessThan(1e-12);
    }
    // with a mean: <φ> and <φ'> closed forms, and the closed-form inner (Gaussian smoothing) integrals
    expect(Math.abs(erfClosed.meanPhi(0.7, 0.4) - expect1(q.f, 0.7, 0.4))).toBeLessThan(1e-10);
    expect(Math.abs(erfClosed.meanGain(0.7, 0.4) - expect1(q.df, 0.7, 0.4))).toBeLessThan(1e-10);
    for (const [d, d0, mu] of [[0.3, 0.9, 0.4], [1.5, 2, -0.7], [1, 1, 0.5]]) {
      expect(Math.abs(e.cphiStationary(d, d0, mu) - q.cphiStationary(d, d0, mu))).toBeLessThan(1e-8);
      expect(Math.abs(e.cPhiStationary(d, d0, mu) - q.cPhiStationary(d, d0, mu))).toBeLessThan(1e-8);
      expect(Math.abs(e.meanPhi2(d0, mu) - q.meanPhi2(d0, mu))).toBeLessThan(1e-8);
    }
    expect(Math.abs(e.cphi(0.3, 0.8, 1.2, 0.3, -0.2) - q.cphi(0.3, 0.8, 1.2, 0.3, -0.2))).toBeLessThan(1e-8);
    expect(Math.abs(e.cdphi(0.3, 0.8, 1.2, 0.3, -0.2) - q.cdphi(0.3, 0.8, 1.2, 0.3, -0.2))).toBeLessThan(1e-8);
  });

  it('tanh: Gauss–Hermite (Δ ≤ 6) agrees with the dense rule; Φ = log cosh is stable', () => {
    const t = gaussianPhi('tanh');
    const dense = () => denseRule(0);
    const tanh2 = (x: number) => Math.tanh(x) ** 2;
    for (const d of [0.5, 2, 5]) expect(Math.abs(t.meanPhi2(d) - expect1(tanh2, d, 0, dense))).toBeLessThan(1e-6);
    // the general bivariate form with Δ11 ≠ Δ22 against the dense rule
    const gh = t.cphi(0.6, 0.8, 1.3);
    const dn = expect2(Math.tanh, Math.tanh, 0.8, 1.3, 0.6, 0, 0, dense);
    expect(Math.abs(gh - dn)).toBeLessThan(1e-9);
    expect(referenceRule(7).z.length).toBeGreaterThanOrEqual(2000);
    expect(logCosh(800)).toBeCloseTo(800 - Math.LN2, 10);
    expect(logCosh(1e-8)).toBeCloseTo(5e-17, 20);
    // Mehler coefficients reproduce C_φ
    const a2 = t.hermiteSquared(0.9, 120);
    const rho = 0.4;
    const mehler = a2.reduce((acc, v, j) => acc + v * rho ** j, 0);
    expect(Math.abs(mehler - t.cphiStationary(rho * 0.9, 0.9))).toBeLessThan(1e-12);
  });
});

describe('stationary DMFT by the energy method (§4.2)', () => {
  it('V2: tanh Δ0 at g = 1.5 / 2 / 3 (1e-4 rel)', () => {
    expect(rel(solveDelta0('tanh', 1.5), 0.74769)).toBeLessThan(1e-4);
    expect(rel(solveDelta0('tanh', 2), 1.92481)).toBeLessThan(1e-4);
    expect(rel(solveDelta0('tanh', 3), 5.4463)).toBeLessThan(1e-4);
  });

  it('V3: erf Δ0 at g = 1.5 / 2 / 5 / 10 (1e-5 rel)', () => {
    expect(rel(solveDelta0('erf', 1.5), 0.83875)).toBeLessThan(1e-5);
    expect(rel(solveDelta0('erf', 2), 2.06408)).toBeLessThan(1e-5);
    expect(rel(solveDelta0('erf', 5), 17.20114)).toBeLessThan(1e-5);
    expect(rel(solveDelta0('erf', 10), 71.6448)).toBeLessThan(1e-5);
  });

  it('V4: tanh g = 1.5 asymptotic and 1/e timescales', () => {
    const s = solveStationary({ phi: 'tanh', g: 1.5 });
    expect(rel(s.nu, 0.97389)).toBeLessThan(1e-3);
    expect(rel(s.tau_inf, 6.189)).toBeLessThan(1e-3);
    expect(rel(s.tau_1e, 9.94)).toBeLessThan(0.01);
    expect(s.regime).toBe('chaotic');
    // the profile decays monotonically to 0 with rate λ∞ (never overshoots, §4.2)
    for (let i = 1; i < s.delta.length; i++) expect(s.delta[i]).toBeLessThanOrEqual(s.delta[i - 1]);
    expect(s.delta[s.delta.length - 1]).toBeGreaterThan(0);
    const t1 = 60;
    const t2 = 70;
    expect(rel(Math.log(s.deltaAt(t1) / s.deltaAt(t2)) / (t2 - t1), s.lambdaInf)).toBeLessThan(2e-3);
  });

  it('§4.5 reference table, D = 0 (Δ0 1e-4, C_φ(0) / <φ\'> / ν to the quoted digits, timescales 1 %)', () => {
    const table: [('tanh' | 'erf'), number, number, number, number, number, number, number, number][] = [
      ['tanh', 1.2, 0.24263, 0.16981, 0.83019, 0.99247, 18.92, 17.94, 11.53],
      ['tanh', 1.5, 0.74769, 0.34209, 0.65791, 0.97389, 9.94, 9.45, 6.19],
      ['tanh', 2.0, 1.92481, 0.51318, 0.48682, 0.94798, 6.83, 6.51, 4.38],
      ['erf', 1.2, 0.28774, 0.20152, 0.82989, 0.99175, 18.1, 17.16, 11.01],
      ['erf', 1.5, 0.83875, 0.38495, 0.65688, 0.97087, 9.42, 8.95, 5.86],
    ];
    for (const [phi, g, d0, c0, gain, nu, t1e, tint, tinf] of table) {
      const s = solveStationary({ phi, g, skipThreshold: true });
      expect(rel(s.delta0, d0)).toBeLessThan(1e-4);
      expect(Math.abs(s.cphi0 - c0)).toBeLessThan(1e-5);
      expect(Math.abs(s.meanGain - gain)).toBeLessThan(1e-5);
      expect(Math.abs(s.nu - nu)).toBeLessThan(1e-5);
      expect(rel(s.tau_1e, t1e)).toBeLessThan(0.01);
      expect(rel(s.tau_int, tint)).toBeLessThan(0.01);
      expect(rel(s.tau_inf, tinf)).toBeLessThan(0.01);
    }
  });

  it('V5: tanh g = 1.5, D = 0.1 (1e-4 rel); V6: g = 0.5, D = 0.5', () => {
    const s = solveStationary({ phi: 'tanh', g: 1.5, D: 0.1 });
    expect(rel(s.delta0, 0.77257)).toBeLessThan(1e-4);
    expect(rel(s.cphi0, 0.34789)).toBeLessThan(1e-4);
    expect(Math.abs(s.meanGain - 0.6521)).toBeLessThan(1e-4);
    expect(rel(s.tau_1e, 5.67)).toBeLessThan(0.01);
    expect(s.regime).toBe('chaotic');
    // the noise kink: Δ'(0⁺) = −D
    expect(rel((s.deltaAt(1e-4) - s.delta0) / 1e-4, -0.1)).toBeLessThan(1e-2);
    const q = solveStationary({ phi: 'tanh', g: 0.5, D: 0.5 });
    expect(rel(q.delta0, 0.53613)).toBeLessThan(1e-4);
    expect(rel(q.cphi0, 0.28511)).toBeLessThan(1e-4);
    expect(Math.abs(q.meanGain - 0.7149)).toBeLessThan(1e-4);
    expect(q.regime).toBe('noise-driven');
  });

  it('V6 simulation: N = 1000, g 0.5, D 0.5, dt 0.02: mean x² within 3 % of 0.54', async () => {
    // One network, not the average of several that §10 asks of stochastic cases: over seeds 1–10 the mean x²
    // of this set-up scatters by SD 0.0015 (0.28 %, mean 0.5407), a tenth of V6's 3 %, while each network
    // costs 3–7 s of a loaded machine. This one: 0.54082.
    await initBackend('wasm');
    const sim = await simulate(iidNetwork({ N: 1000, g: 0.5, D: 0.5 }), { dt: 0.02, steps: 5000, burnIn: 500, seed: 6 });
    const { data } = sim.recording;
    let m2 = 0;
    for (let i = 0; i < data.length; i++) m2 += data[i] * data[i];
    m2 /= data.length;
    expect(rel(m2, 0.54)).toBeLessThan(0.03);
    // the Euler network's own theory (step 0.02): Δ0 = 0.54138; 1 % is about 3.5 SD of a single network (−0.10 % here)
    const disc = dmftDiscrete({ phi: 'tanh', g: 0.5, D: 0.5, dt: 0.02, steps: 1000, maxLag: 10 });
    expect(rel(disc.delta0, 0.54138)).toBeLessThan(1e-4);
    expect(rel(m2, disc.delta0)).toBeLessThan(0.01);
  });

  it('V7: near-critical shape Δ(τ) ≈ ε sech(ετ/√3), ε = 0.03', () => {
    const eps = 0.03;
    const s = solveStationary({ phi: 'tanh', g: 1 + eps, skipThreshold: true, dtau: 0.5 });
    expect(Math.abs(s.delta0 / eps - 1.034)).toBeLessThan(0.05 * 1.034);
    let worst = 0;
    for (let i = 0; i < s.lags.length; i++) {
      const approx = eps / Math.cosh((eps * s.lags[i]) / Math.sqrt(3));
      worst = Math.max(worst, Math.abs(s.delta[i] - approx) / s.delta0);
    }
    expect(worst).toBeLessThan(0.05);
    expect(Math.abs(1 - s.nu - (eps * eps) / 3)).toBeLessThan(0.1 * (eps * eps) / 3);
  });

  it('quiescent state: Δ ≡ 0 for D = 0, g < 1; timescales are the D → 0⁺ limit', () => {
    const s = solveStationary({ phi: 'tanh', g: 0.8 });
    expect(s.regime).toBe('quiescent');
    expect(s.delta0).toBe(0);
    expect(s.delta.every((d) => d === 0)).toBe(true);
    expect(rel(s.tau_inf, 1 / Math.sqrt(1 - 0.64))).toBeLessThan(1e-12);
    expect(s.J0c).toBe(1);
    // D → 0⁺: Δ(τ) → (D/λ) e^{−λτ}
    const d = solveStationary({ phi: 'tanh', g: 0.8, D: 1e-4, skipThreshold: true });
    expect(rel(d.tau_1e, 1 / 0.6)).toBeLessThan(1e-3);
    expect(rel(d.delta0, 1e-4 / 0.6)).toBeLessThan(1e-3);
  });

  it('g = 0 is the Ornstein–Uhlenbeck process: Δ = D e^{−|τ|}, S(ω) = 2D/(1 + ω²)', () => {
    const s = solveStationary({ phi: 'erf', g: 0, D: 0.3, skipThreshold: true, tauMax: 40, dtau: 0.01 });
    expect(rel(s.delta0, 0.3)).toBeLessThan(1e-12);
    for (const t of [0.5, 2, 7]) expect(rel(s.deltaAt(t), 0.3 * Math.exp(-t))).toBeLessThan(1e-6);
    expect(rel(s.tau_1e, 1)).toBeLessThan(1e-6);
    expect(rel(s.tau_int, 1)).toBeLessThan(1e-6);
    const freqs = [0, 0.05, 0.2, 1];
    const sp = dmftSpectra(s, freqs);
    freqs.forEach((f, i) => {
      const w = 2 * Math.PI * f;
      expect(rel(sp.sx[i], (2 * 0.3) / (1 + w * w))).toBeLessThan(1e-3);
    });
  });

  it('power spectra: ∫ S(ω) dω/2π = Δ0 and S_x(0) = 2 τ_int Δ0', () => {
    const s = solveStationary({ phi: 'tanh', g: 1.5, D: 0.1, skipThreshold: true });
    const sp = dmftSpectra(s, [0]);
    expect(rel(sp.sx[0], 2 * s.tau_int * s.delta0)).toBeLessThan(1e-3);
    const dw = 0.005;
    const omegas = Array.from({ length: 8000 }, (_, i) => (i + 0.5) * dw);
    const S = cosineTransform(s.lags, s.delta, omegas, s.lambdaInf);
    let integral = 0;
    for (const v of S) integral += (2 * v * dw) / (2 * Math.PI);
    // tail beyond ω = 40: ∫ 2D/ω² dω/2π·2 = 2D/(π·40)
    integral += (2 * 0.1) / (Math.PI * 40);
    expect(rel(integral, s.delta0)).toBeLessThan(3e-3);
  });

  it('transitions: white-noise g_c (§4.4), V28 static-input g_c, V22 J0c', () => {
    const expected = [1.2, 1.371, 1.525, 1.665, 1.718];
    [0.25, 0.5, 0.75, 1.0, 1.1].forEach((sd, i) => {
      expect(Math.abs(chaosThreshold('tanh', sd * sd) - expected[i])).toBeLessThan(1e-3);
    });
    expect(Math.abs(staticChaosThreshold('tanh', 1.1 * 1.1) - 1.909)).toBeLessThan(1e-3);
    expect(Math.abs(staticChaosThreshold('tanh', 0.25 * 0.25) - 1.352)).toBeLessThan(1e-3);
    expect(chaosThreshold('tanh', 0)).toBe(1);

    const s = solveStationary({ phi: 'tanh', g: 1.5, J0: 0.5 });
    expect(Math.abs(s.J0c - 1.52)).toBeLessThan(1e-3);
    expect(s.magneticStable).toBe(true);
    expect(s.magnetised).toBeUndefined();
    expect(Math.abs(solveStationary({ phi: 'tanh', g: 2, skipThreshold: true }).J0c - 2.054)).toBeLessThan(1e-3);
    expect(Math.abs(solveStationary({ phi: 'tanh', g: 1.5, D: 0.1, skipThreshold: true }).J0c - 1.533)).toBeLessThan(1e-3);
    const n = solveStationary({ phi: 'tanh', g: 1.5, D: 0.1 });
    // √D ≈ 0.316 lies between the tabulated √D = 0.25 and 0.5; at g_c the static criterion holds
    expect(n.gChaos).toBeGreaterThan(1.2);
    expect(n.gChaos).toBeLessThan(1.371);
    const t = gaussianPhi('tanh');
    expect(Math.abs(n.gChaos ** 2 * t.meanGain2(solveDelta0('tanh', n.gChaos, 0.1)) - 1)).toBeLessThan(1e-10);
    expect(n.gOverGc).toBeGreaterThan(1);
    const below = solveStationary({ phi: 'tanh', g: 1.2, D: 0.25 });
    expect(below.regime).toBe('noise-driven');
    expect(below.gOverGc).toBeLessThan(1);
  });

  it('large g, D = 0: tanh approaches the sign network (closed forms), at O(1/g²)', () => {
    // φ = sign: Φ = |x|, Var Φ = Δ0(1 − 2/π) ⇒ Δ0/g² = 2(1 − 2/π); C_φ(Δ;Δ0) = (2/π) arcsin(Δ/Δ0),
    // <φ²> = 1, ν = g²<φ'>² = g²(2/π)/Δ0 = 2κ/π with κ = g²/Δ0. In δ = Δ/Δ0 the particle moves in the
    // g-independent U(δ) = −δ²/2 + (2κ/π)(√(1 − δ²) + δ arcsin δ), released at δ = 1 at rest:
    // τ(δ) = ∫_δ^1 du/√(2W(u)), τ_int = ∫_0^1 u du/√(2W(u)), W = U(1) − U (= U(0) − U), u = 1 − s².
    const kappa = 1 / (2 - 4 / Math.PI);
    const c = (2 * kappa) / Math.PI;
    const W = (s: number) => {
      // written without the cancellation of U(1) − U(u) at u → 1 (arccos(1 − s²) = 2 arcsin(s/√2)) and at u → 0
      const s2 = s * s;
      const u = 1 - s2;
      if (u >= 0.5) return (-s2 * (2 - s2)) / 2 + c * (2 * Math.asin(s / Math.SQRT2) + s2 * Math.asin(u) - s * Math.sqrt(2 - s2));
      return (u * u) / 2 - c * (u * Math.asin(u) - (u * u) / (1 + Math.sqrt(1 - u * u)));
    };
    // dτ/ds at s = 0 is 2/√(2U'(1)) with U'(1) = κ − 1; u·dτ/ds → 2/λ at s = 1, λ = √(1 − ν)
    const dtds = (s: number) => (s === 0 ? 2 / Math.sqrt(2 * (kappa - 1)) : (2 * s) / Math.sqrt(2 * W(s)));
    const simpson = (b: number, f: (s: number) => number, n = 20000) => {
      const h = b / n;
      let acc = f(0) + f(b);
      for (let i = 1; i < n; i++) acc += (i % 2 === 1 ? 4 : 2) * f(i * h);
      return (acc * h) / 3;
    };
    const sign = {
      delta0OverG2: 2 * (1 - 2 / Math.PI),
      nu: c,
      tau1e: simpson(Math.sqrt(1 - 1 / Math.E), dtds),
      tauInt: simpson(1, (s) => (s === 1 ? 2 / Math.sqrt(1 - c) : (1 - s * s) * dtds(s))),
      cphi06: (2 / Math.PI) * Math.asin(0.6),
    };
    // the same integrals by 20-node Gauss–Legendre panels (8 to 512 of them) agree to 2e-14
    expect(Math.abs(sign.tau1e - 3.92426497345445)).toBeLessThan(1e-12);
    expect(Math.abs(sign.tauInt - 3.78038837978494)).toBeLessThan(1e-12);
    const errors = (g: number) => {
      const s = solveStationary({ phi: 'tanh', g, D: 0, J0: 0 });
      return {
        delta0OverG2: s.delta0 / g ** 2 - sign.delta0OverG2,
        nu: s.nu - sign.nu,
        tau1e: s.tau_1e - sign.tau1e,
        tauInt: s.tau_int - sign.tauInt,
        cphi06: s.cphiOf(0.6 * s.delta0) - sign.cphi06,
        cphi0: s.cphi0 - 1,
      };
    };
    // Measured differences (tanh − sign) at g = 50 / 100 / 200 / 400:
    //   Δ0/g²        −5.64e-4  −1.43e-4  −3.58e-5  −8.98e-6   (×1/4 per doubling: −1.43/g²)
    //   ν            +2.84e-4  +7.27e-5  +1.84e-5  +4.63e-6   (1/g²)
    //   τ_1e         +1.03e-2  +2.90e-3  +8.06e-4  +2.22e-4   (×1/3.6 per doubling, ≈ g^−1.85)
    //   τ_int        +9.74e-3  +2.77e-3  +7.72e-4  +2.13e-4   (same)
    //   C_φ(0.6Δ0)   −2.16e-4  −5.40e-5  −1.35e-5  −3.38e-6   (1/g²)
    //   <φ²> − 1     −1.87e-2  −9.36e-3  −4.68e-3  −2.34e-3   (−<φ'> ∝ 1/g: ×1/2 per doubling)
    // Tolerances at g = 200 sit 1.3–1.5× above these; the g = 100 → 200 ratios check the rates.
    const e100 = errors(100);
    const e200 = errors(200);
    expect(Math.abs(e200.delta0OverG2)).toBeLessThan(2 / 200 ** 2);
    expect(Math.abs(e200.nu)).toBeLessThan(1 / 200 ** 2);
    expect(Math.abs(e200.tau1e)).toBeLessThan(1.2e-3);
    expect(Math.abs(e200.tauInt)).toBeLessThan(1.2e-3);
    expect(Math.abs(e200.cphi06)).toBeLessThan(1 / 200 ** 2);
    expect(Math.abs(e200.cphi0)).toBeLessThan(1 / 200);
    for (const k of ['delta0OverG2', 'nu', 'cphi06'] as const) {
      expect(e100[k] / e200[k]).toBeGreaterThan(3.8);
      expect(e100[k] / e200[k]).toBeLessThan(4.2);
    }
    for (const k of ['tau1e', 'tauInt'] as const) expect(e100[k] / e200[k]).toBeGreaterThan(3.3);
    expect(e100.cphi0 / e200.cphi0).toBeCloseTo(2, 2);
  });
});

describe('magnetised state (§7)', () => {
  it('frozen state for g < 1, D = 0: m = <φ(J0 m + √Δ z)>, Δ = g²<φ²>', () => {
    const s = solveStationary({ phi: 'tanh', g: 0.5, J0: 2, skipThreshold: true });
    expect(s.magneticStable).toBe(false);
    const mg = s.magnetised!;
    expect(mg.static).toBe(true);
    const t = gaussianPhi('tanh');
    expect(Math.abs(mg.m - t.meanPhi(mg.delta0, 2 * mg.m))).toBeLessThan(1e-10);
    expect(Math.abs(mg.delta0 - 0.25 * t.meanPhi2(mg.delta0, 2 * mg.m))).toBeLessThan(1e-10);
    expect(mg.mu).toBeCloseTo(2 * mg.m, 12);
  });

  it('chaotic magnetised state below an unstable static point (tanh g 2, J0 2.3, D 0)', () => {
    const s = solveStationary({ phi: 'tanh', g: 2, J0: 2.3, skipThreshold: true, tauMax: 25 });
    const mg = s.magnetised!;
    expect(mg.static).toBe(false);
    expect(mg.regime).toBe('chaotic');
    // values of the discrete recursion (Δ = 0.05, 2000 steps), which for D = 0 fixes m and Δ0 to 1e-5
    expect(Math.abs(mg.m - 0.35406)).toBeLessThan(2e-5);
    expect(Math.abs(mg.delta0 - 2.36981)).toBeLessThan(2e-5);
    expect(rel(mg.delta[Math.round(10 / 0.05)], 2.1111)).toBeLessThan(4e-3);
    // self-consistency: m = <φ(μ + √Δ0 z)>, plateau Δ∞ = g² C_φ(Δ∞; Δ0, μ) and a maximum of V
    const t = gaussianPhi('tanh');
    expect(Math.abs(mg.m - t.meanPhi(mg.delta0, mg.mu))).toBeLessThan(1e-10);
    expect(Math.abs(mg.deltaInf - 4 * t.cphiStationary(mg.deltaInf, mg.delta0, mg.mu))).toBeLessThan(1e-8);
    expect(4 * t.cdphi(mg.deltaInf, mg.delta0, mg.delta0, mg.mu, mg.mu)).toBeLessThan(1);
    // the static point (Δ = g²<φ²>) is above Δ0 and unstable there
    expect(4 * t.meanPhi2(mg.delta0, mg.mu)).toBeGreaterThan(mg.delta0);
  });

  it('noise-driven magnetised state agrees with the discrete-time recursion (tanh g 1.5, D 0.1, J0 2.5)', () => {
    const s = solveStationary({ phi: 'tanh', g: 1.5, D: 0.1, J0: 2.5, skipThreshold: true, tauMax: 25 });
    const mg = s.magnetised!;
    expect(mg.static).toBe(false);
    expect(mg.deltaInf).toBeGreaterThan(1.5 ** 2 * mg.m ** 2);
    // Euler step 0.05: O(Δ) bias ≈ 0.1 %
    const r = dmftDiscrete({ phi: 'tanh', g: 1.5, D: 0.1, J0: 2.5, dt: 0.05, steps: 2000, mu0: 0.5, maxLag: 400 });
    const p = r.populations[0];
    expect(rel(p.m[r.steps], mg.m)).toBeLessThan(3e-3);
    expect(rel(r.delta0, mg.delta0)).toBeLessThan(3e-3);
    for (const t of [1, 2, 5, 20]) expect(rel(r.delta[Math.round(t / 0.05)], mg.delta[Math.round(t / 0.05)])).toBeLessThan(3e-3);
  });
});

describe('saturated magnetised state (§7, large J0)', () => {
  // Own Simpson rule on z ∈ [−12, 12] for <h(μ + √Δ z)>, z ~ N(0, 1); h is a complement (1 − tanh,
  // sech²) so that 1 − m is resolved far below the ulp of m ≈ 1.
  const gaussMean = (h: (x: number) => number, mu: number, delta: number): number => {
    const n = 4800;
    const step = 24 / n;
    let acc = 0;
    for (let i = 0; i <= n; i++) {
      const z = -12 + i * step;
      const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
      acc += w * Math.exp(-0.5 * z * z) * h(mu + Math.sqrt(delta) * z);
    }
    return (acc * step) / 3 / Math.sqrt(2 * Math.PI);
  };
  const oneMinusTanh = (x: number) => 2 / (1 + Math.exp(2 * x));
  const sech2 = (x: number) => 4 / (Math.exp(x) + Math.exp(-x)) ** 2;

  it.each([
    [1.5, 20],
    [1.5, 50],
    [1.5, 100],
    [0.5, 20],
    [3, 10],
  ])('g %f, J0 %f: m = <φ(J0 m + √Δ0 z)>, Δ0 = g²<φ²> (frozen), not the m = 0 branch', (g, J0) => {
    const s = solveStationary({ phi: 'tanh', g, J0, skipThreshold: true });
    const mg = s.magnetised!;
    expect(mg.static).toBe(true);
    // self-consistency by the own quadrature, in the complements; m itself is a quadrature sum near 1,
    // good to a few ulp (M_ULPS)
    const M_ULPS = 2e-15;
    const oneMinusM = gaussMean(oneMinusTanh, mg.mu, mg.delta0);
    expect(Math.abs(1 - mg.m - oneMinusM)).toBeLessThan(M_ULPS);
    expect(Math.abs(mg.mu - J0 * mg.m)).toBeLessThan(1e-12 * J0); // the outer Brent rtol is 1e-13
    const meanSech2 = gaussMean(sech2, mg.mu, mg.delta0);
    expect(Math.abs(mg.delta0 - g * g * (1 - meanSech2))).toBeLessThan(1e-14);
    // saturated limit: 1 − tanh x ≤ 2e^{−2x}, so 1 − m ≤ 2 exp(−2μ + 2Δ0) (≈ 1e-85 at g 1.5, J0 100)
    expect(1 - mg.m).toBeLessThan(2 * Math.exp(-2 * mg.mu + 2 * mg.delta0) + M_ULPS);
    if (J0 >= 20) {
      expect(Math.abs(mg.m - 1)).toBeLessThan(M_ULPS);
      expect(Math.abs(mg.mu - J0)).toBeLessThan(2e-15 * J0);
    }
  });
});

describe('discrete-time recursion (§4.3)', () => {
  it('g = 0: the Euler OU process exactly (Δ_kk → D/(1 − Δ/2), lag profile (1 − Δ)^n)', () => {
    const dt = 0.1;
    const r = dmftDiscrete({ phi: 'tanh', g: 0, D: 0.4, dt, steps: 400, var0: 0, maxLag: 20 });
    const v = 0.4 / (1 - dt / 2);
    expect(rel(r.delta0, v)).toBeLessThan(1e-12);
    for (let n = 0; n <= 20; n++) expect(rel(r.delta[n], v * (1 - dt) ** n)).toBeLessThan(1e-12);
    // transient: Δ_kk = v(1 − a^{2k}) + a^{2k} var0
    expect(rel(r.variance[5], v * (1 - (1 - dt) ** 10))).toBeLessThan(1e-12);
  });

  it('converges to the continuous stationary solution as Δ → 0 (tanh g 0.5, D 0.5)', () => {
    const cont = solveStationary({ phi: 'tanh', g: 0.5, D: 0.5, skipThreshold: true });
    const res = [0.02, 0.01].map((dt) => {
      const r = dmftDiscrete({ phi: 'tanh', g: 0.5, D: 0.5, dt, steps: Math.round(20 / dt), maxLag: Math.round(8 / dt) });
      return { r, ts: profileTimescales(r.lags, r.delta) };
    });
    // first-order in Δ: Richardson extrapolation
    const d0 = 2 * res[1].r.delta0 - res[0].r.delta0;
    expect(rel(d0, cont.delta0)).toBeLessThan(2e-4);
    const t1e = 2 * res[1].ts.tau_1e - res[0].ts.tau_1e;
    expect(rel(t1e, cont.tau_1e)).toBeLessThan(2e-3);
    for (const t of [0.5, 1, 3]) {
      const ex = 2 * res[1].r.delta[Math.round(t / 0.01)] - res[0].r.delta[Math.round(t / 0.02)];
      expect(Math.abs(ex - cont.deltaAt(t)) / cont.delta0).toBeLessThan(5e-4);
    }
  });

  it('tanh g 1.5, D 0.1, Δ 0.05: stationary Δ0 of the Euler network and its exact asymptotic decay', () => {
    const r = dmftDiscrete({ phi: 'tanh', g: 1.5, D: 0.1, dt: 0.05, steps: 3000, maxLag: 1000 });
    expect(r.drift).toBeLessThan(2e-5);
    expect(Math.abs(r.delta0 - 0.77382)).toBeLessThan(2e-5);
    const nu = 1.5 ** 2 * r.populations[0].meanGain ** 2;
    const tinf = discreteTauInf(0.05, nu);
    // local decay time at lags 15–25 (later lags of the last row still carry the slow transient
    // from the initial condition, see the dmftDiscrete docs)
    const slope = Math.log(r.delta[300] / r.delta[500]) / (200 * 0.05);
    expect(rel(1 / slope, tinf)).toBeLessThan(5e-3);
  });

  it('two populations: equal blocks reproduce one population; decoupled blocks are independent', () => {
    const one = dmftDiscrete({ phi: 'tanh', g: 1.5, D: 0.1, dt: 0.1, steps: 300, maxLag: 50 });
    const g2 = 1.5 ** 2 / 2;
    const two = dmftDiscrete({ phi: 'tanh', populations: { g2: [[g2, g2], [g2, g2]], D: [0.1, 0.1] }, dt: 0.1, steps: 300, maxLag: 50 });
    for (let n = 0; n <= 50; n += 10) {
      expect(rel(two.populations[0].delta[n], one.delta[n])).toBeLessThan(1e-12);
      expect(rel(two.populations[1].delta[n], one.delta[n])).toBeLessThan(1e-12);
    }
    const dec = dmftDiscrete({ phi: 'tanh', populations: { g2: [[2.25, 0], [0, 0.25]], D: [0.1, 0.5] }, dt: 0.1, steps: 300, maxLag: 50 });
    const a = dmftDiscrete({ phi: 'tanh', g: 0.5, D: 0.5, dt: 0.1, steps: 300, maxLag: 50 });
    expect(rel(dec.populations[0].delta[20], one.delta[20])).toBeLessThan(1e-12);
    expect(rel(dec.populations[1].delta[20], a.delta[20])).toBeLessThan(1e-12);
  });
});
