import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { storePolicy } from '../../db/policies.ts';
import { RescueReport } from '../../reports/schema.ts';
import { defaultPolicy, defaultPolicySource } from '../../rules/index.ts';
import { testApi } from '../api/support.ts';
import { openTestDatabase } from '../support/database.ts';
import { SEEDED, seedExperiment } from './seed.ts';

const ADMIN = 'report-admin-key';
const bearer = { authorization: `Bearer ${ADMIN}` };
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('report routes', () => {
  let database: Database;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await openTestDatabase();
    const version = await storePolicy(database, defaultPolicy(), defaultPolicySource(), { activate: true });
    await seedExperiment(database, version);
    ({ app } = testApi(database, { operator: { adminKeys: [ADMIN] } }));
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  const get = (url: string, headers: Record<string, string> = bearer) => app.inject({ method: 'GET', url, headers });

  it('answers the report as JSON', async () => {
    const response = await get('/v1/reports/rescue?mde=0.08');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const report = RescueReport.parse(response.json());
    expect(report.minimumDetectableEffect).toBe(0.08);
    const arms = report.campaigns[0]!.arms;
    expect(arms.map((a) => [a.arm, a.n, a.rescued])).toEqual(Object.entries(SEEDED).map(([arm, s]) => [arm, s.users, s.rescued]));
    expect(arms.find((a) => a.arm === 'sms')!.verdict).toBe('better');
  });

  it('answers CSV for ?format=csv or Accept: text/csv', async () => {
    for (const [url, headers] of [
      ['/v1/reports/rescue?format=csv', bearer],
      ['/v1/reports/rescue', { ...bearer, accept: 'text/csv' }],
    ] as const) {
      const response = await get(url, headers);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      const lines = response.body.split('\r\n');
      expect(lines[0]).toMatch(/^campaign,kind,name,holdout,/);
      expect(lines.filter((l) => l.startsWith('winback,arm,'))).toHaveLength(3);
      expect(lines.filter((l) => l.startsWith('winback,channel,'))).toHaveLength(2);
    }
  });

  it('filters by campaign and assignment instant', async () => {
    const none = (await get('/v1/reports/rescue?campaign=onboarding')).json();
    expect(none.campaigns).toEqual([]);
    // The first 100 minutes of assignments: rescues 1–99 of each arm.
    const early = RescueReport.parse((await get('/v1/reports/rescue?since=2026-01-01T00:00:00Z&until=2026-01-01T01:40:00Z')).json());
    expect(early.campaigns[0]!.arms.map((a) => a.assigned)).toEqual([99, 99, 99]);
  });

  it('refuses bad parameters with a 400 naming each', async () => {
    const response = await get('/v1/reports/rescue?since=yesterday&mde=lots&confidence=2');
    expect(response.statusCode).toBe(400);
    expect(response.json().issues.map((i: { field: string }) => i.field).sort()).toEqual(['confidence', 'mde', 'since']);
    expect(response.json().message).toMatch(/since must be an ISO 8601 date-time/);
    const unknown = await get('/v1/reports/rescue?campain=winback');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().issues[0]).toMatchObject({ field: 'campain', rule: 'unknown' });
    const format = await get('/v1/reports/rescue?format=xml');
    expect(format.statusCode).toBe(400);
    expect(format.json().issues[0]).toMatchObject({ field: 'format' });
    // Names every object has are parameters no more than any other unknown name.
    const inherited = await get('/v1/reports/rescue?toString=1&constructor=x');
    expect(inherited.statusCode).toBe(400);
    expect(inherited.json().issues.map((i: { field: string; rule: string }) => `${i.field}:${i.rule}`)).toEqual(['toString:unknown', 'constructor:unknown']);
    const twice = await get('/v1/reports/rescue?campaign=a&campaign=b');
    expect(twice.json().issues[0]).toMatchObject({ field: 'campaign', rule: 'single' });
  });

  it('charges the unit costs given as cost.<channel> over the policy’s', async () => {
    const report = RescueReport.parse((await get('/v1/reports/rescue?cost.sms=0.05&cost.webhook=0')).json());
    expect(report.costs).toEqual({ ...defaultPolicy().costs, sms: 0.05, webhook: 0 });
    const sms = report.campaigns[0]!.arms.find((a) => a.arm === 'sms')!;
    expect(sms.cost).toBeCloseTo(sms.messages.sent * 0.05, 9);
    const bad = await get('/v1/reports/rescue?cost.sms=-1&cost.email=free&cost.fax=1');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues.map((i: { field: string }) => i.field).sort()).toEqual(['cost.fax']);
    const invalid = await get('/v1/reports/rescue?cost.sms=-1&cost.email=free');
    expect(invalid.json().issues.map((i: { field: string }) => i.field).sort()).toEqual(['cost.email', 'cost.sms']);
  });

  it('requires the admin key', async () => {
    expect((await get('/v1/reports/rescue', {})).statusCode).toBe(401);
    expect((await get('/v1/reports/rescue', { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await get('/reports/rescue', {})).statusCode).toBe(401);
    expect((await get('/reports/rescue', basic('analyst', 'wrong'))).statusCode).toBe(401);
  });

  it('serves the HTML page to a browser that signs in with Basic auth, asking for it when missing', async () => {
    const challenge = await get('/reports/rescue', {});
    expect(challenge.headers['www-authenticate']).toMatch(/^Basic realm="lifeline reports"/);
    const page = await get('/reports/rescue?campaign=winback', basic('analyst', ADMIN));
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('<svg class="rate-chart"');
    expect((await get('/reports/rescue', bearer)).statusCode).toBe(200);
  });

  it('is not served without admin keys configured', async () => {
    const { app: open } = testApi(database);
    expect((await open.inject({ method: 'GET', url: '/v1/reports/rescue' })).statusCode).toBe(404);
    await open.close();
  });
});
