import { describe, expect, it } from 'vitest';
import { classify, compileClassifier } from '../../rules/classify.ts';
import { defaultPolicy } from '../../rules/default-policy.ts';
import { eventKinds, ENGAGEMENT_EVENTS } from '../../rules/events.ts';
import type { Facts } from '../../rules/facts.ts';
import { parsePolicy } from '../../rules/policy.ts';
import { triggersFor } from '../../rules/triggers.ts';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const now = Date.parse('2026-03-01T12:00:00Z');

const facts = (f: Partial<Facts> = {}): Facts => ({
  firstSeenAt: now - 100 * D,
  lastActiveAt: null,
  lastPaymentAt: null,
  counts: {},
  revenue: {},
  traits: {},
  ...f,
});

const policy = (stages: string, extra = '') => parsePolicy(`name: t\n${extra}stages:\n${stages}  - stage: churned\n    otherwise: true\n`);

describe('classify with the default policy', () => {
  const p = defaultPolicy();

  it('puts a recent payer in paying until 35 days after the payment', () => {
    const r = classify(facts({ lastActiveAt: now - D, lastPaymentAt: now - 3 * D }), p, now);
    expect(r).toEqual({ stage: 'paying', rule: 'paying', nextChangeAt: now + 32 * D });
    // At the boundary the payment is exactly 35 days old: no longer paying; the last activity is 33 days old.
    expect(classify(facts({ lastActiveAt: now - D, lastPaymentAt: now - 3 * D }), p, now + 32 * D - 1).stage).toBe('paying');
    expect(classify(facts({ lastActiveAt: now - D, lastPaymentAt: now - 3 * D }), p, now + 32 * D).stage).toBe('churned');
  });

  it('keeps a newcomer new until the first of 14 days of age or 7 idle days', () => {
    expect(classify(facts({ firstSeenAt: now - 10 * D, lastActiveAt: now - D }), p, now)).toEqual({
      stage: 'new',
      rule: 'new',
      nextChangeAt: now + 4 * D,
    });
    expect(classify(facts({ firstSeenAt: now - 2 * D, lastActiveAt: now - 2 * D }), p, now)).toEqual({
      stage: 'new',
      rule: 'new',
      nextChangeAt: now + 5 * D,
    });
    // After 14 days a newcomer who is still active becomes active, then silent 7 days after the last activity.
    expect(classify(facts({ firstSeenAt: now - 14 * D, lastActiveAt: now - D }), p, now)).toEqual({
      stage: 'active',
      rule: 'active',
      nextChangeAt: now + 6 * D,
    });
  });

  it('walks active → silent → churned at exactly 7 and 30 days after the last activity', () => {
    const f = facts({ lastActiveAt: now });
    expect(classify(f, p, now)).toEqual({ stage: 'active', rule: 'active', nextChangeAt: now + 7 * D });
    expect(classify(f, p, now + 7 * D - 1)).toMatchObject({ stage: 'active', nextChangeAt: now + 7 * D });
    expect(classify(f, p, now + 7 * D)).toEqual({ stage: 'silent', rule: 'silent', nextChangeAt: now + 30 * D });
    expect(classify(f, p, now + 30 * D - 1).stage).toBe('silent');
    expect(classify(f, p, now + 30 * D)).toEqual({ stage: 'churned', rule: 'churned', nextChangeAt: null });
  });

  it('treats a user who was never active as churned, for good', () => {
    expect(classify(facts({ firstSeenAt: now - 40 * D }), p, now)).toEqual({ stage: 'churned', rule: 'churned', nextChangeAt: null });
  });

  it('gives the same answers compiled once and through classify', () => {
    const compiled = compileClassifier(p);
    for (const f of [facts({ lastActiveAt: now - 3 * D }), facts({ lastPaymentAt: now - D, lastActiveAt: now - D })]) {
      expect(compiled(f, now)).toEqual(classify(f, p, new Date(now)));
    }
  });
});

describe('boundaries of each comparison', () => {
  it('lt and gte change at the threshold, lte and gt one millisecond after it', () => {
    const lt = policy('  - stage: active\n    when: { since_last_activity: { lt: 1 day } }\n');
    const lte = policy('  - stage: active\n    when: { since_last_activity: { lte: 1 day } }\n');
    const gt = policy('  - stage: silent\n    when: { since_last_activity: { gt: 1 day } }\n');
    const gte = policy('  - stage: silent\n    when: { since_last_activity: { gte: 1 day } }\n');
    const f = facts({ lastActiveAt: now });
    expect(classify(f, lt, now)).toMatchObject({ stage: 'active', nextChangeAt: now + D });
    expect(classify(f, lt, now + D).stage).toBe('churned');
    expect(classify(f, lte, now)).toMatchObject({ stage: 'active', nextChangeAt: now + D + 1 });
    expect(classify(f, lte, now + D).stage).toBe('active');
    expect(classify(f, lte, now + D + 1).stage).toBe('churned');
    expect(classify(f, gt, now)).toMatchObject({ stage: 'churned', nextChangeAt: now + D + 1 });
    expect(classify(f, gt, now + D)).toMatchObject({ stage: 'churned', nextChangeAt: now + D + 1 });
    expect(classify(f, gt, now + D + 1)).toMatchObject({ stage: 'silent', nextChangeAt: null });
    expect(classify(f, gte, now + D - 1)).toMatchObject({ stage: 'churned', nextChangeAt: now + D });
    expect(classify(f, gte, now + D)).toMatchObject({ stage: 'silent', nextChangeAt: null });
  });

  it('a range (gte and lt together) is entered and left at its two ends', () => {
    const p = policy('  - stage: silent\n    when: { since_last_activity: { gte: 7 days, lt: 30 days } }\n');
    const f = facts({ lastActiveAt: now });
    expect(classify(f, p, now)).toMatchObject({ stage: 'churned', nextChangeAt: now + 7 * D });
    expect(classify(f, p, now + 7 * D)).toMatchObject({ stage: 'silent', nextChangeAt: now + 30 * D });
    expect(classify(f, p, now + 30 * D)).toMatchObject({ stage: 'churned', nextChangeAt: null });
  });

  it('skips instants where a comparison flips but the stage stays the same', () => {
    const p = policy('  - stage: active\n    when:\n      any:\n        - account_age: { lt: 3 days }\n        - since_last_activity: { lt: 7 days }\n');
    const f = facts({ firstSeenAt: now - D, lastActiveAt: now - D });
    // account_age stops holding at +2 days, but recent activity keeps the user active until +6 days.
    expect(classify(f, p, now)).toMatchObject({ stage: 'active', nextChangeAt: now + 6 * D });
  });

  it('a later stage starting to hold changes nothing while an earlier one still matches', () => {
    const p = policy('  - stage: paying\n    when: { since_last_payment: { lt: 35 days } }\n  - stage: silent\n    when: { since_last_activity: { gte: 7 days } }\n');
    // Silent starts holding at +1 day, but paying is listed first and holds until +5 days.
    const f = facts({ lastActiveAt: now - 6 * D, lastPaymentAt: now - 30 * D });
    expect(classify(f, p, now)).toMatchObject({ stage: 'paying', nextChangeAt: now + 5 * D });
    expect(classify(f, p, now + 5 * D)).toMatchObject({ stage: 'silent', nextChangeAt: null });
  });

  it('not: turns a comparison around, including missing facts', () => {
    const p = policy('  - stage: active\n    when: { not: { since_last_payment: { lt: 10 days } } }\n');
    expect(classify(facts(), p, now)).toMatchObject({ stage: 'active', nextChangeAt: null });
    expect(classify(facts({ lastPaymentAt: now - 4 * D }), p, now)).toMatchObject({ stage: 'churned', nextChangeAt: now + 6 * D });
  });

  it('absolute instants and exists never change with time', () => {
    const p = policy(
      '  - stage: paying\n    when: { last_payment_at: { exists: true } }\n  - stage: new\n    when: { first_seen_at: { gte: "2026-02-01T00:00:00Z" } }\n',
    );
    expect(classify(facts({ lastPaymentAt: now - 400 * D }), p, now)).toMatchObject({ stage: 'paying', nextChangeAt: null });
    expect(classify(facts({ firstSeenAt: Date.parse('2026-02-01T00:00:00Z') }), p, now)).toMatchObject({ stage: 'new', nextChangeAt: null });
    expect(classify(facts({ firstSeenAt: Date.parse('2026-02-01T00:00:00Z') - 1 }), p, now)).toMatchObject({ stage: 'churned', nextChangeAt: null });
  });
});

describe('rolling windows', () => {
  const key = 'login,upload in 7 days';
  const p = policy('  - stage: active\n    when: { count: { events: [upload, login], within: 7 days, gte: 3 } }\n');

  it('counts occurrences inside the window and changes when the third newest leaves it', () => {
    const f = facts({ counts: { [key]: [now - D, now - 2 * D, now - 3 * D, now - 4 * D] } });
    expect(classify(f, p, now)).toMatchObject({ stage: 'active', nextChangeAt: now + 4 * D });
    expect(classify(f, p, now + 4 * D - 1).stage).toBe('active');
    expect(classify(f, p, now + 4 * D).stage).toBe('churned');
    expect(classify(facts({ counts: { [key]: [now - D, now - 2 * D] } }), p, now)).toMatchObject({ stage: 'churned', nextChangeAt: null });
  });

  it('treats occurrences at the same instant as leaving together', () => {
    const f = facts({ counts: { [key]: [now - D, now - 2 * D, now - 2 * D, now - 2 * D] } });
    expect(classify(f, p, now)).toMatchObject({ stage: 'active', nextChangeAt: now + 5 * D });
  });

  it('an exact count can start and stop holding as occurrences age out', () => {
    const exactly = policy('  - stage: active\n    when: { count: { events: [login], within: 1 day, eq: 1 } }\n');
    const f = facts({ counts: { 'login in 1 day': [now - H, now - 2 * H, now - 3 * H] } });
    // 3 in the window now; 1 when the two oldest have left (at +22 h); 0 at +23 h.
    expect(classify(f, exactly, now)).toMatchObject({ stage: 'churned', nextChangeAt: now + 22 * H });
    expect(classify(f, exactly, now + 22 * H)).toMatchObject({ stage: 'active', nextChangeAt: now + 23 * H });
    expect(classify(f, exactly, now + 23 * H)).toMatchObject({ stage: 'churned', nextChangeAt: null });
  });

  it('revenue in a window sums cents and follows refunds leaving the window', () => {
    const r = policy('  - stage: paying\n    when: { revenue: { within: 30 days, gte: 100 } }\n');
    const payments: [number, number][] = [
      [now - D, -5000],
      [now - 2 * D, 6000],
      [now - 10 * D, 9000],
    ];
    const f = facts({ revenue: { 'in 30 days': payments } });
    // 100.00 now; the 90.00 leaves at +20 days (10.00 left); the 60.00 at +28 (−50.00); the refund at +29 (0).
    expect(classify(f, r, now)).toMatchObject({ stage: 'paying', nextChangeAt: now + 20 * D });
    const drop = policy('  - stage: paying\n    when: { revenue: { within: 30 days, lt: 0 } }\n');
    expect(classify(f, drop, now)).toMatchObject({ stage: 'churned', nextChangeAt: now + 28 * D });
    expect(classify(f, drop, now + 28 * D)).toMatchObject({ stage: 'paying', nextChangeAt: now + 29 * D });
    expect(classify(f, drop, now + 29 * D)).toMatchObject({ stage: 'churned', nextChangeAt: null });
  });
});

describe('traits', () => {
  const p = policy(
    '  - stage: paying\n    when: { trait: { name: plan, eq: pro } }\n  - stage: active\n    when: { trait: { name: seats, gte: 10 } }\n  - stage: new\n    when: { trait: { name: email, exists: false } }\n',
  );

  it('compares by value, orders numbers only, and tests contact traits for presence', () => {
    expect(classify(facts({ traits: { plan: 'pro', seats: 1, email: true } }), p, now).stage).toBe('paying');
    expect(classify(facts({ traits: { plan: 'free', seats: 12, email: true } }), p, now).stage).toBe('active');
    expect(classify(facts({ traits: { plan: null, seats: '12', email: true } }), p, now).stage).toBe('churned');
    expect(classify(facts({ traits: { plan: null, seats: null, email: false } }), p, now).stage).toBe('new');
    expect(classify(facts({ traits: {} }), p, now)).toMatchObject({ stage: 'new', nextChangeAt: null });
  });

  it('ne holds when the trait is missing', () => {
    const ne = policy('  - stage: active\n    when: { trait: { name: plan, ne: free } }\n');
    expect(classify(facts({ traits: {} }), ne, now).stage).toBe('active');
    expect(classify(facts({ traits: { plan: 'free' } }), ne, now).stage).toBe('churned');
  });
});

describe('event kinds and triggers', () => {
  it('counts everything but engagement as activity by default, and the listed payments', () => {
    const kinds = eventKinds(defaultPolicy());
    expect(kinds.isActivity('login')).toBe(true);
    expect(kinds.isActivity('purchase')).toBe(true);
    for (const name of ENGAGEMENT_EVENTS) expect(kinds.isActivity(name)).toBe(false);
    expect(kinds.isPayment('purchase')).toBe(true);
    expect(kinds.isPayment('login')).toBe(false);
    const only = eventKinds(parsePolicy('name: t\nevents: { activity: { only: [login] }, payment: [charge] }\nstages:\n  - { stage: churned, otherwise: true }\n'));
    expect([only.isActivity('login'), only.isActivity('purchase'), only.isPayment('charge')]).toEqual([true, false, true]);
  });

  it('fires the triggers of a transition, with "*" and without duplicates; none on a first classification', () => {
    const p = defaultPolicy();
    expect(triggersFor(p, 'paying', 'silent')).toEqual({
      warnings: [
        { channel: 'webhook', url: 'https://hooks.example.com/lifeline/churn' },
        { channel: 'email', to: 'accounts@example.com' },
      ],
      rescues: ['winback'],
    });
    expect(triggersFor(p, 'active', 'paying')).toEqual({ warnings: [], rescues: [] });
    expect(triggersFor(p, null, 'silent')).toEqual({ warnings: [], rescues: [] });
    const star = parsePolicy(
      'name: t\nstages:\n  - { stage: active, when: { since_last_activity: { lt: 7 days } } }\n  - { stage: churned, otherwise: true }\ntriggers:\n  - { from: "*", to: churned, rescue: lastcall, warn: { email: "a@example.com" } }\n  - { from: active, to: churned, warn: { email: "a@example.com" } }\ntemplates: { bye: { sms: { body: "bye" } } }\ncampaigns:\n  - { name: lastcall, arms: [{ name: sms, steps: [{ send: { channel: sms, template: bye } }] }] }\n',
    );
    expect(triggersFor(star, 'active', 'churned')).toEqual({ warnings: [{ channel: 'email', to: 'a@example.com' }], rescues: ['lastcall'] });
  });
});
