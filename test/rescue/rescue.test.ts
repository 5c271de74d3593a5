import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../sim/engine.ts';
import { rescueStateQuery, userReturnedSignal } from '../../workflows/rescue.ts';
import { addUser, ledgerOf, rescueRow, useRescueEngine } from './harness.ts';
import { rescuePolicy, userInArm } from './policies.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-01T00:00:00Z');

const email = (id: string) => `${id}@example.com`;
const phoneOf = new Map<string, string>();
let phones = 0;
const phone = (id: string) => {
  if (!phoneOf.has(id)) phoneOf.set(id, `+1555010${String(++phones).padStart(4, '0')}`);
  return phoneOf.get(id)!;
};

describe('the rescue workflow on the time-skipping devserver, delivering over real SMTP and the Twilio API', () => {
  const h = useRescueEngine({ start: T0, policy: rescuePolicy() });
  const started: string[] = [];

  async function user(id: string, traits: Record<string, unknown> = {}) {
    await addUser(h.database, id, { email: email(id), phone: phone(id), ...traits }, new Date(T0));
  }
  async function start(userId: string, campaign: string) {
    const id = await h.startRescue(userId, campaign);
    started.push(id);
    return id;
  }
  const mailTo = (id: string) => h.smtp.messages.filter((m) => m.envelopeTo.includes(email(id)));
  const smsTo = (id: string) => h.sms.messages.filter((m) => m.to === phone(id));
  const sentAt = (entry: { sent_at: Date | null }) => entry.sent_at!.getTime();
  /** Virtual time runs on at wall speed while activities execute: an instant is "at" its due time within seconds after it. */
  const expectAt = (actual: number, due: number, label?: string) => {
    expect(actual - due, label).toBeGreaterThanOrEqual(0);
    expect(actual - due, label).toBeLessThan(5_000);
  };

  it('defers sends out of quiet hours in the user’s zone: New York across the DST change, Berlin, Kolkata, and the fallback zone', async () => {
    // Rescues start 2026-03-07 03:00Z; the nudge's send is due a day later, 2026-03-08 03:00Z, when it is
    // 22:00 EST in New York (clocks spring forward at 02:00 that night), 04:00 in Berlin, 08:30 in Kolkata, 03:00 UTC.
    const zones = { 'q-ny': 'America/New_York', 'q-berlin': 'Europe/Berlin', 'q-kolkata': 'Asia/Kolkata', 'q-none': undefined };
    for (const [id, zone] of Object.entries(zones)) await user(id, zone ? { timezone: zone } : {});
    await h.advanceTo(6 * DAY + 3 * HOUR);
    const ids = Object.fromEntries(await Promise.all(Object.keys(zones).map(async (id) => [id, await start(id, 'nudge')] as const)));
    await h.advanceTo(10 * DAY);

    const expected = {
      'q-ny': '2026-03-08T13:00:00.000Z', // 09:00 EDT: eight hours of real time after midnight, not nine
      'q-berlin': '2026-03-08T08:00:00.000Z', // 09:00 CET
      'q-kolkata': '2026-03-08T03:30:00.000Z', // 09:00 IST
      'q-none': '2026-03-08T09:00:00.000Z', // 09:00 in the fallback zone, UTC
    };
    for (const [id, at] of Object.entries(expected)) {
      const ledger = await ledgerOf(h.database, ids[id]!);
      expect(ledger.map((e) => [e.step, e.channel, e.status]), id).toEqual([[10, 'email', 'sent']]);
      expectAt(sentAt(ledger[0]!), Date.parse(at), id);
      expect(mailTo(id), id).toHaveLength(1);
    }
  });

  it("a user gets the arm's messages at the right times, and the outcome is recorded when the window closes", async () => {
    const a = userInArm('timing-a', 'winback', 'email-then-sms');
    const b = userInArm('timing-b', 'winback', 'sms-then-email');
    await user(a, { timezone: 'UTC' });
    await user(b, { timezone: 'Europe/London' });
    const base = 10 * DAY + 12 * HOUR; // 2026-03-11 12:00Z, well outside quiet hours in both zones
    await h.advanceTo(base);
    const [ra, rb] = [await start(a, 'winback'), await start(b, 'winback')];
    await h.advanceTo(base + 2 * DAY);
    expect(await h.engine.client.workflow.getHandle(ra).query(rescueStateQuery)).toMatchObject({ arm: 'email-then-sms', stepIndex: 2, outcome: null });
    await h.advanceTo(base + 8 * DAY);

    const la = await ledgerOf(h.database, ra);
    expect(la.map((e) => [e.step, e.channel])).toEqual([[10, 'email'], [30, 'sms']]);
    expectAt(sentAt(la[0]!), T0 + base + DAY);
    expectAt(sentAt(la[1]!), T0 + base + 3 * DAY);
    const lb = await ledgerOf(h.database, rb);
    expect(lb.map((e) => [e.step, e.channel])).toEqual([[10, 'sms'], [30, 'email']]);
    for (const e of [...la, ...lb]) expect(['sent', 'delivered']).toContain(e.status);

    expect(mailTo(a).map((m) => [m.subject, m.text?.split('.')[0]])).toEqual([['We miss you', 'Come back for 20% off']]);
    expect(smsTo(a).map((m) => m.body)).toEqual(['20% off ends soon. Reply STOP to opt out.']);
    expect(smsTo(b).map((m) => m.body)).toEqual(['Come back for 20% off. Reply STOP to opt out.']);
    expect(mailTo(b).map((m) => m.subject)).toEqual(['Last call']);

    for (const [id, arm] of [[ra, 'email-then-sms'], [rb, 'sms-then-email']] as const) {
      const row = await rescueRow(h.database, id);
      expect(row).toMatchObject({ arm, holdout: false, outcome: 'not_rescued', returned_at: null });
      expect(row!.window_ends_at.getTime() - row!.assigned_at.getTime()).toBe(7 * DAY);
      expectAt(row!.assigned_at.getTime(), T0 + base);
      expect(await h.result(id)).toMatchObject({ outcome: 'not_rescued', arm, holdout: false });
    }
  });

  it('the holdout gets nothing and still records its outcome: one comes back, one does not', async () => {
    const stays = userInArm('holdout-a', 'winback', 'holdout');
    const returns = userInArm('holdout-b', 'winback', 'holdout');
    await user(stays);
    await user(returns);
    const base = 18 * DAY + 12 * HOUR;
    await h.advanceTo(base);
    const [rs, rr] = [await start(stays, 'winback'), await start(returns, 'winback')];
    await h.advanceTo(base + 2 * DAY);
    await h.database.query(`insert into events (id, user_id, name, occurred_at) values ('ho-1', $1, 'login', $2)`, [returns, new Date(T0 + base + 2 * DAY)]);
    await h.advanceTo(base + 8 * DAY);

    for (const id of [rs, rr]) {
      expect(await ledgerOf(h.database, id)).toEqual([]);
      expect((await h.result(id)).sends).toEqual([]);
    }
    expect([...mailTo(stays), ...mailTo(returns), ...smsTo(stays), ...smsTo(returns)]).toEqual([]);
    expect(await rescueRow(h.database, rs)).toMatchObject({ arm: 'holdout', holdout: true, outcome: 'not_rescued', returned_at: null });
    expect(await rescueRow(h.database, rr)).toMatchObject({ arm: 'holdout', holdout: true, outcome: 'rescued', returned_at: new Date(T0 + base + 2 * DAY) });
  });

  it('falls back to the next channel after an email bounce and after Twilio 21610, and keeps off the dead channel', async () => {
    const bounced = userInArm('fallback-a', 'winback', 'email-then-sms');
    const stopped = userInArm('fallback-b', 'winback', 'sms-then-email');
    await user(bounced);
    await user(stopped);
    h.sms.optedOut.add(phone(stopped));
    const base = 26 * DAY + 12 * HOUR;
    await h.advanceTo(base);
    const rb = await start(bounced, 'winback');
    await h.advanceTo(base + HOUR);
    const rs = await start(stopped, 'winback');
    // The next delivery, the bounced user's first email a day later, is refused at RCPT TO: a hard bounce.
    h.smtp.failNext(1, { code: 550, stage: 'rcpt' });
    await h.advanceTo(base + 8 * DAY);

    const lb = await ledgerOf(h.database, rb);
    expect(lb.map((e) => [e.step, e.channel, e.status === 'delivered' ? 'sent' : e.status])).toEqual([
      [10, 'email', 'bounced'],
      [11, 'sms', 'sent'],
      [30, 'sms', 'sent'],
    ]);
    expectAt(sentAt(lb[1]!), T0 + base + DAY);
    expect(smsTo(bounced).map((m) => m.body)).toEqual(['Come back for 20% off. Reply STOP to opt out.', '20% off ends soon. Reply STOP to opt out.']);
    expect(mailTo(bounced)).toEqual([]);

    const ls = await ledgerOf(h.database, rs);
    expect(ls.map((e) => [e.step, e.channel, e.status])).toEqual([
      [10, 'sms', 'failed'],
      [11, 'email', 'sent'],
      [30, 'email', 'sent'],
    ]);
    expect(ls[0]!.reason).toMatch(/21610/);
    expect(smsTo(stopped)).toEqual([]);
    expect(mailTo(stopped).map((m) => m.subject)).toEqual(['We miss you', 'Last call']);
    const suppressed = await h.database.query(`select user_id, channel, reason from suppressions where user_id = any($1::text[]) order by user_id`, [[bounced, stopped]]);
    expect(suppressed).toEqual([
      { user_id: bounced, channel: 'email', reason: 'bounced' },
      { user_id: stopped, channel: 'sms', reason: 'sms_stop' },
    ]);
  });

  it('stops the sequence when the user returns and records them rescued; a return that is not a success does not', async () => {
    const back = userInArm('returns', 'winback', 'email-then-sms');
    await user(back);
    const base = 34 * DAY + 12 * HOUR;
    await h.advanceTo(base);
    const id = await start(back, 'winback');
    const handle = h.engine.client.workflow.getHandle(id);
    await h.advanceTo(base + DAY + 6 * HOUR);
    expect(mailTo(back)).toHaveLength(1);

    // Opening the email is engagement, not activity: the rescue checks, and carries on.
    await h.database.query(`insert into events (id, user_id, name, occurred_at) values ('rt-1', $1, 'email_opened', $2)`, [back, new Date(T0 + base + DAY + 6 * HOUR)]);
    await handle.signal(userReturnedSignal);
    await h.advanceTo(base + 2 * DAY);
    expect(await handle.query(rescueStateQuery)).toMatchObject({ outcome: null, stepIndex: 2 });

    const loginAt = T0 + base + 2 * DAY;
    await h.database.query(`insert into events (id, user_id, name, occurred_at) values ('rt-2', $1, 'login', $2)`, [back, new Date(loginAt)]);
    await handle.signal(userReturnedSignal);
    const result = await h.result(id);
    expect(result).toMatchObject({ outcome: 'rescued', returnedAt: new Date(loginAt).toISOString() });
    expect(await rescueRow(h.database, id)).toMatchObject({ outcome: 'rescued', returned_at: new Date(loginAt) });
    await h.advanceTo(base + 8 * DAY);
    expect((await ledgerOf(h.database, id)).map((e) => e.step)).toEqual([10]);
    expect(smsTo(back)).toEqual([]);
  });

  it('caps messages per user across two campaigns', async () => {
    const capped = userInArm('capped', 'winback', 'email-then-sms');
    await user(capped);
    const base = 42 * DAY + 12 * HOUR;
    await h.advanceTo(base);
    const winback = await start(capped, 'winback');
    await h.advanceTo(base + 2 * HOUR);
    const nudge = await start(capped, 'nudge');
    await h.advanceTo(base + 8 * DAY);

    // winback's email went out at base + 1 day; nudge's, two hours later, is over the cap of one a day.
    expect((await ledgerOf(h.database, nudge)).map((e) => [e.step, e.status, e.reason])).toEqual([[10, 'capped', 'cap: 1 sent in 24 h (limit 1)']]);
    expect((await ledgerOf(h.database, winback)).map((e) => [e.step, e.channel])).toEqual([[10, 'email'], [30, 'sms']]);
    expect(mailTo(capped).map((m) => m.subject)).toEqual(['We miss you']);
    expect(smsTo(capped)).toHaveLength(1);
    expect(await h.result(nudge)).toMatchObject({ outcome: 'not_rescued', sends: [{ step: 10, channel: 'email', status: 'capped' }] });
  });

  it('keeps personal data out of every rescue history, and every history replays', async () => {
    expect(started.length).toBeGreaterThanOrEqual(12);
    const histories = [];
    for (const workflowId of started) {
      const history = await h.engine.client.workflow.getHandle(workflowId).fetchHistory();
      expect(JSON.stringify(history)).not.toMatch(/@example\.com|\+1555010/);
      histories.push({ workflowId, history });
    }
    const errors = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) errors.push(result.error);
    expect(errors).toEqual(started.map(() => undefined));
  });
});
