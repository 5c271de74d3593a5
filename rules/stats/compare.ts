import { z } from 'zod';
import { costPerIncrementalRescue, type CostPerIncrementalRescue } from './cost.ts';
import { Confidence, Count, finiteNumber, parse } from './input.ts';
import type { Interval } from './interval.ts';
import { absoluteLift, relativeLift, type RelativeLift } from './lift.ts';
import { checkPower, Effect, Power, type PowerCheck } from './power.ts';
import { medianDaysToReturn, ReturnDays } from './return-time.ts';
import { twoProportionTest } from './z-test.ts';
import { wilsonInterval } from './wilson.ts';

/** One group of a rescue experiment: users assigned, how many came back, and when. */
const GroupFields = z.object({
  name: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  assigned: Count.min(1, { error: 'must be at least 1: a rate needs at least one user' }),
  rescued: Count,
  /** Total cost of the group's messages, in any currency unit (cost per rescue comes out in it). */
  cost: finiteNumber().min(0, { error: 'must be 0 or more' }).default(0),
  /** Days from assignment to return, one per rescued user. */
  returnDays: ReturnDays,
});

function consistent(g: z.output<typeof GroupFields>, ctx: z.RefinementCtx) {
  if (g.assigned >= 1 && g.rescued > g.assigned) {
    ctx.addIssue({ code: 'custom', path: ['rescued'], message: `must be at most assigned (${g.rescued} > ${g.assigned})` });
  }
  if (g.returnDays.length !== g.rescued) {
    ctx.addIssue({ code: 'custom', path: ['returnDays'], message: `must hold one entry per rescued user (${g.returnDays.length} entries, ${g.rescued} rescued)` });
  }
}

const Group = GroupFields.superRefine(consistent);
const Holdout = GroupFields.extend({ name: GroupFields.shape.name.default('holdout') }).superRefine(consistent);

export const CompareArmsInput = z
  .object({
    arms: z.array(Group).min(1, { error: 'must list at least one arm' }),
    holdout: Holdout,
    confidence: Confidence.default(0.95),
    /** The absolute lift the experiment was sized to detect; without it power is judged on the observed lift. */
    minimumDetectableEffect: Effect.optional(),
    power: Power.default(0.8),
  })
  .superRefine((input, ctx) => {
    const seen = new Set<string>([input.holdout.name]);
    input.arms.forEach((arm, i) => {
      if (seen.has(arm.name)) ctx.addIssue({ code: 'custom', path: ['arms', i, 'name'], message: `must be unique ("${arm.name}" is used twice)` });
      seen.add(arm.name);
    });
  });
export type CompareArmsInput = z.input<typeof CompareArmsInput>;

export type Verdict = 'better' | 'worse' | 'no difference detected' | 'underpowered';

export interface GroupSummary {
  name: string;
  n: number;
  rescued: number;
  rate: Interval;
  medianDaysToReturn: number | null;
}

export interface ArmComparison extends GroupSummary {
  cost: number;
  lift: Interval;
  relativeLift: RelativeLift;
  z: number;
  pValue: number;
  costPerIncrementalRescue: CostPerIncrementalRescue;
  power: PowerCheck;
  verdict: Verdict;
}

export interface Comparison {
  confidence: number;
  holdout: GroupSummary;
  arms: ArmComparison[];
}

/**
 * The verdict, in this order:
 * 1. 'underpowered' when the comparison's power against the planned minimum detectable effect (or,
 *    without a plan, the observed lift) is below the target: a significant result from too few users
 *    overstates the effect, and a null one cannot tell "no effect" from "too few users", so no winner
 *    is declared either way.
 * 2. 'better' when the Newcombe interval of the lift lies wholly above 0, 'worse' when wholly below.
 *    The interval, not the z-test's p-value, decides, so the verdict always agrees with the whiskers a
 *    report draws (the two can differ at the margin).
 * 3. otherwise 'no difference detected': enough users to see the effect, and the interval includes 0.
 * Each arm is compared with the holdout on its own; there is no correction for comparing several arms.
 */
function verdictOf(lift: Interval, power: PowerCheck): Verdict {
  if (power.underpowered) return 'underpowered';
  if (lift.lower > 0) return 'better';
  if (lift.upper < 0) return 'worse';
  return 'no difference detected';
}

export function compareArms(input: CompareArmsInput): Comparison {
  const { arms, holdout, confidence, minimumDetectableEffect, power } = parse(CompareArmsInput, input);
  const control = { successes: holdout.rescued, trials: holdout.assigned };
  const summary = (g: z.output<typeof GroupFields>): GroupSummary => ({
    name: g.name,
    n: g.assigned,
    rescued: g.rescued,
    rate: wilsonInterval(g.rescued, g.assigned, confidence),
    medianDaysToReturn: medianDaysToReturn(g.returnDays),
  });
  return {
    confidence,
    holdout: summary(holdout),
    arms: arms.map((arm) => {
      const treated = { successes: arm.rescued, trials: arm.assigned };
      const lift = absoluteLift(treated, control, confidence);
      const test = twoProportionTest(treated, control);
      const powerCheck = checkPower(treated, control, { minimumDetectableEffect, alpha: 1 - confidence, power });
      return {
        ...summary(arm),
        cost: arm.cost,
        lift,
        relativeLift: relativeLift(treated, control, confidence),
        z: test.z,
        pValue: test.pValue,
        costPerIncrementalRescue: costPerIncrementalRescue(arm.cost, arm.assigned, lift),
        power: powerCheck,
        verdict: verdictOf(lift, powerCheck),
      };
    }),
  };
}
