import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendChurnWarning } from '../../activities/churn-warnings.ts';
import type { ScratchDatabase } from '../../db/scratch.ts';
import { createWebhookSink, type WebhookSink } from '../../sinks/webhook-sink.ts';
import { testApi } from '../api/support.ts';
import { openTestDatabase } from '../support/database.ts';

describe('the embedded webhook sink (npm start)', () => {
  const secret = 'whsec_dev';
  let database: ScratchDatabase;
  let sink: WebhookSink;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    sink = createWebhookSink(secret, () => new Date('2026-03-01T12:00:00Z'));
    ({ app } = testApi(database, { channels: { database, publicUrl: 'http://127.0.0.1', unsubscribeSecret: 'u', webhookSink: sink } }));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const warning = (url: string) => ({
    transitionKey: 'u1:2026-03-01T00:00:00.000Z',
    userId: 'u1',
    fromStage: 'active',
    toStage: 'silent',
    at: '2026-03-01T00:00:00.000Z',
    policyVersion: 1,
    target: { channel: 'webhook' as const, url },
  });

  it('keeps a churn warning meant for a host that does not exist, answering as a receiver would', async () => {
    const send = createSendChurnWarning({ database, webhookSecret: secret, fetch: sink.fetch });
    expect(await send(warning('https://hooks.example.com/lifeline/churn'))).toBe('sent');
    expect(sink.requests).toHaveLength(1);
    const [kept] = sink.requests;
    expect(kept).toMatchObject({
      url: 'https://hooks.example.com/lifeline/churn',
      idempotencyKey: 'u1:2026-03-01T00:00:00.000Z:webhook:https://hooks.example.com/lifeline/churn',
      signatureValid: true,
    });
    expect(JSON.parse(kept!.body)).toMatchObject({ userId: 'u1', from: 'active', to: 'silent' });
  });

  it('flags a request signed with another secret', async () => {
    const send = createSendChurnWarning({ database, webhookSecret: 'another', fetch: sink.fetch });
    await send(warning('https://hooks.example.com/other'));
    expect(sink.requests.at(-1)).toMatchObject({ url: 'https://hooks.example.com/other', signatureValid: false });
  });

  it('lists what it kept on /dev/webhooks, newest first, escaped', async () => {
    const response = await fetch(`${base}/dev/webhooks/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('Local webhooks: 2 request(s)');
    expect(html.indexOf('https://hooks.example.com/other')).toBeLessThan(html.indexOf('https://hooks.example.com/lifeline/churn'));
    expect(html).toContain('INVALID');
    expect(html).toContain('&quot;userId&quot;:&quot;u1&quot;');
  });

  it('is absent when webhooks are sent', async () => {
    const { app: plain } = testApi(database, { channels: { database, publicUrl: 'http://127.0.0.1', unsubscribeSecret: 'u' } });
    expect((await plain.inject({ method: 'GET', url: '/dev/webhooks/' })).statusCode).toBe(404);
    await plain.close();
  });
});
