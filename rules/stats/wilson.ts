import { checkAll, Confidence, Proportion } from './input.ts';
import type { Interval } from './interval.ts';
import { zForConfidence } from './normal.ts';

/**
 * Wilson score interval for k/n (Wilson 1927): the p whose score test does not reject at this level.
 * Unlike the Wald interval it stays inside [0, 1] and does not collapse to a point at 0/n or n/n.
 */
export function wilsonInterval(successes: number, trials: number, confidence = 0.95): Interval {
  checkAll([Proportion, { successes, trials }, []], [Confidence, confidence, ['confidence']]);
  const z = zForConfidence(confidence);
  const n = trials;
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  // At 0/n and n/n the bound is exactly 0 or 1 on paper; rounding would leave it a hair off.
  return {
    estimate: p,
    lower: successes === 0 ? 0 : Math.max(0, centre - half),
    upper: successes === n ? 1 : Math.min(1, centre + half),
    confidence,
  };
}
