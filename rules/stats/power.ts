import { z } from 'zod';
import { checkAll, Count, finiteNumber, parse, Proportion } from './input.ts';
import { normalCdf, normalQuantile } from './normal.ts';

const Probability = (rule: string) =>
  finiteNumber().gt(0, { error: rule }).lt(1, { error: rule });

export const Alpha = Probability('must be between 0 and 1 (exclusive), e.g. 0.05');
export const Power = Probability('must be between 0 and 1 (exclusive), e.g. 0.8');
const Rate = finiteNumber().min(0, { error: 'must be a rate from 0 to 1' }).max(1, { error: 'must be a rate from 0 to 1' });
export const Effect = finiteNumber().refine((d) => d !== 0, { error: 'must not be 0: no sample size detects a zero effect' });

/** Adds an issue when the rate under the alternative, baseRate + effect, leaves [0, 1]. */
function withEffect(v: { baseRate: number; minimumDetectableEffect: number }, ctx: z.RefinementCtx) {
  const p1 = v.baseRate + v.minimumDetectableEffect;
  const baseIsRate = v.baseRate >= 0 && v.baseRate <= 1;
  if (baseIsRate && (p1 < 0 || p1 > 1)) {
    ctx.addIssue({
      code: 'custom',
      path: ['minimumDetectableEffect'],
      message: `baseRate + minimumDetectableEffect must be a rate from 0 to 1 (${v.baseRate} + ${v.minimumDetectableEffect} = ${p1})`,
    });
  }
}

export const SampleSizeInput = z
  .object({ baseRate: Rate, minimumDetectableEffect: Effect, alpha: Alpha.default(0.05), power: Power.default(0.8) })
  .superRefine(withEffect);
export type SampleSizeInput = z.input<typeof SampleSizeInput>;

/**
 * Users needed in each of two equal arms for a two-sided pooled two-proportion z-test at level alpha
 * to detect p1 = p0 + d with the given power (Fleiss 1981, normal approximation without continuity
 * correction; the n that R's power.prop.test solves for, rounded up):
 *   n = ( z(1−α/2)·√(2·p̄·q̄) + z(power)·√(p0·q0 + p1·q1) )² / d²,  p̄ = (p0 + p1) / 2.
 */
export function sampleSizePerArm(input: SampleSizeInput): number {
  const { baseRate: p0, minimumDetectableEffect: d, alpha, power } = parse(SampleSizeInput, input);
  const p1 = p0 + d;
  const pBar = (p0 + p1) / 2;
  const root = normalQuantile(1 - alpha / 2) * Math.sqrt(2 * pBar * (1 - pBar)) + normalQuantile(power) * Math.sqrt(p0 * (1 - p0) + p1 * (1 - p1));
  return Math.ceil((root * root) / (d * d));
}

export const PowerInput = z
  .object({
    baseRate: Rate,
    minimumDetectableEffect: Effect,
    armUsers: Count.min(1, { error: 'must be at least 1' }),
    holdoutUsers: Count.min(1, { error: 'must be at least 1' }),
    alpha: Alpha.default(0.05),
  })
  .superRefine(withEffect);
export type PowerInput = z.input<typeof PowerInput>;

/**
 * Probability that the two-sided pooled z-test rejects when the holdout rate is baseRate and the arm's
 * is baseRate + effect, for arms of any sizes (the same approximation as sampleSizePerArm, which it
 * inverts when the arms are equal; the far rejection tail, below 1e-3 at any useful power, is left out).
 */
export function comparisonPower(input: PowerInput): number {
  const { baseRate: p0, minimumDetectableEffect: d, armUsers: n1, holdoutUsers: n0, alpha } = parse(PowerInput, input);
  const p1 = p0 + d;
  const pooled = (n1 * p1 + n0 * p0) / (n1 + n0);
  const seNull = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0));
  const seAlt = Math.sqrt((p1 * (1 - p1)) / n1 + (p0 * (1 - p0)) / n0);
  const margin = Math.abs(d) - normalQuantile(1 - alpha / 2) * seNull;
  // Both rates at 0 or 1: the observed difference is certain, so the test rejects or it does not.
  if (seAlt === 0) return margin > 0 ? 1 : 0;
  return normalCdf(margin / seAlt);
}

/**
 * Whether a comparison had enough users. The effect is the planned minimum detectable effect when
 * there is one; otherwise the observed lift (which is weaker evidence: with the observed effect a
 * comparison only counts as powered when its z is well past significance, about 2.8 at 80% power).
 * The base rate is the observed holdout rate.
 */
export interface PowerCheck {
  effect: number;
  effectSource: 'planned' | 'observed';
  baseRate: number;
  /** Users per arm (equal arms) needed for the target power; null when the effect is 0 (no n suffices). */
  requiredPerArm: number | null;
  /** Power of this comparison, with its actual arm sizes, against that effect. */
  achievedPower: number;
  targetPower: number;
  underpowered: boolean;
}

export const PowerCheckOptions = z.object({
  minimumDetectableEffect: Effect.optional(),
  alpha: Alpha.default(0.05),
  power: Power.default(0.8),
});
export type PowerCheckOptions = z.input<typeof PowerCheckOptions>;

export function checkPower(arm: Proportion, holdout: Proportion, options: PowerCheckOptions = {}): PowerCheck {
  checkAll([Proportion, arm, ['arm']], [Proportion, holdout, ['holdout']], [PowerCheckOptions, options, []]);
  const [a, h] = [arm, holdout];
  const { minimumDetectableEffect, alpha, power } = parse(PowerCheckOptions, options);
  const baseRate = h.successes / h.trials;
  const planned = minimumDetectableEffect !== undefined;
  const effect = planned ? minimumDetectableEffect : a.successes / a.trials - baseRate;
  if (effect === 0) {
    return { effect, effectSource: 'observed', baseRate, requiredPerArm: null, achievedPower: alpha, targetPower: power, underpowered: true };
  }
  const plan = { baseRate, minimumDetectableEffect: effect, alpha };
  const achievedPower = comparisonPower({ ...plan, armUsers: a.trials, holdoutUsers: h.trials });
  return {
    effect,
    effectSource: planned ? 'planned' : 'observed',
    baseRate,
    requiredPerArm: sampleSizePerArm({ ...plan, power }),
    achievedPower,
    targetPower: power,
    underpowered: achievedPower < power,
  };
}
