import { checkAll, Confidence, Proportion } from './input.ts';
import type { Interval } from './interval.ts';
import { zForConfidence } from './normal.ts';
import { wilsonInterval } from './wilson.ts';

function checkPair(arm: Proportion, holdout: Proportion, confidence: number) {
  checkAll([Proportion, arm, ['arm']], [Proportion, holdout, ['holdout']], [Confidence, confidence, ['confidence']]);
}

/**
 * Absolute lift p_arm − p_holdout with Newcombe's hybrid score interval (Newcombe 1998, method 10):
 * each side of the difference takes the distance from each rate to the matching bound of its own
 * Wilson interval, combined in quadrature. It keeps near-nominal coverage at small counts and rates
 * near 0, where the Wald difference interval undercovers.
 */
export function absoluteLift(arm: Proportion, holdout: Proportion, confidence = 0.95): Interval {
  checkPair(arm, holdout, confidence);
  const a = wilsonInterval(arm.successes, arm.trials, confidence);
  const h = wilsonInterval(holdout.successes, holdout.trials, confidence);
  const d = a.estimate - h.estimate;
  return {
    estimate: d,
    lower: Math.max(-1, d - Math.hypot(a.estimate - a.lower, h.upper - h.estimate)),
    upper: Math.min(1, d + Math.hypot(a.upper - a.estimate, h.estimate - h.lower)),
    confidence,
  };
}

/**
 * p_arm / p_holdout (relative lift is ratio − 1). The interval is Katz's log interval (Katz et al. 1978):
 * ln(ratio) ± z·√(1/k₁ − 1/n₁ + 1/k₀ − 1/n₀), exponentiated; it is the usual large-sample interval for a
 * risk ratio and behaves well once both arms have a handful of successes. With zero successes on
 * either side the log is undefined, so the output says the interval is not estimable rather than
 * inventing one (and the ratio itself is undefined when the holdout rate is 0).
 */
export type RelativeLift =
  | { estimable: true; ratio: number; lower: number; upper: number; confidence: number }
  | { estimable: false; ratio: number | null; reason: string; confidence: number };

export function relativeLift(arm: Proportion, holdout: Proportion, confidence = 0.95): RelativeLift {
  checkPair(arm, holdout, confidence);
  const [a, h] = [arm, holdout];
  if (h.successes === 0) {
    return { estimable: false, ratio: null, reason: 'the holdout has no successes, so the ratio is undefined', confidence };
  }
  const ratio = a.successes / a.trials / (h.successes / h.trials);
  if (a.successes === 0) {
    return { estimable: false, ratio, reason: 'the arm has no successes, so the log interval is undefined', confidence };
  }
  const se = Math.sqrt(1 / a.successes - 1 / a.trials + 1 / h.successes - 1 / h.trials);
  const z = zForConfidence(confidence);
  return { estimable: true, ratio, lower: ratio * Math.exp(-z * se), upper: ratio * Math.exp(z * se), confidence };
}
