import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailTransport, sendEmail, type Email } from '../../activities/channels/email.ts';
import { sendSms } from '../../activities/channels/sms.ts';
import { faultDice, type FaultKind } from '../../sinks/faults.ts';
import { startSmtpSink, type SmtpSink } from '../../sinks/smtp-sink.ts';
import { startTwilioSink, type TwilioSink } from '../../sinks/twilio-sink.ts';

const email = (i: number): Email => ({
  from: 'hello@winback.test',
  to: `p${i}@example.com`,
  subject: 'Hi',
  text: 'Come back',
  messageId: `<m${i}@winback.test>`,
  listUnsubscribe: '<https://example.com/u>',
});

describe('seeded random faults', () => {
  it('the same seed gives the same faults; the rate and every kind show', () => {
    const roll = (seed: number) => {
      const dice = faultDice({ rate: 0.1, seed });
      return { faults: Array.from({ length: 3000 }, () => dice.roll()), injected: dice.injected };
    };
    const a = roll(7);
    expect(roll(7).faults).toEqual(a.faults);
    expect(roll(8).faults).not.toEqual(a.faults);
    const share = a.faults.filter(Boolean).length / a.faults.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
    for (const kind of ['timeout', 'error', 'dropped'] as const) expect(a.injected[kind]).toBeGreaterThan(50);
  });

  it('names the option and the rule on a bad rate or no kinds', () => {
    expect(() => faultDice({ rate: 1.5, seed: 1 })).toThrow('faults.rate must be between 0 and 1, got 1.5');
    expect(() => faultDice({ rate: 0.1, kinds: [], seed: 1 })).toThrow('faults.kinds must name at least one kind');
  });
});

/** Each fault kind, through the real clients, decides what sendMessage may do next. */
describe('provider faults as the real clients see them', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function smtpWith(kind: FaultKind): Promise<{ sink: SmtpSink; send: (i: number) => ReturnType<typeof sendEmail> }> {
    const sink = await startSmtpSink({ faults: { rate: 1, kinds: [kind], seed: 3 } });
    const mailer = createMailTransport(sink.url, { maxConnections: 1, timeoutMs: 300 });
    closers.push(() => mailer.close(), () => sink.close());
    return { sink, send: (i) => sendEmail(mailer, email(i)) };
  }

  it('SMTP: an error answer is retried; silence and a dropped connection are unknown, never resent', async () => {
    const errors = await smtpWith('error');
    expect(await errors.send(1)).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^smtp 451 at DATA/) });
    expect(errors.sink.messages).toEqual([]);

    const dropped = await smtpWith('dropped');
    expect(await dropped.send(2)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/^smtp ECONNECTION/) });
    expect(dropped.sink.messages.map((m) => m.messageId)).toEqual(['<m2@winback.test>']);

    const silent = await smtpWith('timeout');
    const outcomes = [];
    for (let i = 10; i < 16; i++) outcomes.push(await silent.send(i));
    expect(outcomes.map((o) => o.kind)).toEqual(outcomes.map(() => 'unknown'));
    expect(outcomes[0]).toMatchObject({ reason: expect.stringMatching(/^smtp ETIMEDOUT/) });
    // A silent server kept some and not others: the sender cannot tell which.
    expect(silent.sink.messages.length).toBeGreaterThan(0);
    expect(silent.sink.messages.length).toBeLessThan(6);
    expect(silent.sink.faultsInjected).toEqual({ timeout: 6, error: 0, dropped: 0 });
  });

  async function twilioWith(kind: FaultKind): Promise<{ sink: TwilioSink; send: (i: number) => ReturnType<typeof sendSms> }> {
    const sink = await startTwilioSink({ faults: { rate: 1, kinds: [kind], seed: 5 } });
    const client = twilio(sink.accountSid, sink.authToken, { autoRetry: false, timeout: 300 });
    client.api.baseUrl = sink.url;
    closers.push(() => sink.close());
    return { sink, send: (i) => sendSms({ client, from: '+15005550006' }, { to: `+1555020${String(i).padStart(4, '0')}`, body: 'Come back' }) };
  }

  it('Twilio: a 5xx or 429 answer is retried; silence and a dropped connection are unknown, never resent', async () => {
    const errors = await twilioWith('error');
    const answered = [];
    for (let i = 0; i < 6; i++) answered.push(await errors.send(i));
    expect(answered.map((o) => o.kind)).toEqual(answered.map(() => 'retry'));
    expect(new Set(answered.map((o) => (o.kind === 'retry' ? o.reason.slice(0, 12) : '')))).toEqual(new Set(['twilio 20500', 'twilio 20429']));
    expect(errors.sink.messages).toEqual([]);

    const dropped = await twilioWith('dropped');
    expect(await dropped.send(7)).toMatchObject({ kind: 'unknown' });
    expect(dropped.sink.messages.map((m) => m.to)).toEqual(['+15550200007']);

    const silent = await twilioWith('timeout');
    const outcomes = [];
    for (let i = 10; i < 20; i++) outcomes.push(await silent.send(i));
    expect(outcomes.map((o) => o.kind)).toEqual(outcomes.map(() => 'unknown'));
    expect(silent.sink.messages.length).toBeGreaterThan(0);
    expect(silent.sink.messages.length).toBeLessThan(10);
  });

  it('a refused connection proves nothing was taken: retried', async () => {
    const sink = await startTwilioSink();
    const url = sink.url;
    await sink.close();
    const client = twilio('AC0', 'token', { autoRetry: false, timeout: 300 });
    client.api.baseUrl = url;
    expect(await sendSms({ client, from: '+15005550006' }, { to: '+15550200001', body: 'Hi' })).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/ECONNREFUSED/) });
  });
});
