import { ApplicationFailure } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageIdFor } from '../../activities/channels/email.ts';
import { isUnknownOutcome } from '../../activities/channels/send-message.ts';
import type { SendMessageInput, SendResult } from '../../activities/channels/schema.ts';
import { addUser, deferred, emailInput, FROM_PHONE, smsInput, startRig, type Rig } from './support.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

/** Seeded, so a failure can be replayed. */
function lcg(seed: number) {
  return () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

type Fault = 'none' | 'crash' | 'transient' | 'dropped';

describe('delivery under provider faults and worker crashes', () => {
  it('every (rescue, step) ends sent once or failed with a reason; nothing reaches a suppressed user', { timeout: 120_000 }, async () => {
    const random = lcg(20261125);
    const users = 120;
    const suppressed = new Set<string>();
    const inputs: SendMessageInput[] = [];
    for (let i = 0; i < users; i++) {
      const id = `f${i}`;
      const sms = i % 2 === 1;
      const phone = i % 17 === 5 ? 'not-a-number' : `+1555300${String(i).padStart(4, '0')}`;
      await addUser(rig.database, id, sms ? { phone } : { email: `${id}@example.com` });
      if (random() < 0.1) {
        suppressed.add(id);
        await rig.database.query(`insert into suppressions (user_id, channel, reason) values ($1, $2, 'unsubscribed')`, [id, sms ? 'sms' : 'email']);
      }
      if (sms && i % 13 === 3) rig.sms.optedOut.add(phone); // opted out at Twilio only: 21610
      inputs.push((sms ? smsInput : emailInput)(id, `rescue:${id}:winback:1`, { template: { subject: 'Hi', body: 'Come back' } }));
    }

    const faultsByKey = new Map<string, Fault[]>();
    const results = new Map<string, SendResult>();
    for (const input of inputs) {
      const faults: Fault[] = [];
      // Temporal's retries, at most 8 attempts; each attempt may meet a fault (10%) or a worker crash (5%).
      for (let attempt = 0; attempt < 8 && !results.has(input.rescueId); attempt++) {
        const roll = random();
        const fault: Fault = roll < 0.05 ? 'crash' : roll < 0.1 ? 'transient' : roll < 0.15 ? 'dropped' : 'none';
        faults.push(fault);
        if (fault === 'crash') {
          await crashMidSend(input);
          continue;
        }
        if (fault === 'transient') {
          if (input.channel === 'email') rig.smtp.failNext(1, { code: 451 });
          else rig.sms.failNext(1, 503);
        }
        if (fault === 'dropped') {
          if (input.channel === 'email') rig.smtp.dropNext(1);
          else rig.sms.dropNext(1);
        }
        try {
          results.set(input.rescueId, await rig.sendMessage(input));
        } catch (error) {
          if (!(error instanceof ApplicationFailure) || error.nonRetryable) throw error;
        }
        // A fault armed for an attempt that stopped before the provider (suppressed, no contact) must not leak.
        rig.smtp.clearFaults();
        rig.sms.clearFaults();
      }
      faultsByKey.set(input.rescueId, faults);
      // A late retry after the end sends nothing (checked at the sinks below) and reports the same
      // status, or a later one if provider callbacks moved it on meanwhile.
      const first = results.get(input.rescueId);
      if (first) {
        const late = await rig.sendMessage(input);
        const mayMove = first.status === 'sent' || isUnknownOutcome(first.reason);
        if (mayMove) expect(['sent', 'delivered', 'undelivered', 'failed'], input.rescueId).toContain(late.status);
        else expect(late, input.rescueId).toEqual(first);
      }
    }
    await rig.sms.settled();

    const rows = await rig.database.query<{ rescue_id: string; user_id: string; channel: string; status: string; reason: string | null }>(
      `select rescue_id, user_id, channel, status, reason from messages order by rescue_id`,
    );
    expect(rows).toHaveLength(users);
    const counts: Record<string, number> = {};
    for (const row of rows) {
      counts[row.status] = (counts[row.status] ?? 0) + 1;
      expect(['sent', 'delivered', 'failed', 'bounced', 'undelivered', 'suppressed'], row.rescue_id).toContain(row.status);
      if (row.status === 'failed' || row.status === 'suppressed') expect(row.reason, row.rescue_id).toBeTruthy();

      const faults = faultsByKey.get(row.rescue_id)!;
      if (row.channel === 'sms') {
        const received = rig.sms.messages.filter((m) => m.to === `+1555300${row.user_id.slice(1).padStart(4, '0')}`);
        expect(received.length, row.rescue_id).toBeLessThanOrEqual(1);
        if (row.status === 'sent' || row.status === 'delivered') expect(received, row.rescue_id).toHaveLength(1);
        if (row.status === 'failed' && isUnknownOutcome(row.reason)) {
          expect(received, row.rescue_id).toHaveLength(0); // a callback would have settled it otherwise
          expect(faults, row.rescue_id).toContain('crash');
        }
      } else {
        const copies = rig.smtp.messages.filter((m) => m.envelopeTo.includes(`${row.user_id}@example.com`));
        expect(new Set(copies.map((m) => m.messageId)).size, row.rescue_id).toBeLessThanOrEqual(1);
        if (copies.length) expect(copies[0]!.messageId).toBe(messageIdFor(row.rescue_id, 0, 'winback.test'));
        // Never a second copy: a dropped connection or a crash leaves the outcome unknown, not resent.
        expect(copies.length, row.rescue_id).toBeLessThanOrEqual(1);
        if (row.status === 'sent') expect(copies, row.rescue_id).toHaveLength(1);
        if (copies.length && row.status === 'failed') expect(isUnknownOutcome(row.reason), row.rescue_id).toBe(true);
      }
      if (suppressed.has(row.user_id)) expect(row.status, row.rescue_id).toBe('suppressed');
    }
    const toSuppressed = [
      ...rig.smtp.messages.filter((m) => m.envelopeTo.some((to) => suppressed.has(to.replace(/@.*/, '')))),
      ...rig.sms.messages.filter((m) => [...suppressed].some((id) => m.to === `+1555300${id.slice(1).padStart(4, '0')}`)),
    ];
    expect(toSuppressed).toEqual([]);
    expect(counts.sent ?? 0).toBeGreaterThan(0);
    expect(counts.delivered ?? 0).toBeGreaterThan(0);
    expect(counts.suppressed ?? 0).toBeGreaterThan(0);
    expect([...faultsByKey.values()].flat().filter((f) => f !== 'none').length).toBeGreaterThan(10);
  });
});

/** The worker dies while the provider call is in flight: the call never returns. */
async function crashMidSend(input: SendMessageInput): Promise<void> {
  const reached = deferred();
  const never = () => (reached.resolve(), new Promise<never>(() => {}));
  const send =
    input.channel === 'email'
      ? rig.withDeps({ mailer: { sendMail: never } as unknown as Transporter })
      : rig.withDeps({ sms: { client: { messages: { create: never } } as unknown as twilio.Twilio, from: FROM_PHONE } });
  // Stops before the provider when the user is suppressed or has no contact; then it returns normally.
  await Promise.race([reached.promise, send(input).catch(() => undefined)]);
}
