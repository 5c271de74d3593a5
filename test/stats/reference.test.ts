import jstat from 'jstat';
import { describe, expect, it } from 'vitest';
import {
  absoluteLift,
  comparisonPower,
  medianDaysToReturn,
  normalQuantile,
  relativeLift,
  sampleSizePerArm,
  twoProportionTest,
  wilsonInterval,
} from '../../rules/stats/index.ts';

const p = (successes: number, trials: number) => ({ successes, trials });

describe('Wilson score interval', () => {
  it('165/2000 → [0.07123, 0.09537]', () => {
    const w = wilsonInterval(165, 2000);
    expect(w.estimate).toBe(0.0825);
    expect(w.lower).toBeCloseTo(0.07123, 5);
    expect(w.upper).toBeCloseTo(0.09537, 5);
    expect(w.confidence).toBe(0.95);
  });

  it('0/10 and 10/10 reach exactly 0 and 1 and are 0.2775 wide (Newcombe 1998a, Table I)', () => {
    expect(wilsonInterval(0, 10)).toMatchObject({ estimate: 0, lower: 0 });
    expect(wilsonInterval(0, 10).upper).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(10, 10)).toMatchObject({ estimate: 1, upper: 1 });
    expect(wilsonInterval(10, 10).lower).toBeCloseTo(0.7225, 4);
  });

  it('takes other confidence levels: 99% is wider than 95% is wider than 80%', () => {
    const width = (c: number) => {
      const w = wilsonInterval(165, 2000, c);
      return w.upper - w.lower;
    };
    expect(width(0.99)).toBeGreaterThan(width(0.95));
    expect(width(0.95)).toBeGreaterThan(width(0.8));
    // 81/263 at 99%: Wilson's formula with z = 2.5758293, worked separately in a calculator.
    const w = wilsonInterval(81, 263, 0.99);
    expect(w.lower).toBeCloseTo(0.24014, 5);
    expect(w.upper).toBeCloseTo(0.38528, 5);
  });
});

describe('normal quantile', () => {
  it('matches the tables to 1e-12 (the reason jstat is used, not simple-statistics)', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 12);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 12);
  });
});

describe('two-proportion z-test (pooled, two-sided)', () => {
  it('165/2000 vs 120/2000 → p = 0.00568', () => {
    const t = twoProportionTest(p(165, 2000), p(120, 2000));
    expect(t.pValue).toBeCloseTo(0.00568, 5);
    expect(t.z).toBeCloseTo(2.7659, 4);
  });

  it('is symmetric and says p = 1 when there is nothing to compare', () => {
    expect(twoProportionTest(p(120, 2000), p(165, 2000)).pValue).toBeCloseTo(twoProportionTest(p(165, 2000), p(120, 2000)).pValue, 15);
    expect(twoProportionTest(p(0, 50), p(0, 80))).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionTest(p(50, 50), p(80, 80))).toEqual({ z: 0, pValue: 1 });
  });

  it('agrees with jstat.fn.twoSidedDifferenceOfProportions (rates strictly inside 0..1, which jstat requires)', () => {
    for (const [k1, n1, k2, n2] of [
      [165, 2000, 120, 2000],
      [3, 40, 9, 35],
      [500, 1000, 480, 1200],
      [2, 10, 1, 10],
    ] as const) {
      const ours = twoProportionTest(p(k1, n1), p(k2, n2)).pValue;
      expect(ours).toBeCloseTo(jstat.jStat.fn.twoSidedDifferenceOfProportions(k1 / n1, n1, k2 / n2, n2), 10);
    }
  });
});

describe('Newcombe hybrid score interval for the lift', () => {
  // Newcombe RG, "Interval estimation for the difference between independent proportions: comparison
  // of eleven methods", Statistics in Medicine 1998;17:873–890, Table II, method 10.
  const table2 = [
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
    [10, 10, 0, 10, 0.6075, 1],
  ] as const;
  for (const [k1, n1, k2, n2, lower, upper] of table2) {
    it(`${k1}/${n1} − ${k2}/${n2} → [${lower}, ${upper}]`, () => {
      const lift = absoluteLift(p(k1, n1), p(k2, n2));
      expect(lift.estimate).toBeCloseTo(k1 / n1 - k2 / n2, 12);
      expect(lift.lower).toBeCloseTo(lower, 4);
      expect(lift.upper).toBeCloseTo(upper, 4);
    });
  }
});

describe('relative lift (Katz log interval)', () => {
  it('20/100 vs 10/100 → ratio 2 [0.98656, 4.05448]', () => {
    // ln 2 ± 1.959964·√(1/20 − 1/100 + 1/10 − 1/100) = ln 2 ± 0.706675
    const r = relativeLift(p(20, 100), p(10, 100));
    expect(r).toMatchObject({ estimable: true, ratio: 2 });
    if (!r.estimable) throw new Error('unreachable');
    expect(r.lower).toBeCloseTo(0.98656, 5);
    expect(r.upper).toBeCloseTo(4.05448, 5);
  });

  it('says when the ratio or its interval cannot be estimated', () => {
    expect(relativeLift(p(5, 100), p(0, 100))).toMatchObject({ estimable: false, ratio: null });
    expect(relativeLift(p(0, 100), p(5, 100))).toMatchObject({ estimable: false, ratio: 0 });
  });
});

describe('power planner', () => {
  it('p0 = 0.05, d = 0.04, α = 0.05, power 0.8 → 638 per arm', () => {
    // Fleiss' formula by hand: p̄ = 0.07;
    // (1.959964·√(2·0.07·0.93) + 0.841621·√(0.05·0.95 + 0.09·0.91))² / 0.04² = 1.020035 / 0.0016 = 637.52 → 638.
    expect(sampleSizePerArm({ baseRate: 0.05, minimumDetectableEffect: 0.04 })).toBe(638);
    // The simpler unpooled textbook form, (z_a + z_b)²·(p0q0 + p1q1)/d², gives 634.8: the pooled one is larger.
  });

  it('a stricter plan needs more users; a negative effect of the same size about as many', () => {
    const base = { baseRate: 0.05, minimumDetectableEffect: 0.04 };
    expect(sampleSizePerArm({ ...base, power: 0.9 })).toBeGreaterThan(638);
    expect(sampleSizePerArm({ ...base, alpha: 0.01 })).toBeGreaterThan(638);
    expect(sampleSizePerArm({ ...base, minimumDetectableEffect: 0.02 })).toBeGreaterThan(2000);
    expect(sampleSizePerArm({ baseRate: 0.09, minimumDetectableEffect: -0.04 })).toBe(638);
  });

  it('the planned n per arm reaches the target power and one user fewer does not', () => {
    const plan = { baseRate: 0.05, minimumDetectableEffect: 0.04 };
    expect(comparisonPower({ ...plan, armUsers: 638, holdoutUsers: 638 })).toBeGreaterThanOrEqual(0.8);
    expect(comparisonPower({ ...plan, armUsers: 637, holdoutUsers: 637 })).toBeLessThan(0.8);
  });
});

describe('median time to return', () => {
  it('is the middle value, or the mean of the two middle ones, or null for nobody', () => {
    expect(medianDaysToReturn([5, 1, 3])).toBe(3);
    expect(medianDaysToReturn([4, 1, 2, 8])).toBe(3);
    expect(medianDaysToReturn([])).toBeNull();
  });
});
