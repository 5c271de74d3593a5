import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { storePolicy } from '../../db/policies.ts';
import { defaultPolicy, defaultPolicySource } from '../../rules/index.ts';
import { openTestDatabase } from '../support/database.ts';
import { RecordingWaker, testApi } from './support.ts';

const ADMIN = 'admin-test-key';
const DAY = 86_400_000;
const now = new Date('2026-06-01T00:00:00Z');

describe('operator policy routes', () => {
  let database: Database;
  let app: FastifyInstance;
  let waker: RecordingWaker;
  let activated = 0;

  beforeAll(async () => {
    database = await openTestDatabase();
    await storePolicy(database, defaultPolicy(), defaultPolicySource(), { activate: true });
    // u-active was seen 3 days ago, u-lapsed 10 days ago: silent now, active under a 14-day rule.
    for (const [id, daysAgo, stage] of [['u-active', 3, 'active'], ['u-lapsed', 10, 'silent']] as const) {
      const at = new Date(now.getTime() - daysAgo * DAY - 30 * DAY);
      await database.query(`insert into users (id, first_seen_at, stage) values ($1, $2, $3)`, [id, at, stage]);
      await database.query(`insert into events (id, user_id, name, occurred_at) values ($1, $2, 'login', $3), ($4, $2, 'login', $5)`, [
        `${id}-1`,
        id,
        at,
        `${id}-2`,
        new Date(now.getTime() - daysAgo * DAY),
      ]);
    }
    ({ app, waker } = testApi(database, { operator: { adminKeys: [ADMIN], onPolicyActivated: () => activated++, now: () => now } }));
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/yaml', ...headers } });
  const patient = defaultPolicySource().replace('name: default', 'name: patient').replaceAll('lt: 7 days', 'lt: 14 days');

  it('refuses without the admin key, and with a write key', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/policy' })).statusCode).toBe(401);
    const withWriteKey = await app.inject({ method: 'GET', url: '/v1/policy', headers: { authorization: `Basic ${Buffer.from('wk_test_123:').toString('base64')}` } });
    expect(withWriteKey.statusCode).toBe(401);
    expect(withWriteKey.json().message).toContain('Bearer');
  });

  it('shows the active policy', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/policy', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ version: 1, policy: { name: 'default' } });
  });

  it('rejects an invalid policy with each mistake located in the file, and stores nothing', async () => {
    const response = await post('/v1/policy', 'name: broken\nstages:\n  - stage: dormant\n    otherwise: true\n', { 'x-policy-file': 'broken.yaml' });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toBe('invalid_policy');
    expect(body.message).toMatch(/^broken\.yaml:3:\d+: stages\[0\]\.stage: unknown stage "dormant"/);
    expect(body.issues[0]).toMatchObject({ field: 'stages[0].stage', rule: expect.stringMatching(/^broken\.yaml:3:\d+$/) });
    const [row] = await database.query<{ n: number }>(`select count(*)::int as n from policies`);
    expect(row!.n).toBe(1);
  });

  it('previews counts and moves without changing anything', async () => {
    const response = await post('/v1/policy/preview', patient);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      activeVersion: 1,
      counts: { active: { new: 0, active: 1, silent: 1, churned: 0, paying: 0 }, proposed: { new: 0, active: 2, silent: 0, churned: 0, paying: 0 } },
      transitions: [{ from: 'silent', to: 'active', users: 1, warnings: [], rescues: [] }],
    });
    expect(waker.calls).toEqual([]);
  });

  it('activates a policy sent as JSON and wakes only the users it moves', async () => {
    const json = JSON.stringify({ name: 'json', stages: [{ stage: 'active', when: { since_last_activity: { lt: '14 days' } } }, { stage: 'churned', otherwise: true }] });
    const response = await post('/v1/policy', json, { 'content-type': 'application/json' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ version: 2, woken: 1 });
    expect(waker.calls).toEqual([[{ userId: 'u-lapsed', kind: 'signal', reason: 'policy-change' }]]);
    expect(activated).toBe(1);
    const active = await app.inject({ method: 'GET', url: '/v1/policy', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(active.json()).toMatchObject({ version: 2, policy: { name: 'json' } });
  });
});
