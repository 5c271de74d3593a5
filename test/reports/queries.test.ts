import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRescueActivities } from '../../activities/rescue.ts';
import type { Database } from '../../db/client.ts';
import { storePolicy } from '../../db/policies.ts';
import { rescueReport } from '../../reports/rescue-report.ts';
import type { ArmRow, RescueReport } from '../../reports/schema.ts';
import { defaultPolicy, defaultPolicySource } from '../../rules/default-policy.ts';
import { openTestDatabase } from '../support/database.ts';

/**
 * The report's SQL against rows written the way the engine writes them: rescues through the rescue
 * activities, messages into the ledger, events with revenue. Runs on PostgreSQL with
 * TEST_DATABASE_URL, otherwise on PGlite.
 */

const T = Date.parse('2026-01-01T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(T + days * DAY);

let database: Database;
let report: RescueReport;

interface Seed {
  id: string;
  campaign?: string;
  /** The user's how-manieth rescue in the campaign; default 1. */
  n?: number;
  arm: string;
  assignedDay: number;
  /** Days after assignment the user came back; null: the window closed without a return; undefined: still open. */
  returnedAfter?: number | null;
  window?: number;
  messages?: Array<{ channel: 'email' | 'sms' | 'webhook'; status: string; sent?: boolean }>;
}

async function seed(rows: Seed[], policyVersion: number) {
  const activities = createRescueActivities({ database });
  for (const r of rows) {
    const campaign = r.campaign ?? 'winback';
    const window = r.window ?? 14;
    const user = `user-${r.id}`;
    const n = r.n ?? 1;
    const rescueId = `rescue:${user}:${campaign}:${n}`;
    await activities.recordAssignment({
      rescueId,
      userId: user,
      campaign,
      n,
      arm: r.arm,
      holdout: r.arm === 'holdout',
      policyVersion,
      assignedAt: at(r.assignedDay).toISOString(),
      windowEndsAt: at(r.assignedDay + window).toISOString(),
    });
    if (r.returnedAfter !== undefined) {
      const returnedAt = r.returnedAfter === null ? null : at(r.assignedDay + r.returnedAfter).toISOString();
      await activities.recordOutcome({ rescueId, returnedAt, at: returnedAt ?? at(r.assignedDay + window).toISOString() });
    }
    for (const [step, m] of (r.messages ?? []).entries()) {
      await database.query(
        `insert into messages (rescue_id, step, user_id, campaign, channel, status, sent_at) values ($1, $2, $3, $4, $5, $6, $7)`,
        [rescueId, step, user, campaign, m.channel, m.status, m.sent === false ? null : at(r.assignedDay + 1)],
      );
    }
  }
}

async function revenue(user: string, day: number, amount: string | null, name = 'purchase') {
  const id = `ev-${user}-${day}-${amount}`;
  await database.query(`insert into events (id, user_id, name, occurred_at, revenue) values ($1, $2, $3, $4, $5)`, [id, user, name, at(day), amount]);
}

const row = (r: RescueReport, arm: string, campaign = 'winback'): ArmRow | undefined =>
  r.campaigns.find((c) => c.campaign === campaign)?.arms.find((a) => a.arm === arm);

beforeAll(async () => {
  database = await openTestDatabase();
  const version = await storePolicy(database, defaultPolicy(), defaultPolicySource(), { activate: true });
  await seed(
    [
      { id: 'h1', arm: 'holdout', assignedDay: 0, returnedAfter: null },
      { id: 'h2', arm: 'holdout', assignedDay: 1, returnedAfter: 2 },
      {
        id: 'e1',
        arm: 'email',
        assignedDay: 0,
        returnedAfter: 0.5,
        messages: [
          { channel: 'email', status: 'sent' },
          { channel: 'email', status: 'bounced' },
        ],
      },
      { id: 'e2', arm: 'email', assignedDay: 0, returnedAfter: null, messages: [{ channel: 'email', status: 'suppressed', sent: false }] },
      // Came back early, but its window is still open at the cutoff: pending, with its messages.
      { id: 'e3', arm: 'email', assignedDay: 20, returnedAfter: 1, messages: [{ channel: 'email', status: 'sent' }] },
      { id: 'e4', arm: 'email', assignedDay: 25 },
      { id: 's1', arm: 'sms', assignedDay: 2, returnedAfter: 1.5, messages: [{ channel: 'sms', status: 'delivered' }] },
      { id: 's2', arm: 'sms', assignedDay: 2, returnedAfter: null, messages: [{ channel: 'sms', status: 'sent' }] },
      { id: 's3', arm: 'sms', assignedDay: 2, returnedAfter: null, messages: [{ channel: 'sms', status: 'failed' }, { channel: 'sms', status: 'capped', sent: false }] },
      {
        id: 'b1',
        arm: 'email-then-sms',
        assignedDay: 3,
        returnedAfter: null,
        messages: [
          { channel: 'email', status: 'sent' },
          { channel: 'sms', status: 'undelivered' },
        ],
      },
      { id: 'o1', campaign: 'onboarding', arm: 'email', assignedDay: 5, window: 7, returnedAfter: 0.25, messages: [{ channel: 'email', status: 'sent' }] },
      { id: 'o2', campaign: 'onboarding', arm: 'holdout', assignedDay: 5, window: 7, returnedAfter: null },
      // o3 came back twice, on days 4.5 and 6: the two revenue windows overlap.
      { id: 'o3', campaign: 'onboarding', arm: 'email', assignedDay: 4, window: 7, returnedAfter: 0.5 },
      { id: 'o3', campaign: 'onboarding', n: 2, arm: 'holdout', assignedDay: 5, window: 7, returnedAfter: 1 },
    ],
    version,
  );
  // h2 came back on day 3: revenue from then up to 30 days later counts, before or after does not.
  await revenue('user-h2', 2, '2.50');
  await revenue('user-h2', 3, '10.00');
  await revenue('user-h2', 10, '0.05');
  await revenue('user-h2', 10, null, 'login');
  await revenue('user-h2', 33, '5.00');
  // e2 never came back: its purchases are not revenue after rescue.
  await revenue('user-e2', 5, '99.00');
  // e1 came back at day 0.5; the same purchase also counts for no one else.
  await revenue('user-e1', 1, '19.99');
  // Each of o3's purchases belongs to the return before it, not to both.
  await revenue('user-o3', 4.75, '1.00');
  await revenue('user-o3', 7, '8.00');
  report = await rescueReport(database);
}, 120_000);

afterAll(async () => {
  await database?.close();
});

describe('rescue report SQL', () => {
  it('takes the cutoff from the latest recorded outcome', () => {
    // e3 was closed on day 21 when its user came back.
    expect(report.asOf).toBe(at(21).toISOString());
    expect(report.campaigns.map((c) => c.campaign)).toEqual(['onboarding', 'winback']);
  });

  it('counts assigned, pending and decided rescues per campaign × arm', () => {
    expect(row(report, 'holdout')).toMatchObject({ assigned: 2, pending: 0, n: 2, rescued: 1 });
    expect(row(report, 'email')).toMatchObject({ assigned: 4, pending: 2, n: 2, rescued: 1 });
    expect(row(report, 'sms')).toMatchObject({ assigned: 3, pending: 0, n: 3, rescued: 1 });
    expect(row(report, 'email-then-sms')).toMatchObject({ assigned: 1, pending: 0, n: 1, rescued: 0 });
    expect(row(report, 'email', 'onboarding')).toMatchObject({ assigned: 2, n: 2, rescued: 2 });
    expect(row(report, 'holdout', 'onboarding')).toMatchObject({ assigned: 2, n: 2, rescued: 1 });
  });

  it('measures the days to return from the assignment', () => {
    expect(row(report, 'email')!.medianDaysToReturn).toBeCloseTo(0.5, 9);
    expect(row(report, 'sms')!.medianDaysToReturn).toBeCloseTo(1.5, 9);
    expect(row(report, 'holdout')!.medianDaysToReturn).toBeCloseTo(2, 9);
    const curve = report.campaigns[1]!.returnCurve.find((c) => c.arm === 'sms')!;
    expect(curve.share.slice(0, 3)).toEqual([0, 0, 1 / 3]);
    expect(report.campaigns[1]!.windowDays).toBe(14);
    expect(report.campaigns[0]!.windowDays).toBe(7);
  });

  it('sums revenue of rescued users from the return up to revenueDays later', async () => {
    expect(row(report, 'holdout')!.revenueAfterRescue).toBe(10.05);
    expect(row(report, 'email')!.revenueAfterRescue).toBe(19.99);
    expect(row(report, 'sms')!.revenueAfterRescue).toBe(0);
    const longer = await rescueReport(database, { revenueDays: 31, asOf: at(40) });
    expect(row(longer, 'holdout')!.revenueAfterRescue).toBe(15.05);
  });

  it('counts no revenue after the cutoff', async () => {
    // As of day 21 (the default cutoff) h2's purchase on day 33 has not happened yet, whatever revenueDays says.
    const asOfNow = await rescueReport(database, { revenueDays: 31 });
    expect(asOfNow.asOf).toBe(at(21).toISOString());
    expect(row(asOfNow, 'holdout')!.revenueAfterRescue).toBe(10.05);
    const early = await rescueReport(database, { asOf: at(15) });
    expect(row(early, 'holdout')!.revenueAfterRescue).toBe(10.05);
    expect(row(await rescueReport(database, { asOf: at(9.5) }), 'email')).toMatchObject({ n: 0, revenueAfterRescue: 0 });
  });

  it('gives a purchase to the latest return before it when a user’s revenue windows overlap', async () => {
    expect(row(report, 'email', 'onboarding')!.revenueAfterRescue).toBe(1);
    expect(row(report, 'holdout', 'onboarding')!.revenueAfterRescue).toBe(8);
    // Also when the later rescue is outside the selection.
    const first = await rescueReport(database, { campaign: 'onboarding', until: at(5), asOf: at(21) });
    expect(row(first, 'email', 'onboarding')).toMatchObject({ n: 1, revenueAfterRescue: 1 });
  });

  it('counts the messages of decided rescues by what became of them', () => {
    expect(row(report, 'email')!.messages).toEqual({ sent: 2, delivered: 1, failed: 1, skipped: 1 });
    // An SMS counts as delivered only with a receipt.
    expect(row(report, 'sms')!.messages).toEqual({ sent: 3, delivered: 1, failed: 1, skipped: 1 });
    expect(row(report, 'email-then-sms')!.messages).toEqual({ sent: 2, delivered: 1, failed: 1, skipped: 0 });
    expect(row(report, 'holdout')!.messages).toEqual({ sent: 0, delivered: 0, failed: 0, skipped: 0 });
  });

  it('charges the active policy’s unit costs, or the report’s overrides', async () => {
    expect(report.costs).toEqual({ currency: 'USD', email: 0.001, sms: 0.0079, webhook: 0 });
    expect(row(report, 'email')!.cost).toBeCloseTo(0.002, 12);
    expect(row(report, 'sms')!.cost).toBeCloseTo(3 * 0.0079, 12);
    expect(row(report, 'email-then-sms')!.cost).toBeCloseTo(0.001 + 0.0079, 12);
    const priced = await rescueReport(database, { costs: { sms: 0.05, currency: 'EUR' } });
    expect(priced.costs).toEqual({ currency: 'EUR', email: 0.001, sms: 0.05, webhook: 0 });
    expect(row(priced, 'sms')!.cost).toBeCloseTo(0.15, 12);
  });

  it('takes each arm’s channels from the policy that assigned it', () => {
    expect(row(report, 'email-then-sms')!.channels).toEqual(['email', 'sms']);
    const channels = report.campaigns[1]!.channels;
    expect(channels.map((c) => [c.channel, c.arms, c.n])).toEqual([
      ['email', ['email', 'email-then-sms'], 3],
      ['sms', ['email-then-sms', 'sms'], 4],
    ]);
    expect(channels[1]!.messages).toEqual({ sent: 4, delivered: 1, failed: 2, skipped: 1 });
  });

  it('selects by campaign and by assignment instant', async () => {
    const onboarding = await rescueReport(database, { campaign: 'onboarding' });
    expect(onboarding.campaigns.map((c) => c.campaign)).toEqual(['onboarding']);
    expect(onboarding.filters).toEqual({ campaign: 'onboarding', since: null, until: null });
    // The cutoff comes from the selection: onboarding's latest outcome is o2's window end, day 12.
    expect(onboarding.asOf).toBe(at(12).toISOString());

    const later = await rescueReport(database, { since: at(1).toISOString(), until: at(3) });
    expect(row(later, 'holdout')).toMatchObject({ assigned: 1, n: 1, rescued: 1 });
    expect(row(later, 'sms')).toMatchObject({ assigned: 3 });
    expect(row(later, 'email')).toBeUndefined();
    expect(row(later, 'email-then-sms')).toBeUndefined();
    expect(later.campaigns.map((c) => c.campaign)).toEqual(['winback']);
  });

  it('takes an explicit cutoff: windows still open then are pending', async () => {
    const early = await rescueReport(database, { asOf: at(14.5) });
    expect(early.asOf).toBe(at(14.5).toISOString());
    // sms rescues were assigned on day 2: their windows close on day 16.
    expect(row(early, 'sms')).toMatchObject({ assigned: 3, pending: 3, n: 0, verdict: 'no outcomes yet' });
    expect(row(early, 'sms')!.messages.sent).toBe(0);
    expect(row(early, 'holdout')).toMatchObject({ pending: 1, n: 1 });
  });

  it('gives an empty report when nothing matches', async () => {
    const none = await rescueReport(database, { campaign: 'nope' });
    expect(none).toMatchObject({ campaigns: [], asOf: null });
  });
});
