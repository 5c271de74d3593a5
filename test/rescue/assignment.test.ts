import { chiSquaredDistributionTable } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { assignArm, hash32, type Allocation } from '../../rules/assignment.ts';
import { defaultPolicy } from '../../rules/default-policy.ts';

const N = 40_000;
const ids = Array.from({ length: N }, (_, i) => `user-${i}`);

/** Pearson's statistic for observed counts against expected shares. */
function chiSquare(counts: Map<string, number>, shares: Map<string, number>): number {
  let statistic = 0;
  for (const [arm, share] of shares) {
    const expected = share * N;
    statistic += ((counts.get(arm) ?? 0) - expected) ** 2 / expected;
  }
  return statistic;
}

function allocate(campaign: Allocation): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) {
    const { arm } = assignArm(id, campaign);
    counts.set(arm, (counts.get(arm) ?? 0) + 1);
  }
  return counts;
}

function sharesOf(campaign: Allocation): Map<string, number> {
  const total = campaign.arms.reduce((s, a) => s + a.weight, 0);
  const shares = new Map<string, number>([['holdout', campaign.holdout]]);
  for (const arm of campaign.arms) shares.set(arm.name, ((1 - campaign.holdout) * arm.weight) / total);
  return shares;
}

/** The critical value at p = 0.005: a fair allocation exceeds it one time in 200. */
const critical = (df: number) => (chiSquaredDistributionTable as unknown as Record<number, Record<number, number>>)[df]![0.005]!;

describe('stable arm assignment', () => {
  it('matches FNV-1a plus the murmur3 finaliser on known inputs', () => {
    // Reference values: FNV-1a("") = 0x811c9dc5, FNV-1a("a") = 0xe40c292c, then fmix32.
    const fmix = (h: number) => {
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
      return h >>> 0;
    };
    expect(hash32('')).toBe(fmix(0x811c9dc5));
    expect(hash32('a')).toBe(fmix(0xe40c292c));
    expect(hash32('foobar')).toBe(fmix(0xbf9cf968));
  });

  it('gives the same arm for the same user, campaign and salt, every time', () => {
    const campaign = { name: 'winback', holdout: 0.1, arms: [{ name: 'email', weight: 1 }, { name: 'sms', weight: 1 }] };
    for (const id of ids.slice(0, 1000)) expect(assignArm(id, campaign)).toEqual(assignArm(id, { ...campaign, arms: [...campaign.arms] }));
  });

  it.each([
    { name: 'even three arms, 10% holdout', holdout: 0.1, arms: [{ name: 'email', weight: 1 }, { name: 'sms', weight: 1 }, { name: 'both', weight: 1 }] },
    { name: 'uneven weights, 20% holdout', holdout: 0.2, arms: [{ name: 'email', weight: 3 }, { name: 'sms', weight: 1 }] },
    { name: 'no holdout, fractional weights', holdout: 0, arms: [{ name: 'a', weight: 0.25 }, { name: 'b', weight: 0.5 }, { name: 'c', weight: 0.25 }] },
  ])('allocates by the weights and the holdout share ($name): chi-square below p = 0.005', (campaign) => {
    const counts = allocate(campaign);
    const shares = sharesOf(campaign);
    if (campaign.holdout === 0) shares.delete('holdout');
    expect([...counts.keys()].sort()).toEqual([...shares.keys()].sort());
    expect(chiSquare(counts, shares)).toBeLessThan(critical(shares.size - 1));
  });

  it('a skewed allocation fails the same test (the test can fail)', () => {
    const campaign = { name: 'c', holdout: 0.1, arms: [{ name: 'email', weight: 1 }, { name: 'sms', weight: 1 }] };
    const claimed = sharesOf({ ...campaign, arms: [{ name: 'email', weight: 1.1 }, { name: 'sms', weight: 0.9 }] });
    expect(chiSquare(allocate(campaign), claimed)).toBeGreaterThan(critical(2));
  });

  it('another salt or campaign re-randomises independently', () => {
    const arms = [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }];
    const first = ids.map((id) => assignArm(id, { name: 'winback', holdout: 0, arms }).arm);
    const salted = ids.map((id) => assignArm(id, { name: 'winback', salt: '2026-q2', holdout: 0, arms }).arm);
    const other = ids.map((id) => assignArm(id, { name: 'onboarding', holdout: 0, arms }).arm);
    // Independent 50/50 assignments agree half the time: 2x2 table, df 1.
    for (const second of [salted, other]) {
      const same = first.filter((arm, i) => arm === second[i]).length;
      const z2 = (same - N / 2) ** 2 / (N / 4);
      expect(z2).toBeLessThan(critical(1));
    }
  });

  it("assigns the default policy's campaigns to their arms", () => {
    const winback = defaultPolicy().campaigns.find((c) => c.name === 'winback')!;
    const counts = allocate(winback);
    expect([...counts.keys()].sort()).toEqual(['email', 'email-then-sms', 'holdout', 'sms']);
    expect(chiSquare(counts, sharesOf(winback))).toBeLessThan(critical(3));
  });
});
