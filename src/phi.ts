/**
 * Names of the single-unit nonlinearities φ (THEORY §1.2). Kept free of tensor code so that commands
 * which need no tensors (dmft, help) start without loading tfjs (~0.7 s).
 */
export type PhiName = 'tanh' | 'erf';
export const PHI_NAMES: readonly PhiName[] = ['tanh', 'erf'];

export function isPhiName(s: string): s is PhiName {
  return (PHI_NAMES as readonly string[]).includes(s);
}
