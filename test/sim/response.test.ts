import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../rules/index.ts';
import type { Channel } from '../../rules/campaigns.ts';
import { contactsFor, PHONE_SHARE, reachableChannels } from '../../sim/contacts.ts';
import { keyedRandom } from '../../sim/keyed-random.ts';
import {
  DEFAULT_PLANTED,
  lastReturnDay,
  parsePlanted,
  planReturn,
  plannedExposure,
  RETURN_JITTER_MS,
  returnProbability,
  returnThreshold,
} from '../../sim/response.ts';

const DAY = 86_400_000;
const policy = defaultPolicy();
const winback = policy.campaigns!.find((c) => c.name === 'winback')!;
const arm = (name: string) => winback.arms.find((a) => a.name === name)!;
const both = new Set<Channel>(['email', 'sms']);
const emailOnly = new Set<Channel>(['email']);

describe('planted rates', () => {
  it('parses channel=probability pairs over the defaults', () => {
    expect(parsePlanted('')).toEqual(DEFAULT_PLANTED);
    expect(parsePlanted('holdout=0.08, sms=0.3')).toEqual({ holdout: 0.08, email: 0.09, sms: 0.3 });
  });

  it.each([
    ['push=0.2', /unknown channel "push": allowed are holdout, email, sms/],
    ['sms', /"sms" is not channel=probability/],
    ['sms=high', /sms: "high" is not a number/],
    ['sms=1.5', /sms must be between 0 and 1/],
    ['holdout=0.2', /email \(0.09\) must be at least holdout \(0.2\)/],
  ])('rejects %s naming what is wrong', (text, message) => {
    expect(() => parsePlanted(text)).toThrow(message);
  });
});

describe('response model', () => {
  it('nothing delivered is the holdout rate; several channels give the largest', () => {
    expect(returnProbability([], DEFAULT_PLANTED)).toBe(0.05);
    expect(returnProbability(['email'], DEFAULT_PLANTED)).toBe(0.09);
    expect(returnProbability(['sms'], DEFAULT_PLANTED)).toBe(0.12);
    expect(returnProbability(['sms', 'email'], DEFAULT_PLANTED)).toBe(0.12);
    expect(returnProbability(['email'], { holdout: 0.05, email: 0.2, sms: 0.1 })).toBe(0.2);
  });

  it('plans what each arm of the shipped policy delivers, by the contacts a user has', () => {
    const plan = (name: string, reachable: Set<Channel>) => plannedExposure(arm(name), policy.templates, reachable).sort();
    expect(plan('email', both)).toEqual(['email']);
    expect(plan('sms', both)).toEqual(['sms']);
    expect(plan('email-then-sms', both)).toEqual(['email', 'sms']);
    // No phone: the SMS arm has no other channel; email-then-sms falls back to email for its SMS step.
    expect(plan('sms', emailOnly)).toEqual([]);
    expect(plan('email-then-sms', emailOnly)).toEqual(['email']);
    expect(plannedExposure(undefined, policy.templates, both)).toEqual([]);
  });

  it('a user returns iff their threshold is below the probability of what reached them, whatever the order of decisions', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => [`user-${i}`, `rescue:user-${i}:winback:1`] as const);
    const forward = ids.map(([u, r]) => returnThreshold(7, u, r));
    const backward = [...ids].reverse().map(([u, r]) => returnThreshold(7, u, r)).reverse();
    expect(backward).toEqual(forward);
    // Uniform: the share below each planted rate is that rate (binomial sd ≈ 0.002 at 20,000).
    for (const p of [0.05, 0.09, 0.12]) expect(Math.abs(forward.filter((u) => u < p).length / ids.length - p)).toBeLessThan(0.008);
    expect(returnThreshold(8, 'user-1', 'rescue:user-1:winback:1')).not.toBe(forward[1]);
  });

  it('returns land on a whole day from the earliest allowed to the last, plus a short jitter; some returners pay', () => {
    const plans = Array.from({ length: 5_000 }, (_, i) => planReturn(3, `user-${i}`, `rescue:user-${i}:winback:1`, 6, 12)!);
    const days = new Set(plans.map((p) => Math.floor(p.afterMs / DAY)));
    expect([...days].sort((a, b) => a - b)).toEqual([6, 7, 8, 9, 10, 11, 12]);
    for (const p of plans) expect(p.afterMs % DAY).toBeLessThan(RETURN_JITTER_MS);
    const paying = plans.filter((p) => p.revenue !== null);
    expect(paying.length / plans.length).toBeGreaterThan(0.2);
    expect(paying.length / plans.length).toBeLessThan(0.3);
    for (const p of paying) expect(p.revenue).toBeGreaterThanOrEqual(9.99);
    expect(planReturn(3, 'user-1', 'rescue:user-1:winback:1', 6, 12)).toEqual(plans[1]);
    expect(planReturn(3, 'user-1', 'x', 0, 12)!.afterMs).toBeGreaterThanOrEqual(DAY);
    expect(planReturn(3, 'user-1', 'x', 13, 12)).toBeNull();
    // Inside the window, with a day to spare for posting: day 12 of a 14-day window, day 5 of a 7-day one.
    expect(lastReturnDay(14 * DAY)).toBe(12);
    expect(lastReturnDay(7 * DAY)).toBe(5);
    const weekly = Array.from({ length: 500 }, (_, i) => planReturn(3, `user-${i}`, `rescue:user-${i}:onboarding:1`, 1, lastReturnDay(7 * DAY))!);
    expect(Math.max(...weekly.map((p) => p.afterMs))).toBeLessThan(6 * DAY);
  });
});

describe('simulated contacts', () => {
  it('everyone has an email address; a seeded share has a phone', () => {
    const all = Array.from({ length: 4_000 }, (_, i) => contactsFor(11, `user-${i}`, i));
    expect(all.every((c) => c.email.endsWith('@example.com'))).toBe(true);
    const phones = all.filter((c) => c.phone);
    expect(Math.abs(phones.length / all.length - PHONE_SHARE)).toBeLessThan(0.03);
    expect(new Set(phones.map((c) => c.phone)).size).toBe(phones.length);
    for (const c of phones) expect(c.phone).toMatch(/^\+[1-9]\d{6,14}$/);
    expect(contactsFor(11, 'user-5', 5)).toEqual(all[5]);
    expect(reachableChannels(all.find((c) => !c.phone)!)).toEqual(new Set(['email']));
  });

  it('keyed streams depend on the keys, not on draws made elsewhere', () => {
    const a = keyedRandom(1, 'x', 'y');
    a.float();
    const b = keyedRandom(1, 'x', 'y');
    const c = keyedRandom(1, 'x', 'z');
    const first = keyedRandom(1, 'x', 'y').float();
    expect(b.float()).toBe(first);
    expect(c.float()).not.toBe(first);
    const ints = Array.from({ length: 1_000 }, () => a.int(3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
  });
});
