import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

/**
 * A xoroshiro128+ generator whose state is the seed run through splitmix32. pure-rand's own
 * `xoroshiro128plus(seed)` puts the seed straight into the state, so seeds 1, 2, 3 … start almost alike:
 * their first uniformFloat64 is 0.99999… for every small seed and the next few follow a visible pattern,
 * which makes consecutive seeds correlated rather than independent samples. Scrambling the seed first
 * is what the generator's authors recommend (seed xoroshiro from a splitmix generator).
 */
export function seededGenerator(seed: number) {
  let x = seed | 0;
  const splitmix32 = () => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  return xoroshiro128plusFromState([splitmix32(), splitmix32(), splitmix32(), splitmix32()]);
}

/** Successes among n independent trials of probability p: n Bernoulli draws (exact, not a normal approximation). */
export function drawBinomial(rng: ReturnType<typeof xoroshiro128plus>, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (uniformFloat64(rng) < p) k++;
  return k;
}
