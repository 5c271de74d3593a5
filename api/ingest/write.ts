import type { Database } from '../../db/client.ts';
import type { StoredUser } from './deps.ts';
import type { Normalized } from './normalize.ts';

export interface WriteResult {
  /** Events this request inserted: `'all'` when none was a resend (the usual case), else their ids. */
  insertedEventIds: 'all' | Set<string>;
  /** Users whose first events this request wrote: their workflows start with it. */
  firstEventUserIds: Set<string>;
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
// Rows travel as one JSON text per table, each row an array, read with jsonb_array_elements: one
// plan whatever the batch size, no 65,535-parameter ceiling, JSON.stringify is native (the driver
// escapes array parameters one by one in JavaScript), and `x->4` hands `properties` over as jsonb
// already parsed. json_to_recordset parsed the document, then each property object again, and
// builds a hash table per row: 1.3 ms more PostgreSQL CPU per 500 events (bench:ingest, see
// api/ingest/README.md).
//
// Events go in first with a plain insert: a resent event then fails the whole statement on the
// primary key (nothing is written) and the request is written again with `on conflict do nothing`.
// Speculative insertion costs ~1.7 ms per 500 events even when nothing conflicts, and resends are rare.
//
// Users are written last, so that the row locks below are held only for the users' part and the
// commit, not while the events go in: concurrent requests share hot users, and a request moving
// a user's facts waits for any other request moving the same user's facts to commit.
//
// Users are not upserted wholesale. Every user the request mentions is locked `for key share`
// before the statement commits its events, and its stage is read under that lock: that is what
// activities/lifecycle.ts recordTransition relies on. Its `for update` either comes first, and then
// this request waits for the transition and reads the new stage, or it waits for this request to
// commit and then sees these events. Key share does not conflict with key share nor with the
// no-key updates concurrent ingests make. Only new users are inserted and only rows whose facts
// move are updated (in id order: no deadlock between requests).
//
// A user's first events stamp the row with this transaction's id (first_events_xact), kept by
// every later writer: the request that finds its own id there wrote the first events and starts the
// workflow, exactly once even when concurrent requests create the same user (an upsert's RETURNING
// cannot show the facts a concurrent request committed before it).
function ingestStatement(resent: boolean): string {
  return `
  with e as (
    select x->>0 as id, x->>1 as user_id, x->>2 as name, ${instant("(x->>3)::float8")} as occurred_at,
           x->4 as properties, (x->>5)::numeric as revenue
    from jsonb_array_elements($1::text::jsonb) x
  ), ins as (
    insert into events (id, user_id, name, occurred_at, properties, revenue, received_at)
    select id, user_id, name, occurred_at, properties, revenue, $2::timestamptz
    from e
    order by id
    ${resent ? 'on conflict (id) do nothing' : ''}
    returning id, user_id
  ), n as (
    select x->>0 as id, x->1 as traits, ${instant("(x->>2)::float8")} as first_seen_at,
           ${instant("(x->>3)::float8")} as last_active_at, ${instant("(x->>4)::float8")} as last_payment_at
    from jsonb_array_elements($3::text::jsonb) x
  ), stored as (
    select u.id, u.stage, u.traits, u.first_seen_at, u.last_active_at, u.last_payment_at, u.first_events_xact
    from users u
    where u.id in (select id from n)
    order by u.id
    for key share
  ), up as (
    -- New users and users whose facts move, in one pass in id order, so concurrent requests take
    -- their row locks in the same order (no deadlock). A user missing from stored but present
    -- was committed by a concurrent request after this statement's snapshot: only this upsert sees
    -- it, and locks it even when nothing moves.
    insert into users as u (id, traits, first_seen_at, last_active_at, last_payment_at, first_events_xact)
    select n.id, n.traits, n.first_seen_at, n.last_active_at, n.last_payment_at,
           case when n.id in (select user_id from ins) then txid_current() end
    from n left join stored s on s.id = n.id
    where s.id is null
       or (s.first_events_xact is null and n.id in (select user_id from ins))
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
      first_events_xact = coalesce(u.first_events_xact, excluded.first_events_xact),
      updated_at = now()
    where u.traits || excluded.traits is distinct from u.traits
       or (u.first_events_xact is null and excluded.first_events_xact is not null)
       or excluded.first_seen_at < u.first_seen_at
       or greatest(u.last_active_at, excluded.last_active_at) is distinct from u.last_active_at
       or greatest(u.last_payment_at, excluded.last_payment_at) is distinct from u.last_payment_at
    returning u.id, u.stage, (u.xmax = 0) as inserted, (u.first_events_xact = txid_current()) as first_events
  )
  select
    -- Select-list subqueries run in order: the events first, then the users.
    (select count(*) from ins) as inserted_event_count,
    (select json_agg(id) from up where first_events) as first_event_users,
    (select json_object_agg(id, stage) from (
      select s.id, s.stage from stored s
      union all
      -- Committed concurrently: the stage as locked.
      select up.id, up.stage from up
      where not up.inserted and up.id not in (select id from stored)
    ) known where id in (select user_id from ins)) as stored
    ${resent ? ", (select coalesce(json_agg(id), '[]') from ins) as inserted_event_ids" : ''}`;
}
const INGEST = ingestStatement(false);
const INGEST_RESENT = ingestStatement(true);

interface Row {
  first_event_users: string[] | null;
  stored: Record<string, string | null> | null;
  /** Only from the statement that allows resent events. */
  inserted_event_ids?: string[];
}

/** Writes one request atomically: all of its rows commit, or none do. */
export async function writeIngest(database: Database, input: Normalized, receivedAt: Date): Promise<WriteResult> {
  const events = JSON.stringify(
    input.events.map((event) => [event.id, event.userId, event.name, event.occurredAt, event.properties, event.revenue]),
  );
  const users = JSON.stringify(
    input.users.map((user) => [
      user.id,
      user.traits,
      user.firstSeenAt,
      user.lastActiveAt,
      user.lastPaymentAt,
    ]),
  );
  const params = [events, receivedAt.toISOString(), users];
  let statement = INGEST;
  for (let attempt = 1; ; attempt++) {
    try {
      const [row] = await database.query<Row>(statement, params);
      return resultOf(row!);
    } catch (error) {
      if (statement === INGEST && isResend(error)) statement = INGEST_RESENT;
      else if (attempt >= MAX_ATTEMPTS || !isDeadlock(error)) throw error;
    }
  }
}

function resultOf(row: Row): WriteResult {
  return {
    insertedEventIds: row.inserted_event_ids ? new Set(row.inserted_event_ids) : 'all',
    firstEventUserIds: new Set(row.first_event_users ?? []),
    stored: new Map(Object.entries(row.stored ?? {}).map(([id, stage]) => [id, { stage }])),
  };
}

const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;

// 23505 (unique violation) can only come from the events' primary key: users are upserted.
function isResend(error: unknown): boolean {
  return codeOf(error) === '23505';
}

// 40P01: a deadlock with another transaction locking users in another order (such as a
// suppression locking every user with one phone number); the statement rolled back as a whole.
function isDeadlock(error: unknown): boolean {
  return codeOf(error) === '40P01';
}
