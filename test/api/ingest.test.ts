import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { openTestDatabase } from '../support/database.ts';
import { auth, countRows, RecordingLog, RecordingWaker, testApi } from './support.ts';

interface UserRow {
  id: string;
  traits: Record<string, unknown>;
  first_seen_at: Date;
  last_active_at: Date | null;
  last_payment_at: Date | null;
}

describe(`ingest over HTTP (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'})`, () => {
  let database: Database;
  let app: FastifyInstance;
  let waker: RecordingWaker;
  let log: RecordingLog;
  let base: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ app, waker, log } = testApi(database));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });
  beforeEach(() => {
    waker.calls = [];
  });

  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth() },
      body: JSON.stringify(body),
    });
  const user = async (id: string) =>
    (await database.query<UserRow>('select * from users where id = $1', [id]))[0];

  it('tracks an event: stores it, creates the user and starts their workflow', async () => {
    const response = await post('/v1/track', {
      userId: 'alice',
      event: 'Signed In',
      properties: { plan: 'free' },
      timestamp: '2026-03-01T10:00:00.000Z',
      messageId: 'm-1',
      context: { traits: { email: 'alice@example.com' }, ip: '1.2.3.4' },
      integrations: { All: true },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true });
    const [event] = await database.query<{ id: string; user_id: string; name: string; occurred_at: Date; properties: unknown; revenue: string | null }>(
      'select id, user_id, name, occurred_at, properties, revenue from events where id = $1',
      ['m-1'],
    );
    expect(event).toMatchObject({ user_id: 'alice', name: 'Signed In', properties: { plan: 'free' }, revenue: null });
    expect(event?.occurred_at.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    const row = await user('alice');
    expect(row?.traits).toEqual({ email: 'alice@example.com' });
    expect(row?.first_seen_at.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(row?.last_active_at?.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(row?.last_payment_at).toBeNull();
    expect(waker.calls).toEqual([[{ userId: 'alice', kind: 'start', reason: 'new-user' }]]);
  });

  it('identifies a user: merges traits and leaves activity alone', async () => {
    await post('/v1/identify', { userId: 'alice', traits: { name: 'Alice', plan: 'pro' }, timestamp: '2026-03-02T00:00:00Z' });
    const response = await post('/v1/identify', { userId: 'alice', traits: { plan: 'team' }, timestamp: '2026-03-03T00:00:00Z' });
    expect(response.status).toBe(200);
    const row = await user('alice');
    expect(row?.traits).toEqual({ email: 'alice@example.com', name: 'Alice', plan: 'team' });
    expect(row?.last_active_at?.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(row?.first_seen_at.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(waker.calls).toEqual([]);
  });

  it('identifies a new user: creates the row with first_seen_at, and starts nothing until an event', async () => {
    await post('/v1/identify', { userId: 'bob', traits: { email: 'bob@example.com' }, timestamp: '2026-02-01T00:00:00Z' });
    const row = await user('bob');
    expect(row?.first_seen_at.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(row?.last_active_at).toBeNull();
    expect(waker.calls).toEqual([]);
  });

  it('takes a mixed batch in one request and keeps the facts current', async () => {
    const response = await post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'carol', event: 'Viewed', timestamp: '2026-03-05T00:00:00Z', messageId: 'c-1' },
        { type: 'track', userId: 'carol', event: 'Order Completed', properties: { revenue: 19.99 }, timestamp: '2026-03-06T00:00:00Z', messageId: 'c-2' },
        { type: 'track', userId: 'carol', event: 'Order Completed', properties: { revenue: '5.10' }, timestamp: '2026-03-04T00:00:00Z', messageId: 'c-3' },
        { type: 'track', userId: 'carol', event: 'Email Bounced', timestamp: '2026-03-09T00:00:00Z', messageId: 'c-4' },
        { type: 'identify', userId: 'carol', traits: { plan: 'b' }, timestamp: '2026-03-07T00:00:00Z' },
        { type: 'identify', userId: 'carol', traits: { plan: 'a', tz: 'Europe/Paris' }, timestamp: '2026-03-06T00:00:00Z' },
        { type: 'page', userId: 'dave', name: 'Pricing', properties: { path: '/pricing' }, timestamp: '2026-03-05T12:00:00Z', messageId: 'd-1' },
        { type: 'screen', userId: 'dave', name: 'Home', timestamp: '2026-03-05T13:00:00Z', messageId: 'd-2' },
        { type: 'group', userId: 'dave', groupId: 'acme' },
        { type: 'alias', previousId: 'anon', userId: 'dave' },
      ],
      sentAt: '2026-03-09T00:00:01Z',
    });
    expect(response.status).toBe(200);
    const carol = await user('carol');
    expect(carol?.first_seen_at.toISOString()).toBe('2026-03-04T00:00:00.000Z');
    // Email Bounced is not activity under the test policy, so it leaves last_active_at alone.
    expect(carol?.last_active_at?.toISOString()).toBe('2026-03-06T00:00:00.000Z');
    expect(carol?.last_payment_at?.toISOString()).toBe('2026-03-06T00:00:00.000Z');
    expect(carol?.traits).toEqual({ plan: 'b', tz: 'Europe/Paris' });
    const revenue = await database.query<{ id: string; revenue: string | null }>(
      "select id, revenue from events where user_id = 'carol' order by id",
    );
    expect(revenue).toEqual([
      { id: 'c-1', revenue: null },
      { id: 'c-2', revenue: '19.99' },
      { id: 'c-3', revenue: '5.10' },
      { id: 'c-4', revenue: null },
    ]);
    const views = await database.query<{ name: string; properties: unknown }>(
      "select name, properties from events where user_id = 'dave' order by occurred_at",
    );
    expect(views).toEqual([
      { name: 'Page Viewed', properties: { path: '/pricing', name: 'Pricing' } },
      { name: 'Screen Viewed', properties: { name: 'Home' } },
    ]);
    expect(waker.calls).toHaveLength(1);
    expect(waker.calls[0]).toEqual([
      { userId: 'carol', kind: 'start', reason: 'new-user' },
      { userId: 'dave', kind: 'start', reason: 'new-user' },
    ]);
  });

  it('is idempotent on messageId: a resent batch writes nothing and wakes nobody', async () => {
    const batch = {
      batch: [
        { type: 'track', userId: 'erin', event: 'Order Completed', properties: { revenue: 10 }, timestamp: '2026-03-10T00:00:00Z', messageId: 'e-1' },
        { type: 'track', userId: 'erin', event: 'Viewed', timestamp: '2026-03-10T01:00:00Z', messageId: 'e-2' },
        { type: 'track', userId: 'erin', event: 'Viewed', timestamp: '2026-03-10T01:00:00Z', messageId: 'e-2' },
      ],
    };
    expect((await post('/v1/batch', batch)).status).toBe(200);
    const before = await countRows(database);
    const [stamp] = await database.query<{ updated_at: Date }>("select updated_at from users where id = 'erin'");
    waker.calls = [];
    const again = await post('/v1/batch', batch);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ success: true });
    expect(await countRows(database)).toEqual(before);
    const [stampAfter] = await database.query<{ updated_at: Date }>("select updated_at from users where id = 'erin'");
    expect(stampAfter?.updated_at.getTime()).toBe(stamp?.updated_at.getTime());
    expect(waker.calls).toEqual([]);
  });

  it('writes a batch sent twice at once only once, and starts each new user once', async () => {
    const batch = {
      batch: ['twin-a', 'twin-b', 'twin-c'].map((userId, i) => ({
        type: 'track', userId, event: 'Viewed', timestamp: `2026-03-10T00:00:0${i}Z`, messageId: `twin-${i}`,
      })),
    };
    waker.calls = [];
    const before = await countRows(database);
    const statuses = (await Promise.all([post('/v1/batch', batch), post('/v1/batch', batch)])).map((response) => response.status);
    expect(statuses).toEqual([200, 200]);
    expect(await countRows(database)).toEqual({ events: before.events + 3, users: before.users + 3 });
    const starts = waker.calls.flat().map((wake) => `${wake.kind}:${wake.userId}`).sort();
    expect(starts).toEqual(['start:twin-a', 'start:twin-b', 'start:twin-c']);
  });

  it('writes no user row when a request moves none of its facts, yet wakes a silent user for new activity', async () => {
    await post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'mia', event: 'Viewed', timestamp: '2026-03-10T00:00:00Z', messageId: 'mia-1' },
        { type: 'identify', userId: 'mia', traits: { plan: 'pro' }, timestamp: '2026-03-10T00:00:00Z' },
      ],
    });
    await database.query("update users set stage = 'silent' where id = 'mia'");
    const version = async () =>
      (await database.query<{ v: string; updated_at: Date }>("select xmin::text as v, updated_at from users where id = 'mia'"))[0];
    const before = await version();
    waker.calls = [];
    // A resent event, an activity event no later than the last and a trait already held: nothing moves.
    const response = await post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'mia', event: 'Viewed', timestamp: '2026-03-10T00:00:00Z', messageId: 'mia-1' },
        { type: 'track', userId: 'mia', event: 'Viewed', timestamp: '2026-03-10T00:00:00Z', messageId: 'mia-2' },
        { type: 'identify', userId: 'mia', traits: { plan: 'pro' }, timestamp: '2026-03-10T00:00:00Z' },
      ],
    });
    expect(response.status).toBe(200);
    expect(await version()).toEqual(before);
    expect((await database.query("select id from events where user_id = 'mia' order by id")).map((row) => row.id)).toEqual(['mia-1', 'mia-2']);
    expect(waker.calls).toEqual([[{ userId: 'mia', kind: 'signal', reason: 'dormant-user' }]]);
    waker.calls = [];
    expect((await post('/v1/track', { userId: 'mia', event: 'Viewed', timestamp: '2026-03-10T00:00:00Z', messageId: 'mia-2' })).status).toBe(200);
    expect(waker.calls).toEqual([]);
  });

  it('derives a stable messageId when a client sends none, so a resend dedupes', async () => {
    const message = { userId: 'frank', event: 'Viewed', properties: { a: 1 }, timestamp: '2026-03-11T00:00:00Z' };
    await post('/v1/track', message);
    await post('/v1/track', { ...message, sentAt: '2026-03-11T00:00:05Z' });
    await post('/v1/track', { ...message, properties: { a: 2 } });
    const rows = await database.query<{ id: string }>("select id from events where user_id = 'frank'");
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.id.startsWith('derived-'))).toBe(true);
  });

  it('defaults a missing timestamp to the time received', async () => {
    const start = Date.now();
    await post('/v1/track', { userId: 'gina', event: 'Viewed', messageId: 'g-1' });
    const [row] = await database.query<{ occurred_at: Date; received_at: Date }>(
      "select occurred_at, received_at from events where id = 'g-1'",
    );
    expect(row?.occurred_at.getTime()).toBe(row?.received_at.getTime());
    expect(row!.occurred_at.getTime()).toBeGreaterThanOrEqual(start - 1000);
    expect(row!.occurred_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('signals a silent or churned user on activity, and a trigger event such as a first payment', async () => {
    await post('/v1/batch', {
      batch: ['hank', 'ivy', 'jack', 'kim'].map((userId, i) => ({
        type: 'track', userId, event: 'Viewed', timestamp: '2026-01-01T00:00:00Z', messageId: `w-0-${i}`,
      })),
    });
    await database.query("update users set stage = 'silent' where id = 'hank'");
    await database.query("update users set stage = 'churned' where id = 'ivy'");
    await database.query("update users set stage = 'active' where id in ('jack', 'kim')");
    waker.calls = [];
    const response = await post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'hank', event: 'Viewed', timestamp: '2026-03-12T00:00:00Z', messageId: 'w-1' },
        { type: 'track', userId: 'hank', event: 'Viewed', timestamp: '2026-03-12T01:00:00Z', messageId: 'w-2' },
        { type: 'track', userId: 'ivy', event: 'Email Bounced', timestamp: '2026-03-12T00:00:00Z', messageId: 'w-3' },
        { type: 'track', userId: 'jack', event: 'Order Completed', properties: { revenue: 1 }, timestamp: '2026-03-12T00:00:00Z', messageId: 'w-4' },
        { type: 'track', userId: 'kim', event: 'Viewed', timestamp: '2026-03-12T00:00:00Z', messageId: 'w-5' },
      ],
    });
    expect(response.status).toBe(200);
    // ivy's bounce is not activity, kim is active: neither can change stage now.
    expect(waker.calls).toEqual([
      [
        { userId: 'hank', kind: 'signal', reason: 'dormant-user' },
        { userId: 'jack', kind: 'signal', reason: 'trigger-event' },
      ],
    ]);
    waker.calls = [];
    // What jack's workflow records on the signal: a payment no longer changes the stage.
    await database.query("update users set stage = 'paying' where id = 'jack'");
    await post('/v1/track', { userId: 'jack', event: 'Order Completed', timestamp: '2026-03-13T00:00:00Z', messageId: 'w-6' });
    expect(waker.calls).toEqual([]);
  });

  it('still answers 200 when the waker fails, with the rows committed and the failure logged', async () => {
    waker.failNext = true;
    log.entries = [];
    const response = await post('/v1/track', { userId: 'lena', event: 'Viewed', timestamp: '2026-03-12T00:00:00Z', messageId: 'l-1' });
    expect(response.status).toBe(200);
    expect(await user('lena')).toBeDefined();
    expect(log.entries).toHaveLength(1);
    expect(log.entries[0]).toMatchObject({ level: 'error', details: { userIds: ['lena'], err: { message: 'temporal unreachable' } } });
  });

  it('keeps concurrent requests on the same users consistent (no deadlock, one start per new user)', async () => {
    waker.calls = [];
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
    const requests = Array.from({ length: 8 }, (_, r) =>
      post('/v1/batch', {
        batch: (r % 2 ? [...ids].reverse() : ids).map((userId, i) => ({
          type: 'track', userId, event: 'Viewed', timestamp: `2026-03-14T00:0${r}:0${i}Z`, messageId: `par-${r}-${i}`,
        })),
      }),
    );
    const statuses = (await Promise.all(requests)).map((response) => response.status);
    expect(statuses).toEqual(Array(8).fill(200));
    const starts = waker.calls.flat().filter((wake) => wake.kind === 'start').map((wake) => wake.userId).sort();
    expect(starts).toEqual(ids);
    const [last] = await database.query<{ t: Date }>("select max(last_active_at) as t from users where id like 'p%'");
    expect(last?.t.toISOString()).toBe('2026-03-14T00:07:05.000Z');
  });
});
