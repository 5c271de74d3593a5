import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export interface KeyedRandom {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [low, high]. */
  int(low: number, high: number): number;
}

/**
 * A random stream determined by the seed and the keys alone (e.g. the user and the rescue), not by
 * how many draws were made before it: decisions taken in any order, or concurrently, come out the same.
 */
export function keyedRandom(seed: number, ...keys: string[]): KeyedRandom {
  const digest = createHash('sha256').update([String(seed), ...keys].join('\0')).digest();
  const rng = xoroshiro128plus(digest.readInt32LE(0) ^ digest.readInt32LE(4));
  return {
    float: () => uniformFloat64(rng),
    int: (low, high) => uniformInt(rng, low, high),
  };
}
