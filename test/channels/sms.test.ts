import { ApplicationFailure } from '@temporalio/activity';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_OUTCOME } from '../../activities/channels/send-message.ts';
import { addUser, deferred, emailInput, FROM_PHONE, ledger, smsInput, startRig, suppressionsOf, type Rig } from './support.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

const smsTo = (phone: string) => rig.sms.messages.filter((m) => m.to === phone);
const inbound = (from: string, body: string) =>
  rig.sms.sendInbound(`${rig.apiUrl}/v1/webhooks/twilio/inbound`, { from, to: FROM_PHONE, body });

describe('SMS through sendMessage and the real twilio client', () => {
  it('sends once and status callbacks move the ledger to delivered', async () => {
    await addUser(rig.database, 's1', { phone: '+15551230001', firstName: 'Ada' });
    const input = smsInput('s1', 'rescue:s1:winback:1', { template: { body: 'Hi {{user.firstName}}, {{offer}}' } });
    rig.sms.pauseCallbacks();
    const first = await rig.sendMessage(input);
    expect(first.status).toBe('sent');
    expect(first.providerId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(await rig.sendMessage(input)).toMatchObject({ status: 'sent', providerId: first.providerId });
    const sent = smsTo('+15551230001');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ body: 'Hi Ada, 20% off', from: FROM_PHONE, sid: first.providerId });
    expect(sent[0]!.statusCallback).toMatch(new RegExp(`^${rig.apiUrl}/v1/webhooks/twilio/status\\?m=\\d+$`));

    rig.sms.resumeCallbacks();
    await rig.sms.settled();
    expect(rig.sms.callbacks.filter((c) => c.url === sent[0]!.statusCallback).map((c) => [c.messageStatus, c.httpStatus])).toEqual([
      ['sent', 204],
      ['delivered', 204],
    ]);
    expect(await ledger(rig.database, 'rescue:s1:winback:1')).toMatchObject({ status: 'delivered', provider_id: first.providerId });
    // A later call reports the final status and still sends nothing.
    expect(await rig.sendMessage(input)).toMatchObject({ status: 'delivered' });
    expect(smsTo('+15551230001')).toHaveLength(1);
  });

  it('an undelivered callback records the error code', async () => {
    await addUser(rig.database, 's2', { phone: '+15551230002' });
    rig.sms.unreachable.add('+15551230002');
    await rig.sendMessage(smsInput('s2', 'rescue:s2:winback:1'));
    await rig.sms.settled();
    expect(await ledger(rig.database, 'rescue:s2:winback:1')).toMatchObject({ status: 'undelivered', reason: 'twilio 30003' });
  });

  it('21610 (unsubscribed recipient) suppresses SMS and is permanent', async () => {
    await addUser(rig.database, 's3', { phone: '+15551230003', email: 's3@example.com' });
    rig.sms.optedOut.add('+15551230003');
    const result = await rig.sendMessage(smsInput('s3', 'rescue:s3:winback:1'));
    expect(result).toMatchObject({ status: 'failed', permanent: true });
    expect(result.reason).toMatch(/21610/);
    expect(await suppressionsOf(rig.database, 's3')).toEqual([{ channel: 'sms', reason: 'sms_stop' }]);
    expect(await rig.sendMessage(smsInput('s3', 'rescue:s3:other:1', { campaign: 'other' }))).toMatchObject({ status: 'suppressed' });
    expect(smsTo('+15551230003')).toHaveLength(0);
    // Email is another channel: the workflow's fallback still reaches the user.
    expect(await rig.sendMessage(emailInput('s3', 'rescue:s3:winback:1', { step: 1 }))).toMatchObject({ status: 'sent' });
  });

  it("21211 (invalid 'To') is permanent and suppresses nothing", async () => {
    await addUser(rig.database, 's4', { phone: '555-0100' });
    const result = await rig.sendMessage(smsInput('s4', 'rescue:s4:winback:1'));
    expect(result).toMatchObject({ status: 'failed', permanent: true });
    expect(result.reason).toMatch(/21211/);
    expect(await suppressionsOf(rig.database, 's4')).toEqual([]);
  });

  it('a 5xx is retried (Temporal retries the throw) and sends once', async () => {
    await addUser(rig.database, 's5', { phone: '+15551230005' });
    const input = smsInput('s5', 'rescue:s5:winback:1');
    rig.sms.failNext(1, 503);
    const error = await rig.sendMessage(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).nonRetryable).toBe(false);
    expect(await ledger(rig.database, 'rescue:s5:winback:1')).toMatchObject({ status: 'queued' });
    expect(await rig.sendMessage(input)).toMatchObject({ status: 'sent' });
    expect(smsTo('+15551230005')).toHaveLength(1);
  });

  it('accepted then connection dropped: recorded unknown and never resent; the callback settles the row', async () => {
    await addUser(rig.database, 's6', { phone: '+15551230006' });
    const input = smsInput('s6', 'rescue:s6:winback:1');
    rig.sms.dropNext(1);
    rig.sms.pauseCallbacks(); // Twilio reports on the message only after we gave up on the answer
    const unknown = { status: 'failed', reason: expect.stringMatching(new RegExp(`^${UNKNOWN_OUTCOME}: twilio`)), permanent: false };
    expect(await rig.sendMessage(input)).toEqual(unknown);
    expect(await rig.sendMessage(input)).toEqual(unknown);
    expect(smsTo('+15551230006')).toHaveLength(1);

    rig.sms.resumeCallbacks();
    await rig.sms.settled();
    const row = await ledger(rig.database, 'rescue:s6:winback:1');
    expect(row).toMatchObject({ status: 'delivered', reason: null, provider_id: smsTo('+15551230006')[0]!.sid });
    expect(await rig.sendMessage(input)).toMatchObject({ status: 'delivered' });
    expect(smsTo('+15551230006')).toHaveLength(1);
  });

  it('a callback that overtakes the create response settles the row; a retry reports it and sends nothing', async () => {
    await addUser(rig.database, 's11', { phone: '+15551230011' });
    const input = smsInput('s11', 'rescue:s11:winback:1');
    rig.sms.dropNext(1);
    await rig.sendMessage(input);
    await rig.sms.settled();
    const sid = smsTo('+15551230011')[0]!.sid;
    expect(await rig.sendMessage(input)).toEqual({ status: 'delivered', providerId: sid });
    expect(smsTo('+15551230011')).toHaveLength(1);
  });

  it('a crash between claim and send leaves nothing sent, and the retry does not send', async () => {
    await addUser(rig.database, 's7', { phone: '+15551230007' });
    const input = smsInput('s7', 'rescue:s7:winback:1');
    const reached = deferred();
    const stuck = { messages: { create: () => (reached.resolve(), new Promise(() => {})) } } as unknown as twilio.Twilio;
    void rig.withDeps({ sms: { client: stuck, from: FROM_PHONE } })(input);
    await reached.promise;
    const unknown = { status: 'failed', reason: `${UNKNOWN_OUTCOME}: an earlier attempt ended during the provider call`, permanent: false };
    expect(await rig.sendMessage(input)).toEqual(unknown);
    expect(await rig.sendMessage(input)).toEqual(unknown);
    expect(smsTo('+15551230007')).toHaveLength(0);
  });

  it('STOP suppresses SMS for later campaigns; START lifts it', async () => {
    await addUser(rig.database, 's8', { phone: '+15551230008' });
    expect((await inbound('+15551230008', ' stop ')).status).toBe(200);
    expect(await suppressionsOf(rig.database, 's8')).toEqual([{ channel: 'sms', reason: 'sms_stop' }]);
    expect(await rig.sendMessage(smsInput('s8', 'rescue:s8:later:1', { campaign: 'later' }))).toMatchObject({
      status: 'suppressed',
      reason: 'sms_stop',
    });
    expect(smsTo('+15551230008')).toHaveLength(0);

    expect((await inbound('+15551230008', 'Thanks, what is this?')).status).toBe(200);
    expect(await suppressionsOf(rig.database, 's8')).toHaveLength(1);

    await inbound('+15551230008', 'START');
    expect(await suppressionsOf(rig.database, 's8')).toEqual([]);
    expect(await rig.sendMessage(smsInput('s8', 'rescue:s8:later:2', { campaign: 'later' }))).toMatchObject({ status: 'sent' });
    expect(smsTo('+15551230008')).toHaveLength(1);
  });

  it('refuses callbacks and inbound messages with a wrong signature', async () => {
    await addUser(rig.database, 's9', { phone: '+15551230009' });
    const url = `${rig.apiUrl}/v1/webhooks/twilio/inbound`;
    const params = { From: '+15551230009', To: FROM_PHONE, Body: 'STOP' };
    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature('not-the-token', url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(forged.status).toBe(403);
    const unsigned = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    expect(unsigned.status).toBe(403);
    expect(await suppressionsOf(rig.database, 's9')).toEqual([]);

    const sent = await rig.sendMessage(smsInput('s9', 'rescue:s9:winback:1'));
    const statusUrl = `${rig.apiUrl}/v1/webhooks/twilio/status`;
    const status = { MessageSid: sent.providerId!, MessageStatus: 'failed', ErrorCode: '30008' };
    // Signed for a different URL than the one it was sent to.
    const replayed = await fetch(statusUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(rig.sms.authToken, `${statusUrl}?m=1`, status),
      },
      body: new URLSearchParams(status).toString(),
    });
    expect(replayed.status).toBe(403);
    await rig.sms.settled();
    expect(await ledger(rig.database, 'rescue:s9:winback:1')).toMatchObject({ status: 'delivered' });
  });

  it('a user without a phone number is a permanent failure', async () => {
    await addUser(rig.database, 's10', { email: 's10@example.com' });
    expect(await rig.sendMessage(smsInput('s10', 'rescue:s10:winback:1'))).toEqual({ status: 'failed', reason: 'no_contact', permanent: true });
  });
});
