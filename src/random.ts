import randnFactory from '@stdlib/random-base-randn';

/** A seeded standard-normal generator (stdlib's improved ziggurat over MT19937): same seed, same stream. */
export type Normal = () => number;

export function normalGenerator(seed: number): Normal {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  // stdlib rejects seed 0; shift so every user seed is valid and distinct.
  return randnFactory.factory({ seed: (seed % 0xfffffffe) + 1 });
}

/** Fill `out` with independent N(0, 1) draws. */
export function fillNormal(out: Float64Array | Float32Array, normal: Normal): void {
  for (let i = 0; i < out.length; i++) out[i] = normal();
}
