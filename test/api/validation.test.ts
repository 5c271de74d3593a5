import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { openTestDatabase } from '../support/database.ts';
import { auth, countRows, testApi } from './support.ts';

const ok = (i: number, userId = `ok-${i}`) => ({
  type: 'track',
  userId,
  event: 'Viewed',
  timestamp: '2026-03-01T00:00:00Z',
  messageId: `ok-${i}`,
});

/** A batch whose good messages would be written if the request were half-applied. */
const batchWith = (...bad: unknown[]) => ({ batch: [ok(1), ...bad, ok(2)] });

interface Case {
  name: string;
  url: string;
  body: unknown;
  /** Each field the 400 must name, with a fragment of the rule's message. */
  fields: Record<string, RegExp>;
}

const cases: Case[] = [
  { name: 'anonymousId without userId', url: '/v1/track', body: { anonymousId: 'a1', event: 'Viewed' }, fields: { userId: /anonymousId/ } },
  { name: 'empty userId', url: '/v1/track', body: { userId: '', event: 'Viewed' }, fields: { userId: /empty/ } },
  { name: 'userId longer than 255', url: '/v1/track', body: { userId: 'u'.repeat(256), event: 'Viewed' }, fields: { userId: /255/ } },
  { name: 'userId an object', url: '/v1/identify', body: { userId: { id: 1 } }, fields: { userId: /string/ } },
  { name: 'missing event', url: '/v1/track', body: { userId: 'u1' }, fields: { event: /required/ } },
  { name: 'empty event', url: '/v1/track', body: { userId: 'u1', event: '' }, fields: { event: /empty/ } },
  { name: 'event a number', url: '/v1/track', body: { userId: 'u1', event: 42 }, fields: { event: /string/ } },
  { name: 'event name too long', url: '/v1/track', body: { userId: 'u1', event: 'e'.repeat(201) }, fields: { event: /200/ } },
  { name: 'timestamp not a date', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', timestamp: 'yesterday' }, fields: { timestamp: /ISO-8601/ } },
  { name: 'timestamp without time zone', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', timestamp: '2026-03-01T10:00:00' }, fields: { timestamp: /time zone/ } },
  { name: 'timestamp an impossible day', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', timestamp: '2026-02-30T10:00:00Z' }, fields: { timestamp: /ISO-8601/ } },
  { name: 'timestamp as epoch number', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', timestamp: 1767225600000 }, fields: { timestamp: /ISO-8601/ } },
  { name: 'timestamp far in the future', url: '/v1/batch', body: batchWith({ ...ok(3), timestamp: '2099-01-01T00:00:00Z' }), fields: { 'batch[1].timestamp': /future|24 hours/ } },
  { name: 'properties an array', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', properties: [1, 2] }, fields: { properties: /object/ } },
  { name: 'revenue with 3 decimals', url: '/v1/batch', body: batchWith({ ...ok(3), properties: { revenue: 1.005 } }), fields: { 'batch[1].properties.revenue': /2 decimal/ } },
  { name: 'revenue too large for numeric(14,2)', url: '/v1/track', body: { userId: 'u1', event: 'Paid', properties: { revenue: 1e12 } }, fields: { 'properties.revenue': /12 integer digits/ } },
  { name: 'revenue not numeric text', url: '/v1/track', body: { userId: 'u1', event: 'Paid', properties: { revenue: '12 EUR' } }, fields: { 'properties.revenue': /number/ } },
  { name: 'revenue a boolean', url: '/v1/track', body: { userId: 'u1', event: 'Paid', properties: { revenue: true } }, fields: { 'properties.revenue': /number/ } },
  { name: 'messageId a number', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', messageId: 7 }, fields: { messageId: /string/ } },
  { name: 'messageId empty', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', messageId: '' }, fields: { messageId: /empty/ } },
  { name: 'identify traits a string', url: '/v1/identify', body: { userId: 'u1', traits: 'vip' }, fields: { traits: /object/ } },
  { name: 'context.traits an array', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', context: { traits: ['x'] } }, fields: { 'context.traits': /object/ } },
  { name: 'context a string', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', context: 'web' }, fields: { context: /object/ } },
  { name: 'track body an array', url: '/v1/track', body: [{ userId: 'u1', event: 'Viewed' }], fields: { '(body)': /JSON object/ } },
  { name: 'batch not an array', url: '/v1/batch', body: { batch: { userId: 'u1' } }, fields: { batch: /array/ } },
  { name: 'batch missing', url: '/v1/batch', body: { messages: [ok(1)] }, fields: { batch: /required/ } },
  { name: 'batch empty', url: '/v1/batch', body: { batch: [] }, fields: { batch: /at least one/ } },
  { name: 'batch message of unknown type', url: '/v1/batch', body: batchWith({ ...ok(3), type: 'purchase' }), fields: { 'batch[1].type': /one of track/ } },
  { name: 'batch message without type', url: '/v1/batch', body: batchWith({ userId: 'u1', event: 'Viewed' }), fields: { 'batch[1].type': /one of track/ } },
  { name: 'batch message not an object', url: '/v1/batch', body: batchWith('track u1 Viewed'), fields: { 'batch[1]': /JSON object/ } },
  { name: 'batch track without userId', url: '/v1/batch', body: batchWith({ type: 'track', anonymousId: 'a', event: 'Viewed' }), fields: { 'batch[1].userId': /anonymousId/ } },
  { name: 'NUL character in an event name', url: '/v1/batch', body: batchWith({ ...ok(3), event: 'Vie\u0000wed' }), fields: { 'batch[1].event': /NUL/ } },
  { name: 'NUL character deep in properties', url: '/v1/track', body: { userId: 'u1', event: 'Viewed', properties: { tags: ['a', 'b\u0000'] } }, fields: { 'properties.tags[1]': /NUL/ } },
  {
    name: 'several bad messages in one batch',
    url: '/v1/batch',
    body: batchWith({ ...ok(3), timestamp: 'soon' }, ok(4), { ...ok(5), event: '' }, { type: 'identify', userId: 'u9', traits: 5 }),
    fields: { 'batch[1].timestamp': /ISO-8601/, 'batch[3].event': /empty/, 'batch[4].traits': /object/ },
  },
];

describe(`bad ingest input (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'})`, () => {
  let database: Database;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app } = testApi(database, { now: () => new Date('2026-03-15T00:00:00Z') }));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const send = (url: string, payload: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', authorization: auth(), ...headers } });

  it('has at least 20 distinct kinds of bad input', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)('rejects $name with a 400 naming the field, writing nothing', async ({ url, body, fields }) => {
    const before = await countRows(database);
    const response = await send(url, JSON.stringify(body));
    expect(response.statusCode).toBe(400);
    const json = response.json();
    expect(json).toMatchObject({ success: false, error: 'invalid_request' });
    for (const [field, rule] of Object.entries(fields)) {
      const issue = json.issues.find((i: { field: string }) => i.field === field);
      expect(issue, `${field} in ${JSON.stringify(json.issues)}`).toBeDefined();
      expect(issue.message).toMatch(rule);
      expect(typeof issue.rule).toBe('string');
    }
    expect(json.issues).toHaveLength(Object.keys(fields).length);
    expect(await countRows(database)).toEqual(before);
  });

  it('accepts the good messages of those batches on their own (so the rejections above were real)', async () => {
    const response = await send('/v1/batch', JSON.stringify({ batch: [ok(1), ok(2)] }));
    expect(response.statusCode).toBe(200);
    expect(await countRows(database)).toMatchObject({ events: 2, users: 2 });
  });

  it.each([
    ['malformed JSON', '{"userId": "u1", "event": '],
    ['an empty body', ''],
  ])('rejects %s with a 400 about the body', async (_name, payload) => {
    const before = await countRows(database);
    const response = await send('/v1/track', payload);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ success: false, error: 'invalid_request', issues: [{ field: '(body)' }] });
    expect(await countRows(database)).toEqual(before);
  });

  it.each([
    ['no Authorization header', undefined],
    ['an unknown write key', auth('wk_wrong')],
    ['a Bearer token', 'Bearer wk_test_123'],
    ['an empty user name', auth('')],
  ])('answers 401 for %s', async (_name, authorization) => {
    const before = await countRows(database);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization) headers.authorization = authorization;
    const response = await app.inject({ method: 'POST', url: '/v1/track', headers, payload: JSON.stringify(ok(9)) });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic/);
    expect(response.json()).toMatchObject({ success: false, error: 'unauthorized' });
    expect(await countRows(database)).toEqual(before);
  });

  it('accepts every configured write key', async () => {
    const response = await send('/v1/track', JSON.stringify({ ...ok(10), type: undefined }), { authorization: auth('wk_other') });
    expect(response.statusCode).toBe(200);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
  ])('answers 415 for %s', async (_name, contentType) => {
    const before = await countRows(database);
    const response = await send('/v1/track', JSON.stringify(ok(11)), { 'content-type': contentType });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ success: false, error: 'unsupported_media_type' });
    expect(await countRows(database)).toEqual(before);
  });

  it('answers 413 for a single call over 32 KB', async () => {
    const before = await countRows(database);
    const body = JSON.stringify({ ...ok(12), properties: { blob: 'x'.repeat(33 * 1024) } });
    const response = await send('/v1/track', body);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ success: false, error: 'payload_too_large' });
    expect(await countRows(database)).toEqual(before);
  });

  it('answers 413 for a batch over 500 KB, and accepts one just under', async () => {
    const before = await countRows(database);
    const message = (i: number) => ({ ...ok(100 + i, 'big'), properties: { blob: 'x'.repeat(20 * 1024) } });
    const tooBig = JSON.stringify({ batch: Array.from({ length: 26 }, (_, i) => message(i)) });
    expect(Buffer.byteLength(tooBig)).toBeGreaterThan(500 * 1024);
    const response = await send('/v1/batch', tooBig);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ success: false, error: 'payload_too_large' });
    expect(await countRows(database)).toEqual(before);

    const fits = JSON.stringify({ batch: Array.from({ length: 24 }, (_, i) => message(i)) });
    expect(Buffer.byteLength(fits)).toBeLessThan(500 * 1024);
    expect((await send('/v1/batch', fits)).statusCode).toBe(200);
    expect((await countRows(database)).events).toBe(before.events + 24);
  });

  it('answers 413 naming a batch message over 32 KB, writing nothing', async () => {
    const before = await countRows(database);
    const body = JSON.stringify(batchWith({ ...ok(200), properties: { blob: 'x'.repeat(33 * 1024) } }));
    const response = await send('/v1/batch', body);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ success: false, error: 'payload_too_large', issues: [{ field: 'batch[1]' }] });
    expect(await countRows(database)).toEqual(before);
  });

  it('ignores unknown fields, as Segment does', async () => {
    const response = await send(
      '/v1/track',
      JSON.stringify({ ...ok(300), type: 'track', version: 2, _metadata: { bundled: [] }, channel: 'server', options: {} }),
    );
    expect(response.statusCode).toBe(200);
  });

  it('answers 404 in the same JSON error format for unknown routes', async () => {
    const response = await send('/v1/nope', '{}');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ success: false, error: 'not_found' });
  });
});
