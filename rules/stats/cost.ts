import { z } from 'zod';
import { Count, finiteNumber, parse } from './input.ts';
import type { Interval } from './interval.ts';

/**
 * What an arm paid per user it brought back who would not have come back anyway.
 * Three cases, told apart by `kind`, because a single number would mislead in two of them:
 * - 'bounded': the lift interval is above 0; the cost interval is cost / (lift bound × users).
 * - 'unbounded': the lift estimate is above 0 but its interval reaches 0, so the data cannot rule out
 *   "no incremental rescues at all": the upper bound is infinite (null here, since JSON has no ∞).
 * - 'undefined': the estimated lift is 0 or negative; the arm bought no incremental rescues.
 */
export type CostPerIncrementalRescue =
  | { kind: 'bounded'; estimate: number; lower: number; upper: number; confidence: number }
  | { kind: 'unbounded'; estimate: number; lower: number; upper: null; confidence: number; reason: string }
  | { kind: 'undefined'; reason: string; confidence: number };

const CostInput = z.object({
  cost: finiteNumber().min(0, { error: 'must be 0 or more' }),
  users: Count.min(1, { error: 'must be at least 1: an arm with no users has no cost per user' }),
});

/** `cost` is the arm's total message cost in any currency unit (the result is in the same unit). */
export function costPerIncrementalRescue(cost: number, users: number, lift: Interval): CostPerIncrementalRescue {
  parse(CostInput, { cost, users });
  const per = (liftValue: number) => cost / (liftValue * users);
  const { confidence } = lift;
  if (!(lift.estimate > 0)) {
    return { kind: 'undefined', reason: 'the estimated lift is not above 0: no incremental rescues to pay for', confidence };
  }
  if (!(lift.lower > 0)) {
    return {
      kind: 'unbounded',
      estimate: per(lift.estimate),
      lower: per(lift.upper),
      upper: null,
      confidence,
      reason: 'the lift interval includes 0, so the cost per incremental rescue has no finite upper bound',
    };
  }
  return { kind: 'bounded', estimate: per(lift.estimate), lower: per(lift.upper), upper: per(lift.lower), confidence };
}
