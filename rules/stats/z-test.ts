import { checkAll, Proportion } from './input.ts';
import { normalCdf } from './normal.ts';

/**
 * Two-proportion z-test with the pooled standard error (the score test of p_arm = p_holdout),
 * two-sided. Equals the chi-square test without continuity correction (R's prop.test(correct = FALSE)).
 * When both groups are all-successes or all-failures there is no evidence either way: z = 0, p = 1.
 */
export function twoProportionTest(arm: Proportion, holdout: Proportion): { z: number; pValue: number } {
  checkAll([Proportion, arm, ['arm']], [Proportion, holdout, ['holdout']]);
  const [a, h] = [arm, holdout];
  const pooled = (a.successes + h.successes) / (a.trials + h.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / h.trials));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (a.successes / a.trials - h.successes / h.trials) / se;
  // Φ(−|z|) rather than 1 − Φ(|z|): the subtraction would round small p-values to 0.
  return { z, pValue: Math.min(1, 2 * normalCdf(-Math.abs(z))) };
}
