import type { GaussianPhi } from './gaussian.js';
export interface MagnetisedState { m: number }
export function solveMagnetised(_gp: GaussianPhi, _g: number, _D: number, _J0: number, _delta0: number): MagnetisedState | undefined {
  return undefined;
}
