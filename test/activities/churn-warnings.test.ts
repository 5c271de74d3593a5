import { ApplicationFailure } from '@temporalio/activity';
import { simpleParser } from 'mailparser';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendChurnWarning, type ChurnWarningInput } from '../../activities/churn-warnings.ts';
import { idempotencyHeader } from '../../activities/channels/webhook.ts';
import { signatureHeader, timestampHeader, verifyWebhook } from '../../activities/signature.ts';
import type { Database } from '../../db/client.ts';
import { startHookReceiver } from '../../sim/hook-receiver.ts';
import { openTestDatabase } from '../support/database.ts';

const secret = 'warning-secret';

describe('sendChurnWarning', () => {
  let database: Database;
  let hooks: Awaited<ReturnType<typeof startHookReceiver>>;
  let smtp: SMTPServer;
  const mails: Awaited<ReturnType<typeof simpleParser>>[] = [];
  let mailer: Transporter;

  beforeAll(async () => {
    database = await openTestDatabase();
    await database.query(`insert into users (id, traits, first_seen_at) values ('u1', '{"email":"u1@example.com"}', now())`);
    hooks = await startHookReceiver();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, callback) {
        simpleParser(stream).then((mail) => {
          mails.push(mail);
          callback();
        }, callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    mailer = nodemailer.createTransport({ host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, secure: false, ignoreTLS: true });
  });
  afterAll(async () => {
    mailer?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(resolve) : resolve()));
    await hooks?.close();
    await database?.close();
  });

  const warning = (target: ChurnWarningInput['target'], key = 'u1:2026-01-08T00:00:00.000Z'): ChurnWarningInput => ({
    transitionKey: key,
    userId: 'u1',
    fromStage: 'active',
    toStage: 'silent',
    at: '2026-01-08T00:00:00.000Z',
    policyVersion: 3,
    target,
  });
  const row = async (channel: string) =>
    (await database.query<{ status: string; attempts: number; last_error: string | null }>(
      `select status, attempts, last_error from churn_warnings where channel = $1 order by id desc limit 1`,
      [channel],
    ))[0];

  it('posts a signed Slack-compatible webhook once, however often it is retried', async () => {
    const send = createSendChurnWarning({ database, webhookSecret: secret });
    expect(await send(warning({ channel: 'webhook', url: hooks.url }))).toBe('sent');
    expect(await send(warning({ channel: 'webhook', url: hooks.url }))).toBe('already-sent');
    expect(hooks.received).toHaveLength(1);
    const [hook] = hooks.received;
    expect(JSON.parse(hook!.body)).toEqual({
      text: 'Churn warning: user u1 (u1@example.com) moved from active to silent at 2026-01-08T00:00:00.000Z (policy v3).',
      userId: 'u1',
      from: 'active',
      to: 'silent',
      at: '2026-01-08T00:00:00.000Z',
      policyVersion: 3,
    });
    expect(verifyWebhook(secret, String(hook!.headers[timestampHeader]), hook!.body, String(hook!.headers[signatureHeader]))).toBe(true);
    // Retries after a lost answer carry the same key, for the receiver to de-duplicate.
    expect(hook!.headers[idempotencyHeader]).toBe(`${warning({ channel: 'webhook', url: hooks.url }).transitionKey}:webhook:${hooks.url}`);
    expect(await row('webhook')).toEqual({ status: 'sent', attempts: 1, last_error: null });
  });

  it('records a failed attempt and throws for Temporal to retry on 5xx; gives up at once on 4xx', async () => {
    const answers = [503, 200];
    const flaky: typeof fetch = async () => new Response('', { status: answers.shift()! });
    const send = createSendChurnWarning({ database, webhookSecret: secret, fetch: flaky });
    const target = { channel: 'webhook' as const, url: 'http://127.0.0.1:1/flaky' };
    await expect(send(warning(target, 'k-flaky'))).rejects.toThrow('answered 503');
    expect(await row('webhook')).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('503') });
    expect(await send(warning(target, 'k-flaky'))).toBe('sent');
    expect(await row('webhook')).toMatchObject({ status: 'sent', attempts: 2, last_error: null });

    const rejecting: typeof fetch = async () => new Response('', { status: 404 });
    const failure = await createSendChurnWarning({ database, webhookSecret: secret, fetch: rejecting })(warning(target, 'k-404')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect(await row('webhook')).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('emails the team through SMTP once, with a Message-ID derived from the warning', async () => {
    const send = createSendChurnWarning({ database, webhookSecret: secret, mailer, teamSender: 'lifeline@example.com' });
    const target = { channel: 'email' as const, to: 'team@example.com' };
    expect(await send(warning(target))).toBe('sent');
    expect(await send(warning(target))).toBe('already-sent');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain('user u1');
    expect(mails[0]!.messageId).toMatch(/^<u1-2026-01-08T00-00-00.000Z-email-team-example.com@lifeline>$/);
    expect(await row('email')).toEqual({ status: 'sent', attempts: 1, last_error: null });
  });

  it('fails permanently, naming the setting, when no mail transport is configured', async () => {
    const send = createSendChurnWarning({ database, webhookSecret: secret });
    await expect(send(warning({ channel: 'email', to: 'team@example.com' }, 'k-nomail'))).rejects.toThrow('set SMTP_URL');
  });

  it('rejects malformed input naming the field', async () => {
    const send = createSendChurnWarning({ database, webhookSecret: secret });
    await expect(send({ ...warning({ channel: 'webhook', url: 'not a url' }) })).rejects.toThrow(/invalid churn warning: ✖ Invalid URL\n {2}→ at target\.url/);
  });
});
