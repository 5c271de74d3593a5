import { describe, expect, it } from 'vitest';
import {
  absoluteLift,
  checkPower,
  compareArms,
  medianDaysToReturn,
  relativeLift,
  twoProportionTest,
  wilsonInterval,
  type CompareArmsInput,
} from '../../rules/stats/index.ts';

/** n return days 1, 2, 3 … so medians are easy to read. */
const days = (n: number) => Array.from({ length: n }, (_, i) => 1 + (i % 9));
const group = (name: string, assigned: number, rescued: number, cost = 0) => ({ name, assigned, rescued, cost, returnDays: days(rescued) });

function verdictOf(arm: ReturnType<typeof group>, holdout: ReturnType<typeof group>, minimumDetectableEffect?: number) {
  return compareArms({ arms: [arm], holdout, minimumDetectableEffect }).arms[0]!;
}

describe('compareArms', () => {
  it('puts together the same numbers the single functions give', () => {
    const input: CompareArmsInput = {
      arms: [group('email', 2000, 300, 400), group('sms', 2000, 180, 1600)],
      holdout: { ...group('holdout', 2000, 100), name: undefined },
      minimumDetectableEffect: 0.04,
    };
    const result = compareArms(input);
    const control = { successes: 100, trials: 2000 };
    expect(result.confidence).toBe(0.95);
    expect(result.holdout).toEqual({ name: 'holdout', n: 2000, rescued: 100, rate: wilsonInterval(100, 2000), medianDaysToReturn: medianDaysToReturn(days(100)) });
    for (const [i, [name, rescued, cost]] of ([['email', 300, 400], ['sms', 180, 1600]] as const).entries()) {
      const arm = result.arms[i]!;
      const treated = { successes: rescued, trials: 2000 };
      expect(arm).toMatchObject({ name, n: 2000, rescued, cost, rate: wilsonInterval(rescued, 2000) });
      expect(arm.lift).toEqual(absoluteLift(treated, control));
      expect(arm.relativeLift).toEqual(relativeLift(treated, control));
      expect(arm.pValue).toBe(twoProportionTest(treated, control).pValue);
      expect(arm.power).toEqual(checkPower(treated, control, { minimumDetectableEffect: 0.04, alpha: 0.05 }));
      expect(arm.medianDaysToReturn).toBe(medianDaysToReturn(days(rescued)));
    }
    // email: 200 incremental rescues (0.10 × 2000) for 400 → 2 per rescue, inside a bounded interval.
    const email = result.arms[0]!;
    expect(email.costPerIncrementalRescue.kind).toBe('bounded');
    if (email.costPerIncrementalRescue.kind !== 'bounded') throw new Error('unreachable');
    expect(email.costPerIncrementalRescue.estimate).toBeCloseTo(2, 12);
    expect(email.costPerIncrementalRescue.lower).toBeCloseTo(400 / (email.lift.upper * 2000), 12);
    expect(email.costPerIncrementalRescue.upper).toBeCloseTo(400 / (email.lift.lower * 2000), 12);
    expect(result.arms.map((a) => a.verdict)).toEqual(['better', 'better']);
  });

  it('is plain data: JSON keeps every field (no Infinity or NaN hiding in a number)', () => {
    const result = compareArms({ arms: [group('email', 300, 3, 50), group('sms', 300, 0, 10)], holdout: group('holdout', 300, 0) });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  describe('verdict', () => {
    it('better: interval above 0 and enough users for the planned effect', () => {
      expect(verdictOf(group('email', 2000, 300), group('holdout', 2000, 100), 0.04).verdict).toBe('better');
    });

    it('worse: interval below 0 and enough users', () => {
      const arm = verdictOf(group('sms', 2000, 50), group('holdout', 2000, 150), 0.04);
      expect(arm.lift.upper).toBeLessThan(0);
      expect(arm.verdict).toBe('worse');
    });

    it('no difference detected: powered for 2 points of lift, interval includes 0', () => {
      const arm = verdictOf(group('email', 5000, 250), group('holdout', 5000, 250), 0.02);
      expect(arm.power.underpowered).toBe(false);
      expect(arm.power.requiredPerArm).toBeLessThan(5000);
      expect(arm.verdict).toBe('no difference detected');
    });

    it('underpowered: no winner from 100 users a side, even when the interval is above 0', () => {
      const arm = verdictOf(group('email', 100, 30), group('holdout', 100, 5), 0.04);
      expect(arm.lift.lower).toBeGreaterThan(0);
      expect(arm.power).toMatchObject({ effectSource: 'planned', effect: 0.04, requiredPerArm: 638, underpowered: true });
      expect(arm.verdict).toBe('underpowered');
    });

    it('underpowered: a null result from too few users says so instead of "no difference"', () => {
      expect(verdictOf(group('email', 200, 11), group('holdout', 200, 10), 0.04).verdict).toBe('underpowered');
    });

    it('without a plan the observed lift is used: p = 0.006 is not yet enough, a z of 7 is', () => {
      const weak = verdictOf(group('email', 2000, 165), group('holdout', 2000, 120));
      expect(weak.pValue).toBeLessThan(0.01);
      expect(weak.power.effectSource).toBe('observed');
      expect(weak.power.effect).toBeCloseTo(0.0225, 12);
      expect(weak.power.achievedPower).toBeLessThan(0.8);
      expect(weak.verdict).toBe('underpowered');
      const strong = verdictOf(group('email', 2000, 200), group('holdout', 2000, 100));
      expect(strong.z).toBeGreaterThan(5);
      expect(strong.verdict).toBe('better');
      const none = verdictOf(group('email', 2000, 100), group('holdout', 2000, 100));
      expect(none.power).toMatchObject({ effect: 0, requiredPerArm: null, underpowered: true });
      expect(none.verdict).toBe('underpowered');
    });

    it('unequal arms: a small holdout costs power', () => {
      const even = verdictOf(group('email', 1000, 100), group('holdout', 1000, 50), 0.04);
      const lopsided = verdictOf(group('email', 1900, 190), group('holdout', 100, 5), 0.04);
      expect(even.power.achievedPower).toBeGreaterThan(0.8);
      expect(lopsided.power.achievedPower).toBeLessThan(0.5);
      expect(lopsided.verdict).toBe('underpowered');
    });
  });

  describe('cost per incremental rescue', () => {
    it("'unbounded' when the lift interval reaches 0, 'undefined' when the lift is not positive", () => {
      const unbounded = verdictOf(group('email', 300, 20, 90), group('holdout', 300, 12));
      expect(unbounded.lift.lower).toBeLessThan(0);
      expect(unbounded.costPerIncrementalRescue).toMatchObject({ kind: 'unbounded', upper: null });
      if (unbounded.costPerIncrementalRescue.kind !== 'unbounded') throw new Error('unreachable');
      expect(unbounded.costPerIncrementalRescue.estimate).toBeCloseTo(90 / ((20 - 12) / 300) / 300, 12);
      expect(verdictOf(group('email', 300, 12, 90), group('holdout', 300, 12)).costPerIncrementalRescue.kind).toBe('undefined');
      expect(verdictOf(group('email', 300, 5, 90), group('holdout', 300, 12)).costPerIncrementalRescue.kind).toBe('undefined');
    });
  });

  it('reports other confidence levels throughout', () => {
    const result = compareArms({ arms: [group('email', 2000, 165, 100)], holdout: group('holdout', 2000, 120), confidence: 0.99 });
    const arm = result.arms[0]!;
    expect(result.holdout.rate.confidence).toBe(0.99);
    expect(arm.lift).toEqual(absoluteLift({ successes: 165, trials: 2000 }, { successes: 120, trials: 2000 }, 0.99));
    expect(arm.lift.lower).toBeLessThan(absoluteLift({ successes: 165, trials: 2000 }, { successes: 120, trials: 2000 }).lower);
    expect(arm.costPerIncrementalRescue.confidence).toBe(0.99);
  });
});
