import { describe, expect, it } from 'vitest';
import {
  absoluteLift,
  checkPower,
  compareArms,
  costPerIncrementalRescue,
  medianDaysToReturn,
  relativeLift,
  sampleSizePerArm,
  StatsInputError,
  twoProportionTest,
  wilsonInterval,
} from '../../rules/stats/index.ts';

/** The error's lines, so a test names exactly which fields were reported. */
function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StatsInputError);
    return (error as StatsInputError).message.split('\n');
  }
  throw new Error('expected a StatsInputError');
}

const lift = absoluteLift({ successes: 300, trials: 2000 }, { successes: 100, trials: 2000 });

describe('bad input names the field and the rule', () => {
  it('a rate over nobody', () => {
    expect(problems(() => wilsonInterval(0, 0))).toEqual(['trials: must be at least 1: a rate needs at least one trial (got 0)']);
    expect(problems(() => absoluteLift({ successes: 0, trials: 0 }, { successes: 1, trials: 5 }))).toEqual([
      'arm.trials: must be at least 1: a rate needs at least one trial (got 0)',
    ]);
  });

  it('more successes than trials, fractions, negatives, NaN', () => {
    expect(problems(() => wilsonInterval(3, 2))).toEqual(['successes: must be at most trials (3 > 2)']);
    expect(problems(() => wilsonInterval(1.5, 10))).toEqual(['successes: must be a whole number (got 1.5)']);
    expect(problems(() => wilsonInterval(-1, 10))).toEqual(['successes: must be 0 or more (got -1)']);
    expect(problems(() => twoProportionTest({ successes: Number.NaN, trials: 10 }, { successes: 1, trials: 10 }))).toEqual(['arm.successes: must be a finite number (got NaN)']);
  });

  it('every bad argument at once, not only the first', () => {
    expect(problems(() => wilsonInterval(1, 0, 1.5))).toEqual([
      'trials: must be at least 1: a rate needs at least one trial (got 0)',
      'confidence: must be between 0 and 1 (exclusive), e.g. 0.95 (got 1.5)',
    ]);
    expect(problems(() => relativeLift({ successes: 5, trials: 4 }, { successes: -2, trials: 4 }, 0))).toEqual([
      'arm.successes: must be at most trials (5 > 4)',
      'holdout.successes: must be 0 or more (got -2)',
      'confidence: must be between 0 and 1 (exclusive), e.g. 0.95 (got 0)',
    ]);
  });

  it('a power plan that cannot be met', () => {
    expect(problems(() => sampleSizePerArm({ baseRate: 0.05, minimumDetectableEffect: 0 }))).toEqual([
      'minimumDetectableEffect: must not be 0: no sample size detects a zero effect',
    ]);
    expect(problems(() => sampleSizePerArm({ baseRate: 0.98, minimumDetectableEffect: 0.04 }))).toEqual([
      'minimumDetectableEffect: baseRate + minimumDetectableEffect must be a rate from 0 to 1 (0.98 + 0.04 = 1.02)',
    ]);
    expect(problems(() => sampleSizePerArm({ baseRate: 1.5, minimumDetectableEffect: 0.04, power: 1 }))).toEqual([
      'baseRate: must be a rate from 0 to 1 (got 1.5)',
      'power: must be between 0 and 1 (exclusive), e.g. 0.8 (got 1)',
    ]);
    expect(problems(() => checkPower({ successes: 1, trials: 10 }, { successes: 1, trials: 10 }, { alpha: 0 }))).toEqual([
      'alpha: must be between 0 and 1 (exclusive), e.g. 0.05 (got 0)',
    ]);
  });

  it('cost and return days', () => {
    expect(problems(() => costPerIncrementalRescue(-5, 2000, lift))).toEqual(['cost: must be 0 or more (got -5)']);
    expect(problems(() => costPerIncrementalRescue(5, 0, lift))).toEqual(['users: must be at least 1: an arm with no users has no cost per user (got 0)']);
    expect(problems(() => medianDaysToReturn([2, -1, Number.POSITIVE_INFINITY]))).toEqual([
      'returnDays[1]: must be 0 or more: a user returns after assignment (got -1)',
      'returnDays[2]: must be a finite number of days (got Infinity)',
    ]);
  });

  it('compareArms names the arm and field of every problem', () => {
    const holdout = { assigned: 100, rescued: 1, returnDays: [3] };
    expect(
      problems(() =>
        compareArms({
          arms: [
            { name: 'email', assigned: 0, rescued: 0, cost: 1, returnDays: [] },
            { name: 'sms', assigned: 10, rescued: 12, cost: -1, returnDays: [1] },
            { name: 'email', assigned: 10, rescued: 1, returnDays: [1] },
          ],
          holdout,
          confidence: 95,
        }),
      ),
    ).toEqual([
      'arms[0].assigned: must be at least 1: a rate needs at least one user (got 0)',
      'arms[1].cost: must be 0 or more (got -1)',
      'arms[1].rescued: must be at most assigned (12 > 10)',
      'arms[1].returnDays: must hold one entry per rescued user (1 entries, 12 rescued)',
      'confidence: must be between 0 and 1 (exclusive), e.g. 0.95 (got 95)',
      'arms[2].name: must be unique ("email" is used twice)',
    ]);
    expect(problems(() => compareArms({ arms: [], holdout }))).toEqual(['arms: must list at least one arm']);
    expect(problems(() => compareArms({ arms: [{ name: 'holdout', assigned: 5, rescued: 0, returnDays: [] }], holdout }))).toEqual([
      'arms[0].name: must be unique ("holdout" is used twice)',
    ]);
    expect(problems(() => compareArms({ arms: [{ name: 'sms', assigned: 5, rescued: 0, returnDays: [] }], holdout, minimumDetectableEffect: 0 }))).toEqual([
      'minimumDetectableEffect: must not be 0: no sample size detects a zero effect',
    ]);
  });
});
