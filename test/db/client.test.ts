import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { events, users } from '../../db/schema.ts';
import { openTestDatabase } from '../support/database.ts';

describe(`database (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'})`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  it('runs the migrations and round-trips a user through drizzle', async () => {
    const firstSeenAt = new Date('2026-01-02T03:04:05.678Z');
    await database.db.insert(users).values({ id: 'u1', traits: { email: 'a@example.com' }, firstSeenAt });
    const [row] = await database.db.select().from(users).where(eq(users.id, 'u1'));
    expect(row?.firstSeenAt.toISOString()).toBe(firstSeenAt.toISOString());
    expect(row?.traits).toEqual({ email: 'a@example.com' });
  });

  it('copies rows with quoting, nulls and json, and raw queries see them with proper types', async () => {
    const rows = [
      ['e1', 'u1', 'purchase', new Date('2026-01-03T00:00:00Z'), { sku: 'a,"b"\nc' }, '12.34'],
      ['e2', 'u1', 'login', new Date('2026-01-04T00:00:00Z'), {}, null],
    ] as const;
    const count = await database.copy('events', ['id', 'user_id', 'name', 'occurred_at', 'properties', 'revenue'], rows);
    expect(count).toBe(2);
    const result = await database.query<{ id: string; occurred_at: Date; properties: unknown; revenue: string | null }>(
      'select id, occurred_at, properties, revenue from events where user_id = $1 order by id',
      ['u1'],
    );
    expect(result.map((r) => r.id)).toEqual(['e1', 'e2']);
    expect(result[0]?.occurred_at).toBeInstanceOf(Date);
    expect(result[0]?.occurred_at.toISOString()).toBe('2026-01-03T00:00:00.000Z');
    expect(result[0]?.properties).toEqual({ sku: 'a,"b"\nc' });
    expect(result[0]?.revenue).toBe('12.34');
    expect(result[1]?.revenue).toBeNull();
    const drizzleRows = await database.db.select().from(events).where(eq(events.userId, 'u1'));
    expect(drizzleRows).toHaveLength(2);
  });
});

describe('transactions', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  it('commits all statements together', async () => {
    await database.transaction(async (query) => {
      await query(`insert into users (id, first_seen_at) values ($1, now())`, ['t1']);
      await query(`insert into users (id, first_seen_at) values ($1, now())`, ['t2']);
    });
    const rows = await database.query<{ n: number }>(`select count(*)::int as n from users where id in ('t1','t2')`);
    expect(rows[0]?.n).toBe(2);
  });

  it('writes nothing when a statement fails', async () => {
    await expect(
      database.transaction(async (query) => {
        await query(`insert into users (id, first_seen_at) values ($1, now())`, ['t3']);
        await query(`insert into users (id, first_seen_at) values ($1, null)`, ['t4']);
      }),
    ).rejects.toThrow(/null/);
    const rows = await database.query<{ n: number }>(`select count(*)::int as n from users where id in ('t3','t4')`);
    expect(rows[0]?.n).toBe(0);
  });
});
