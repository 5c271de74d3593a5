import type { Database, Query } from '../../db/client.ts';
import type { StoredUser } from './deps.ts';
import type { Normalized } from './normalize.ts';

export interface WriteResult {
  /** ids of the events this request inserted; resent ones are absent. */
  insertedEventIds: Set<string>;
  insertedUserIds: Set<string>;
  /** The users' rows as they were before this request. */
  stored: Map<string, StoredUser>;
}

// Events go in as one `insert … select from unnest(arrays)`: one statement whatever the batch size
// (no 65,535-parameter ceiling, one plan), inside the request's transaction so a failure writes
// nothing, and `on conflict do nothing` makes resends free. Measured against a multi-row VALUES
// insert and COPY into a temp table + insert…select by `npm run bench:ingest -- --compare-inserts`.
const INSERT_EVENTS = `
  insert into events (id, user_id, name, occurred_at, properties, revenue, received_at)
  select e.id, e.user_id, e.name, e.occurred_at, e.properties::jsonb, e.revenue::numeric, $7::timestamptz
  from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])
    as e(id, user_id, name, occurred_at, properties, revenue)
  order by e.id
  on conflict (id) do nothing
  returning id`;

// The where clause skips rows the request would not change, so a resend rewrites nothing.
const UPSERT_USERS = `
  insert into users as u (id, traits, first_seen_at, last_active_at, last_payment_at)
  select n.id, n.traits::jsonb, n.first_seen_at, n.last_active_at, n.last_payment_at
  from unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[])
    as n(id, traits, first_seen_at, last_active_at, last_payment_at)
  order by n.id
  on conflict (id) do update set
    traits = u.traits || excluded.traits,
    first_seen_at = least(u.first_seen_at, excluded.first_seen_at),
    last_active_at = greatest(u.last_active_at, excluded.last_active_at),
    last_payment_at = greatest(u.last_payment_at, excluded.last_payment_at),
    updated_at = now()
  where u.traits || excluded.traits is distinct from u.traits
     or excluded.first_seen_at < u.first_seen_at
     or greatest(u.last_active_at, excluded.last_active_at) is distinct from u.last_active_at
     or greatest(u.last_payment_at, excluded.last_payment_at) is distinct from u.last_payment_at
  returning id, (xmax = 0) as inserted`;

/** Writes one request in one transaction: all of its rows commit, or none do. */
export async function writeIngest(database: Database, input: Normalized, receivedAt: Date): Promise<WriteResult> {
  const userIds = input.users.map((user) => user.id);
  return database.transaction(async (query: Query) => {
    // Locks the existing rows in id order (so concurrent requests cannot deadlock) and reads the
    // state the wake decision needs as it was before this request.
    const before = await query<{ id: string; stage: string | null; last_payment_at: Date | null }>(
      'select id, stage, last_payment_at from users where id = any($1::text[]) order by id for update',
      [userIds],
    );
    const stored = new Map(before.map((row) => [row.id, { stage: row.stage, lastPaymentAt: row.last_payment_at }]));

    const insertedEventIds = new Set<string>();
    if (input.events.length) {
      const ids: string[] = [];
      const users: string[] = [];
      const names: string[] = [];
      const times: string[] = [];
      const properties: string[] = [];
      const revenues: (string | null)[] = [];
      for (const event of input.events) {
        ids.push(event.id);
        users.push(event.userId);
        names.push(event.name);
        times.push(event.occurredAt.toISOString());
        properties.push(JSON.stringify(event.properties));
        revenues.push(event.revenue);
      }
      const rows = await query<{ id: string }>(INSERT_EVENTS, [
        ids,
        users,
        names,
        times,
        properties,
        revenues,
        receivedAt.toISOString(),
      ]);
      for (const row of rows) insertedEventIds.add(row.id);
    }

    const upserted = await query<{ id: string; inserted: boolean }>(UPSERT_USERS, [
      userIds,
      input.users.map((user) => JSON.stringify(user.traits)),
      input.users.map((user) => user.firstSeenAt.toISOString()),
      input.users.map((user) => user.lastActiveAt?.toISOString() ?? null),
      input.users.map((user) => user.lastPaymentAt?.toISOString() ?? null),
    ]);
    const insertedUserIds = new Set(upserted.filter((row) => row.inserted).map((row) => row.id));
    return { insertedEventIds, insertedUserIds, stored };
  });
}
