import mt19937 from '@stdlib/random-base-mt19937';
import randnFactory from '@stdlib/random-base-randn';

/** A seeded standard-normal generator (stdlib's improved ziggurat over MT19937): same seed, same stream. */
export type Normal = () => number;

/** stdlib rejects seed 0; shift so every user seed is valid and distinct. */
function stdlibSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  return (seed % 0xfffffffe) + 1;
}

export function normalGenerator(seed: number): Normal {
  return randnFactory.factory({ seed: stdlibSeed(seed) });
}

/** A seeded uniform generator on [0, 1) (MT19937 integers / 2³²). */
export function uniformGenerator(seed: number): () => number {
  const next = mt19937.factory({ seed: stdlibSeed(seed) });
  return () => next() / 4294967296;
}

/** Fill `out` with independent N(0, 1) draws. */
export function fillNormal(out: Float64Array | Float32Array, normal: Normal): void {
  for (let i = 0; i < out.length; i++) out[i] = normal();
}
