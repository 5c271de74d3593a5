import type { Database } from '../../db/client.ts';
import type { StoredUser } from './deps.ts';
import type { Normalized } from './normalize.ts';

export interface WriteResult {
  /** Events this request inserted: `'all'` when none was a resend (the usual case), else their ids. */
  insertedEventIds: 'all' | Set<string>;
  insertedUserIds: Set<string>;
  /** Existing users that got new events, as stored (and locked) before this request changed them. */
  stored: Map<string, StoredUser>;
}

// Instants travel as epoch milliseconds: JSON.stringify leaves its fast path for objects with toJSON
// (a Date), which cost ~0.6 ms per 500-event request, and 'epoch' + n * 1 ms is exact (unlike
// to_timestamp(float8), which drifts by microseconds far from 1970).
const instant = (column: string) => `'epoch'::timestamptz + ${column} * interval '1 millisecond'`;

// Attempts when PostgreSQL aborts the statement to break a deadlock.
const MAX_ATTEMPTS = 5;

// One statement per request: atomic without an explicit transaction, one round trip.
//
// Users are not upserted wholesale. Every user the request mentions is locked `for key share`,
// which is what activities/lifecycle.ts recordTransition relies on: its `for update` waits for
// this request to commit (and this request waits for a transition being recorded, then reads the
// new stage), so an event is never lost between a workflow's facts check and its transition. Key
// share does not conflict with key share nor with the no-key updates concurrent ingests make, so
// requests sharing hot users queue behind each other's commit only where both move the same
// user's facts. Only new users are
// inserted and only rows whose facts move are updated (in id order: no deadlock between
// requests). With the upsert of every user touched, `bench:ingest` measured PostgreSQL CPU at
// 17.1 ms per 500 events; with this, 15.2 ms (medians of 3; see api/ingest/README.md).
//
// Rows travel as one JSON text per table through json_to_recordset: one plan whatever the batch
// size, no 65,535-parameter ceiling, and JSON.stringify is native where the driver escapes array
// elements one by one in JavaScript. `on conflict do nothing` makes resent events free.
const INGEST = `
  with n as (
    select n.id, n.traits, ${instant('n.first_seen_at')} as first_seen_at,
           ${instant('n.last_active_at')} as last_active_at, ${instant('n.last_payment_at')} as last_payment_at
    from json_to_recordset($3::text::json)
      as n(id text, traits jsonb, first_seen_at float8, last_active_at float8, last_payment_at float8)
  ), ins as (
    insert into events (id, user_id, name, occurred_at, properties, revenue, received_at)
    select e.id, e.user_id, e.name, ${instant('e.occurred_at')}, e.properties, e.revenue, $2::timestamptz
    from json_to_recordset($1::text::json)
      as e(id text, user_id text, name text, occurred_at float8, properties jsonb, revenue numeric)
    order by e.id
    on conflict (id) do nothing
    returning id, user_id
  ), stored as (
    select u.id, u.stage, u.traits, u.first_seen_at, u.last_active_at, u.last_payment_at
    from users u
    where u.id in (select id from n)
    order by u.id
    for key share
  ), up as (
    -- New users and users whose facts move, in one pass in id order, so concurrent requests take
    -- their row locks in the same order (no deadlock). A user missing from stored but present
    -- was committed by a concurrent request after this statement's snapshot: only this upsert sees
    -- it, and locks it even when nothing moves.
    insert into users as u (id, traits, first_seen_at, last_active_at, last_payment_at)
    select n.id, n.traits, n.first_seen_at, n.last_active_at, n.last_payment_at
    from n left join stored s on s.id = n.id
    where s.id is null
       or s.traits || n.traits is distinct from s.traits
       or n.first_seen_at < s.first_seen_at
       or greatest(s.last_active_at, n.last_active_at) is distinct from s.last_active_at
       or greatest(s.last_payment_at, n.last_payment_at) is distinct from s.last_payment_at
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
    returning u.id, u.stage, u.last_payment_at, u.last_active_at, (u.xmax = 0) as inserted
  )
  select
    (select json_agg(id) from up where inserted) as inserted_users,
    (select json_agg(json_build_array(id, stage, last_payment_at, last_active_at)) from (
      select s.id, s.stage, s.last_payment_at, s.last_active_at from stored s
      union all
      -- Committed concurrently: the stage as locked; the last payment (activity) before this request
      -- is the one after it unless this request set it (then unknown, taken as none: at worst one
      -- extra wake).
      select up.id, up.stage, nullif(up.last_payment_at, n.last_payment_at), nullif(up.last_active_at, n.last_active_at)
      from up join n on n.id = up.id
      where not up.inserted and up.id not in (select id from stored)
    ) known where id in (select user_id from ins)) as stored,
    case when (select count(*) from ins) = $4::int then null else (select coalesce(json_agg(id), '[]') from ins) end as inserted_events`;

interface Row {
  inserted_users: string[] | null;
  stored: [id: string, stage: string | null, lastPaymentAt: string | null, lastActiveAt: string | null][] | null;
  inserted_events: string[] | null;
}

/** Writes one request atomically: all of its rows commit, or none do. */
export async function writeIngest(database: Database, input: Normalized, receivedAt: Date): Promise<WriteResult> {
  const events = JSON.stringify(
    input.events.map((event) => ({
      id: event.id,
      user_id: event.userId,
      name: event.name,
      occurred_at: event.occurredAt.getTime(),
      properties: event.properties,
      revenue: event.revenue,
    })),
  );
  const users = JSON.stringify(
    input.users.map((user) => ({
      id: user.id,
      traits: user.traits,
      first_seen_at: user.firstSeenAt.getTime(),
      last_active_at: user.lastActiveAt?.getTime() ?? null,
      last_payment_at: user.lastPaymentAt?.getTime() ?? null,
    })),
  );
  const params = [events, receivedAt.toISOString(), users, input.events.length];
  for (let attempt = 1; ; attempt++) {
    try {
      const [row] = await database.query<Row>(INGEST, params);
      return resultOf(row!);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
    }
  }
}

function resultOf(row: Row): WriteResult {
  return {
    insertedEventIds: row.inserted_events ? new Set(row.inserted_events) : 'all',
    insertedUserIds: new Set(row.inserted_users ?? []),
    stored: new Map(
      (row.stored ?? []).map(([id, stage, lastPaymentAt, lastActiveAt]) => [
        id,
        { stage, lastPaymentAt: lastPaymentAt === null ? null : new Date(lastPaymentAt), lastActiveAt: lastActiveAt === null ? null : new Date(lastActiveAt) },
      ]),
    ),
  };
}

// 40P01: a deadlock with another transaction locking users in another order (such as a
// suppression locking every user with one phone number); the statement rolled back as a whole.
function isRetryable(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '40P01';
}
