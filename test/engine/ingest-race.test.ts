import type { FastifyInstance } from 'fastify';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLifecycleActivities } from '../../activities/lifecycle.ts';
import { storePolicy } from '../../db/policies.ts';
import type { ScratchDatabase } from '../../db/scratch.ts';
import { parsePolicy } from '../../rules/index.ts';
import type { UserWake } from '../../api/ingest/deps.ts';
import { auth, RecordingWaker, testApi } from '../api/support.ts';
import { openTestDatabase } from '../support/database.ts';
import { stagesYaml } from './policies.ts';

// A fact that an event can change without moving the user row's facts: a count of events.
const POLICY = `name: race
${stagesYaml().replace('when: { since_last_payment: { lt: 35 days } }', 'when: { any: [{ since_last_payment: { lt: 35 days } }, { count: { events: ["Signed In"], within: 30 days, gte: 3 } }] }')}
`;

/**
 * The lock protocol between ingest and the lifecycle workflow's recordTransition, on PostgreSQL
 * (it needs concurrent transactions): an event is never lost between a workflow's facts check and
 * its transition. Ingest locks every user it writes `for key share` and reads their stage under
 * that lock; recordTransition locks the user `for update` and re-reads the facts.
 */
describe('ingest and recordTransition on the same user', () => {
  let database: ScratchDatabase;
  let other: postgres.Sql;
  let app: FastifyInstance;
  let waker: RecordingWaker;
  let base: string;
  let policyVersion: number;
  const lifecycle = () => createLifecycleActivities({ database });

  beforeAll(async () => {
    database = await openTestDatabase();
    if (!database.url) throw new Error('the ingest race test needs PostgreSQL (TEST_DATABASE_URL): it runs concurrent transactions');
    other = postgres(database.url, { max: 2, onnotice: () => {} });
    policyVersion = await storePolicy(database, parsePolicy(POLICY), POLICY, { activate: true });
    ({ app, waker } = testApi(database));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await other?.end();
    await database?.close();
  });

  const track = (batch: { userId: string; messageId: string; timestamp: string; event?: string }[]) =>
    fetch(`${base}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth() },
      body: JSON.stringify({ batch: batch.map((m) => ({ type: 'track', event: 'Signed In', ...m })) }),
    });

  /** Resolves once `count` backends of the test database wait for a lock: the state the test needs next. */
  async function lockWaiters(count: number): Promise<void> {
    for (let polls = 0; ; polls++) {
      const [row] = await other<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
      if (row!.n >= count) return;
      if (polls > 2000) throw new Error(`expected ${count} backends waiting for a lock, found ${row!.n}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('an ingest waiting behind a transition reads the new stage and wakes the workflow', async () => {
    expect((await track([{ userId: 'ra', messageId: 'ra-1', timestamp: '2026-03-01T00:00:00Z' }])).status).toBe(200);
    await database.query(`update users set stage = 'active' where id = 'ra'`);
    waker.calls = [];

    let response: Promise<Response> | undefined;
    await other.begin(async (tx) => {
      // What recordTransition does: lock the row, then record the stage.
      await tx`select 1 from users where id = 'ra' for update`;
      response = track([{ userId: 'ra', messageId: 'ra-2', timestamp: '2026-03-20T00:00:00Z' }]);
      await lockWaiters(1);
      await tx`update users set stage = 'silent' where id = 'ra'`;
    });
    expect((await response!).status).toBe(200);
    // Read from the statement's snapshot instead, the stage would be 'active' and nobody woken.
    expect(waker.calls).toEqual([[{ userId: 'ra', kind: 'signal', reason: 'dormant-user' }]]);
  });

  it('a transition waits for an ingest in flight and then finds its facts stale', async () => {
    const first = await track([
      { userId: 'rb', messageId: 'rb-1', timestamp: '2026-03-01T00:00:00Z' },
      { userId: 'rb', messageId: 'rb-2', timestamp: '2026-03-05T00:00:00Z' },
      { userId: 'rc', messageId: 'rc-1', timestamp: '2026-03-01T00:00:00Z' },
    ]);
    expect(first.status).toBe(200);
    const at = '2026-03-12T00:00:00.000Z';
    const loaded = await lifecycle().loadFacts({ userId: 'rb', at });
    expect(loaded.facts).not.toBeNull();

    let transition: Promise<'recorded' | 'stale'> | undefined;
    let response: Promise<Response> | undefined;
    await other.begin(async (tx) => {
      // Holding rc makes the ingest stop at rc's update (its last activity moves), after it has
      // written its events and locked rb, before it commits. rb-3 moves none of rb's row: only the
      // key-share lock stands between it and the transition.
      await tx`select 1 from users where id = 'rc' for no key update`;
      response = track([
        { userId: 'rb', messageId: 'rb-3', timestamp: '2026-03-03T00:00:00Z' },
        { userId: 'rc', messageId: 'rc-2', timestamp: '2026-03-10T00:00:00Z' },
      ]);
      await lockWaiters(1);
      transition = lifecycle().recordTransition({
        userId: 'rb',
        fromStage: null,
        toStage: 'silent',
        at,
        policyVersion,
        rule: 'test',
        facts: loaded.facts!,
      });
      await lockWaiters(2);
    });
    expect((await response!).status).toBe(200);
    // Without ingest's lock the transition would not wait, and would record facts missing rb-3.
    expect(await transition!).toBe('stale');
    expect(await database.query(`select 1 from stage_transitions where user_id = 'rb'`)).toEqual([]);
  });

  /**
   * Two requests create the same user at once: the first stops, its row for the user inserted but
   * not committed, at a user row the test holds; the second waits on that row and, once the first
   * commits, updates it. Only the request that wrote the user's first events starts the workflow.
   */
  async function raceToCreate(first: object[], second: object[]): Promise<UserWake[]> {
    await database.query(`insert into users (id, first_seen_at, first_events_xact) values ('rz', now(), 0) on conflict do nothing`);
    waker.calls = [];
    const send = (batch: object[]) =>
      fetch(`${base}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth() }, body: JSON.stringify({ batch }) });
    const responses: Promise<Response>[] = [];
    await other.begin(async (tx) => {
      await tx`select 1 from users where id = 'rz' for no key update`;
      responses.push(send(first));
      await lockWaiters(1);
      responses.push(send(second));
      await lockWaiters(2);
    });
    expect((await Promise.all(responses)).map((response) => response.status)).toEqual([200, 200]);
    return waker.calls.flat();
  }
  // Moves rz's last activity, so the first request waits for the test's lock on rz.
  const touchRz = (messageId: string, timestamp: string) => ({ type: 'track', userId: 'rz', event: 'Signed In', messageId, timestamp });

  it('starts a user two tracks create at once exactly once, though the later one moves the facts', async () => {
    const wakes = await raceToCreate(
      [
        { type: 'track', userId: 'rd', event: 'Signed In', messageId: 'rd-1', timestamp: '2026-03-01T00:00:00Z' },
        touchRz('rz-1', '2026-03-01T00:00:00Z'),
      ],
      [{ type: 'track', userId: 'rd', event: 'Signed In', messageId: 'rd-2', timestamp: '2026-03-02T00:00:00Z' }],
    );
    expect(wakes).toEqual([{ userId: 'rd', kind: 'start', reason: 'new-user' }]);
    const [row] = await database.query<{ last_active_at: Date }>(`select last_active_at from users where id = 'rd'`);
    expect(row!.last_active_at.toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });

  it('starts a user an identify creates at the same time with the first events of the other request', async () => {
    const wakes = await raceToCreate(
      [{ type: 'identify', userId: 're', traits: { plan: 'pro' }, messageId: 're-1', timestamp: '2026-03-01T00:00:00Z' }, touchRz('rz-2', '2026-03-05T00:00:00Z')],
      [{ type: 'track', userId: 're', event: 'Signed In', messageId: 're-2', timestamp: '2026-03-02T00:00:00Z' }],
    );
    expect(wakes).toEqual([{ userId: 're', kind: 'start', reason: 'new-user' }]);
  });
});
