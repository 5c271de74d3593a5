import fc from 'fast-check';
import jstat from 'jstat';
import { describe, expect, it } from 'vitest';
import {
  absoluteLift,
  comparisonPower,
  costPerIncrementalRescue,
  relativeLift,
  sampleSizePerArm,
  twoProportionTest,
  wilsonInterval,
  zForConfidence,
} from '../../rules/stats/index.ts';

/** k out of n with n from 1 to 5,000, leaning towards the small rates rescues have. */
const proportion = fc
  .integer({ min: 1, max: 5000 })
  .chain((trials) => fc.record({ trials: fc.constant(trials), successes: fc.oneof(fc.integer({ min: 0, max: trials }), fc.integer({ min: 0, max: Math.ceil(trials / 10) })) }));
const confidence = fc.constantFrom(0.8, 0.9, 0.95, 0.99, 0.999);
const width = (i: { lower: number; upper: number }) => i.upper - i.lower;

describe('Wilson interval', () => {
  it('lies in [0, 1] and contains the observed rate', () => {
    fc.assert(
      fc.property(proportion, confidence, ({ successes, trials }, c) => {
        const w = wilsonInterval(successes, trials, c);
        expect(w.lower).toBeGreaterThanOrEqual(0);
        expect(w.upper).toBeLessThanOrEqual(1);
        expect(w.lower).toBeLessThanOrEqual(w.estimate);
        expect(w.estimate).toBeLessThanOrEqual(w.upper);
      }),
    );
  });

  it('its bounds are the rates at which the score statistic equals z (the definition, checked independently)', () => {
    fc.assert(
      fc.property(proportion, confidence, ({ successes, trials }, c) => {
        const w = wilsonInterval(successes, trials, c);
        const z = zForConfidence(c);
        for (const bound of [w.lower, w.upper]) {
          if (bound === 0 || bound === 1) continue;
          const score = Math.abs(w.estimate - bound) / Math.sqrt((bound * (1 - bound)) / trials);
          expect(score).toBeCloseTo(z, 6);
        }
      }),
    );
  });

  it('narrows as n grows at the same observed rate', () => {
    fc.assert(
      fc.property(proportion, fc.integer({ min: 2, max: 20 }), ({ successes, trials }, m) => {
        expect(width(wilsonInterval(successes * m, trials * m))).toBeLessThan(width(wilsonInterval(successes, trials)));
      }),
    );
  });
});

describe('Newcombe interval of the lift', () => {
  it('lies in [-1, 1] and contains the observed difference', () => {
    fc.assert(
      fc.property(proportion, proportion, confidence, (arm, holdout, c) => {
        const l = absoluteLift(arm, holdout, c);
        expect(l.lower).toBeGreaterThanOrEqual(-1);
        expect(l.upper).toBeLessThanOrEqual(1);
        expect(l.lower).toBeLessThanOrEqual(l.estimate + 1e-12);
        expect(l.estimate).toBeLessThanOrEqual(l.upper + 1e-12);
      }),
    );
  });

  it('narrows as both groups grow at the same observed rates', () => {
    fc.assert(
      fc.property(proportion, proportion, fc.integer({ min: 2, max: 20 }), (arm, holdout, m) => {
        const scaled = (g: typeof arm) => ({ successes: g.successes * m, trials: g.trials * m });
        expect(width(absoluteLift(scaled(arm), scaled(holdout)))).toBeLessThan(width(absoluteLift(arm, holdout)));
      }),
    );
  });

  it('swapping the groups mirrors the interval', () => {
    fc.assert(
      fc.property(proportion, proportion, (arm, holdout) => {
        const there = absoluteLift(arm, holdout);
        const back = absoluteLift(holdout, arm);
        expect(back.lower).toBeCloseTo(-there.upper, 12);
        expect(back.upper).toBeCloseTo(-there.lower, 12);
      }),
    );
  });
});

describe('relative lift', () => {
  it('its interval contains the ratio whenever it can be estimated', () => {
    fc.assert(
      fc.property(proportion, proportion, (arm, holdout) => {
        const r = relativeLift(arm, holdout);
        if (!r.estimable) return;
        expect(r.lower).toBeLessThanOrEqual(r.ratio * (1 + 1e-12));
        expect(r.ratio).toBeLessThanOrEqual(r.upper * (1 + 1e-12));
      }),
    );
  });
});

describe('two-proportion z-test', () => {
  it('agrees with jstat for rates strictly between 0 and 1', () => {
    const interior = fc
      .integer({ min: 2, max: 5000 })
      .chain((trials) => fc.record({ trials: fc.constant(trials), successes: fc.integer({ min: 1, max: trials - 1 }) }));
    fc.assert(
      fc.property(interior, interior, (arm, holdout) => {
        const ours = twoProportionTest(arm, holdout).pValue;
        const theirs = jstat.jStat.fn.twoSidedDifferenceOfProportions(arm.successes / arm.trials, arm.trials, holdout.successes / holdout.trials, holdout.trials);
        expect(Math.abs(ours - theirs)).toBeLessThan(1e-9);
      }),
    );
  });
});

describe('power planner', () => {
  const plan = fc
    .record({ baseRate: fc.double({ min: 0.01, max: 0.6, noNaN: true }), minimumDetectableEffect: fc.double({ min: 0.01, max: 0.3, noNaN: true }) })
    .filter((p) => p.baseRate + p.minimumDetectableEffect < 1);

  it('the n it asks for reaches the target power and n − 1 falls short', () => {
    fc.assert(
      fc.property(plan, fc.constantFrom(0.7, 0.8, 0.9), (p, power) => {
        const n = sampleSizePerArm({ ...p, power });
        expect(comparisonPower({ ...p, armUsers: n, holdoutUsers: n })).toBeGreaterThanOrEqual(power - 1e-9);
        if (n > 1) expect(comparisonPower({ ...p, armUsers: n - 1, holdoutUsers: n - 1 })).toBeLessThan(power + 1e-9);
      }),
    );
  });

  it('power grows with the number of users (until it is 1 to the last digit)', () => {
    fc.assert(
      fc.property(plan, fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 1000 }), (p, n, more) => {
        const fewer = comparisonPower({ ...p, armUsers: n, holdoutUsers: n });
        const bigger = comparisonPower({ ...p, armUsers: n + more, holdoutUsers: n + more });
        if (fewer < 0.999) expect(bigger).toBeGreaterThan(fewer);
        else expect(bigger).toBeGreaterThanOrEqual(fewer);
      }),
    );
  });
});

describe('cost per incremental rescue', () => {
  it('a bounded interval contains its estimate; an unbounded one says why', () => {
    fc.assert(
      fc.property(proportion, proportion, fc.double({ min: 0, max: 1e6, noNaN: true }), (arm, holdout, cost) => {
        const c = costPerIncrementalRescue(cost, arm.trials, absoluteLift(arm, holdout));
        if (c.kind === 'bounded') {
          expect(c.lower).toBeLessThanOrEqual(c.estimate);
          expect(c.estimate).toBeLessThanOrEqual(c.upper);
        } else {
          expect(c.reason).toMatch(/lift/);
        }
      }),
    );
  });
});
