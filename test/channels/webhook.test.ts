import { ApplicationFailure } from '@temporalio/activity';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendMessage } from '../../activities/channels/send-message.ts';
import { verifyWebhook } from '../../activities/signature.ts';
import type { Database } from '../../db/client.ts';
import { openTestDatabase } from '../support/database.ts';
import { addUser, emailInput, ledger, WEBHOOK_SECRET } from './support.ts';

interface Hook {
  key: string;
  verified: boolean;
  body: Record<string, unknown>;
}

let database: Database;
let receiver: FastifyInstance;
let receiverUrl: string;
const received: Hook[] = [];
/** Status codes for the next requests; then 200. */
const answers: number[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
  receiver = Fastify();
  receiver.removeContentTypeParser('application/json');
  receiver.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  receiver.post('/hook', async (request, reply) => {
    const raw = request.body as string;
    const verified = verifyWebhook(
      WEBHOOK_SECRET,
      String(request.headers['x-lifeline-timestamp']),
      raw,
      String(request.headers['x-lifeline-signature']),
    );
    const key = String(request.headers['idempotency-key']);
    const status = answers.shift() ?? 200;
    if (status === 200 && !received.some((h) => h.key === key)) received.push({ key, verified, body: JSON.parse(raw) });
    return reply.code(status).send({ ok: status === 200 });
  });
  await receiver.listen({ port: 0, host: '127.0.0.1' });
  receiverUrl = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await receiver?.close();
  await database?.close();
});

const webhookInput = (userId: string, rescueId: string, url = receiverUrl) => ({
  rescueId,
  step: 0,
  userId,
  campaign: 'winback',
  channel: 'webhook' as const,
  template: { body: 'call {{user.plan}} customer about {{offer}}', url },
  variables: { offer: 'a discount' },
});

describe('webhook channel', () => {
  it('posts a signed payload with an idempotency key, once', async () => {
    await addUser(database, 'w1', { plan: 'pro', email: 'w1@example.com' });
    const sendMessage = createSendMessage({ database, webhookSecret: WEBHOOK_SECRET });
    answers.push(503);
    await expect(sendMessage(webhookInput('w1', 'rescue:w1:winback:1'))).rejects.toThrow(/answered 503/);
    expect(await sendMessage(webhookInput('w1', 'rescue:w1:winback:1'))).toEqual({ status: 'sent' });
    expect(await sendMessage(webhookInput('w1', 'rescue:w1:winback:1'))).toEqual({ status: 'sent' });
    const hooks = received.filter((h) => h.key === 'rescue:w1:winback:1:0');
    expect(hooks).toEqual([
      {
        key: 'rescue:w1:winback:1:0',
        verified: true,
        body: { rescueId: 'rescue:w1:winback:1', step: 0, userId: 'w1', campaign: 'winback', body: 'call pro customer about a discount' },
      },
    ]);
    expect(await ledger(database, 'rescue:w1:winback:1')).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a 4xx answer is a permanent failure', async () => {
    await addUser(database, 'w2', { plan: 'free' });
    answers.push(410);
    const result = await createSendMessage({ database, webhookSecret: WEBHOOK_SECRET })(webhookInput('w2', 'rescue:w2:winback:1'));
    expect(result).toMatchObject({ status: 'failed', permanent: true });
    expect(result.reason).toMatch(/answered 410/);
  });
});

describe('sendMessage input and configuration', () => {
  it('names the field and rule broken', async () => {
    const sendMessage = createSendMessage({ database });
    const error = await sendMessage({ ...emailInput('x', 'rescue:x'), step: -1, channel: 'pigeon' as 'email' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as Error).message).toMatch(/step: .*>=0/);
    expect((error as Error).message).toMatch(/channel: /);
    expect(await database.query(`select 1 from messages where rescue_id = 'rescue:x'`)).toEqual([]);
  });

  it('refuses to reuse an idempotency key for another message', async () => {
    await addUser(database, 'w3', { plan: 'free' });
    const sendMessage = createSendMessage({ database, webhookSecret: WEBHOOK_SECRET });
    await sendMessage(webhookInput('w3', 'rescue:w3:winback:1'));
    const error = await sendMessage({ ...emailInput('w3', 'rescue:w3:winback:1') }).catch((e: unknown) => e);
    expect((error as ApplicationFailure).type).toBe('IdempotencyKeyReused');
  });

  it('a channel without configuration fails permanently with a clear message', async () => {
    await addUser(database, 'w4', { email: 'w4@example.com' });
    const error = await createSendMessage({ database })(emailInput('w4', 'rescue:w4:winback:1')).catch((e: unknown) => e);
    expect((error as ApplicationFailure).type).toBe('ChannelNotConfigured');
    expect((error as Error).message).toMatch(/email needs a mail transport/);
    expect(await ledger(database, 'rescue:w4:winback:1')).toMatchObject({ status: 'failed' });
  });

  it('an unknown user is a permanent failure', async () => {
    const result = await createSendMessage({ database, webhookSecret: WEBHOOK_SECRET })(webhookInput('nobody', 'rescue:nobody:1'));
    expect(result).toEqual({ status: 'failed', reason: 'unknown_user', permanent: true });
  });
});
