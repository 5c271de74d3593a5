import { createHash } from 'node:crypto';

export interface KeyedRandom {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [low, high]. */
  int(low: number, high: number): number;
}

/**
 * A random stream determined by the seed and the keys alone (e.g. the user and the rescue), not by
 * how many draws were made before it: decisions taken in any order, or concurrently, come out the same.
 * Each draw is 53 bits of SHA-256 over (seed, keys, draw number). Not pure-rand: its generators take
 * a 32-bit seed, and their first outputs over many such seeds are measurably not uniform (the share
 * below 0.12 of the first draw came out 0.110 over 20,000 keys), while a few draws per rescue is
 * all this needs.
 */
export function keyedRandom(seed: number, ...keys: string[]): KeyedRandom {
  const prefix = [String(seed), ...keys].join('\0');
  let draw = 0;
  const float = () => {
    const digest = createHash('sha256').update(`${prefix}\0${draw++}`).digest();
    // 21 high bits and 32 low bits: a double with every 53-bit value equally likely.
    return ((digest.readUInt32BE(0) >>> 11) * 2 ** 32 + digest.readUInt32BE(4)) / 2 ** 53;
  };
  return {
    float,
    int: (low, high) => low + Math.floor(float() * (high - low + 1)),
  };
}
