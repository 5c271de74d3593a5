import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { classify } from '../../rules/classify.ts';
import { compile } from '../../rules/compile.ts';
import { defaultPolicy } from '../../rules/default-policy.ts';
import { factsFor, type Facts } from '../../rules/facts.ts';
import { planPolicy, type Node } from '../../rules/plan.ts';
import { PolicySchema, STAGES, type Condition, type Policy } from '../../rules/policy.ts';
import { openTestDatabase } from '../support/database.ts';

const H = 3_600_000;
const D = 24 * H;
const BASE = Date.parse('2026-01-01T00:00:00Z');
const NAMES = ['login', 'upload', 'purchase', 'refund', 'email_opened', 'sms_delivered'] as const;
const DURATIONS = ['1 hour', '6 hours', '1 day', '2 days', '3 days', '7 days', '14 days', '30 days'] as const;

/** Instants on an hour grid, sometimes a millisecond off it, so comparisons land exactly on their boundaries. */
const instantIn = (fromDays: number, toDays: number) =>
  fc.tuple(fc.integer({ min: fromDays * 24, max: toDays * 24 }), fc.constantFrom(0, 0, 0, 1, -1)).map(([hours, ms]) => BASE + hours * H + ms);
const instant = instantIn(-40, 5);

// ---------- random policies ----------

const durationCmp: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.record({ op: fc.constantFrom('lt', 'lte', 'gt', 'gte'), d: fc.constantFrom(...DURATIONS) }).map(({ op, d }) => ({ [op]: d })),
  fc
    .tuple(fc.integer({ min: 0, max: DURATIONS.length - 2 }), fc.integer({ min: 1, max: DURATIONS.length - 1 }), fc.constantFrom('gt', 'gte'), fc.constantFrom('lt', 'lte'))
    .filter(([lo, hi]) => lo < hi)
    .map(([lo, hi, loOp, hiOp]) => ({ [loOp]: DURATIONS[lo]!, [hiOp]: DURATIONS[hi]! })),
);
const countOp = fc.constantFrom('eq', 'ne', 'lt', 'lte', 'gt', 'gte');

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  { arbitrary: fc.record({ f: fc.constantFrom('account_age', 'since_last_activity', 'since_last_payment'), c: durationCmp }).map(({ f, c }) => ({ [f]: c })), weight: 5 },
  {
    arbitrary: fc.oneof(
      fc.record({ f: fc.constantFrom('last_active_at', 'last_payment_at'), e: fc.boolean() }).map(({ f, e }) => ({ [f]: { exists: e } })),
      fc
        .record({ f: fc.constantFrom('first_seen_at', 'last_active_at', 'last_payment_at'), op: fc.constantFrom('lt', 'gte', 'lte', 'gt'), at: instant })
        .map(({ f, op, at }) => ({ [f]: { [op]: new Date(at).toISOString() } })),
    ),
    weight: 1,
  },
  {
    arbitrary: fc
      .record({
        events: fc.subarray([...NAMES], { minLength: 1, maxLength: 3 }),
        within: fc.constantFrom(...DURATIONS),
        op: countOp,
        n: fc.integer({ min: 0, max: 3 }),
      })
      .map(({ events, within, op, n }) => ({ count: { events, within, [op]: n } })),
    weight: 3,
  },
  {
    arbitrary: fc
      .record({ within: fc.constantFrom(...DURATIONS), op: countOp, cents: fc.integer({ min: -5000, max: 30000 }) })
      .map(({ within, op, cents }) => ({ revenue: { within, [op]: (cents / 100).toFixed(2) } })),
    weight: 2,
  },
  {
    arbitrary: fc.oneof(
      fc.record({ op: fc.constantFrom('eq', 'ne'), v: fc.constantFrom('pro', 'free', 3, true) }).map(({ op, v }) => ({ trait: { name: 'plan', [op]: v } })),
      fc.record({ op: fc.constantFrom('lt', 'lte', 'gt', 'gte'), v: fc.integer({ min: 0, max: 20 }) }).map(({ op, v }) => ({ trait: { name: 'seats', [op]: v } })),
      fc.record({ name: fc.constantFrom('email', 'phone', 'flag', 'seats'), e: fc.boolean() }).map(({ name, e }) => ({ trait: { name, exists: e } })),
    ),
    weight: 2,
  },
);

const { condition } = fc.letrec<{ condition: Condition }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: leaf, weight: 4 },
    { arbitrary: fc.array(tie('condition'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })), weight: 1 },
    { arbitrary: fc.array(tie('condition'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })), weight: 1 },
    { arbitrary: tie('condition').map((not) => ({ not })), weight: 1 },
  ),
}));

const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    stages: fc.shuffledSubarray([...STAGES], { minLength: 2, maxLength: 5 }),
    conditions: fc.array(condition, { minLength: 4, maxLength: 4 }),
    activity: fc.constantFrom({}, { except: ['email_opened'] }, { only: ['login', 'upload'] }),
    payment: fc.subarray(['purchase', 'refund']),
  })
  .map(({ stages, conditions, activity, payment }) =>
    PolicySchema.safeParse({
      name: 'random',
      events: { activity, payment },
      stages: stages.map((stage, i) => (i === stages.length - 1 ? { stage, otherwise: true } : { stage, when: conditions[i] })),
    }),
  )
  .filter((r) => r.success) // a few random policies have a condition that always holds; the validator rejects them
  .map((r) => r.data!);

// ---------- random histories ----------

interface History {
  users: { id: string; traits: Record<string, unknown> | null; events: { name: string; at: number; revenue: string | null }[] }[];
  nows: number[];
}

const traitsArb = fc.record(
  {
    plan: fc.constantFrom('pro', 'free', null, 3, true),
    seats: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant('12'), fc.constant(null)),
    email: fc.constantFrom('someone@example.com', null, ''),
    phone: fc.constant('+15550100'),
    flag: fc.boolean(),
  },
  { requiredKeys: [] },
);

const historyArb: fc.Arbitrary<History> = fc.record({
  users: fc.array(
    fc.record({
      traits: fc.option(traitsArb, { nil: null, freq: 6 }),
      events: fc.array(
        fc.record({
          name: fc.constantFrom(...NAMES),
          at: instant,
          revenue: fc.option(fc.integer({ min: -5000, max: 20000 }).map((c) => (c / 100).toFixed(2)), { nil: null, freq: 3 }),
        }),
        { maxLength: 15 },
      ),
    }),
    { minLength: 1, maxLength: 10 },
  ).map((users) => users.map((u, i) => ({ ...u, id: `u${i}` }))),
  nows: fc.array(instantIn(-3, 10), { minLength: 2, maxLength: 2 }),
});

// ---------- exactness reference ----------

/** Every duration the policy compares or windows by. */
function durationsOf(policy: Policy): number[] {
  const plan = planPolicy(policy);
  const out = new Set<number>([...plan.counts.map((w) => w.windowMs), ...plan.revenues.map((w) => w.windowMs)]);
  const walk = (n: Node): void => {
    if (n.kind === 'all' || n.kind === 'any') n.children.forEach(walk);
    else if (n.kind === 'not') walk(n.child);
    else if (n.kind === 'since') out.add(n.ms);
  };
  plan.stages.forEach((s) => walk(s.when));
  return [...out];
}

/**
 * Brute force: a stage can only change when some fact instant plus some duration is reached (or
 * one millisecond later, for lte/gt), so checking every such instant finds the true next change.
 */
function referenceNextChange(facts: Facts, policy: Policy, now: number): number | null {
  const times = [facts.firstSeenAt, facts.lastActiveAt, facts.lastPaymentAt, ...Object.values(facts.counts).flat(), ...Object.values(facts.revenue).map((p) => p.map(([t]) => t)).flat()].filter(
    (t): t is number => t !== null,
  );
  const candidates = new Set<number>();
  for (const t of times) for (const d of durationsOf(policy)) for (const c of [t + d, t + d + 1]) if (c > now) candidates.add(c);
  const stage = classify(facts, policy, now).stage;
  for (const c of [...candidates].sort((a, b) => a - b)) if (classify(facts, policy, c).stage !== stage) return c;
  return null;
}

// ---------- the suite ----------

describe(`classify() and compiled SQL agree (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'})`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  async function load(history: History) {
    // DELETE, not TRUNCATE: on PostgreSQL truncating creates new files each time, slow for a few rows.
    // One INSERT … SELECT FROM unnest per table rather than COPY: the postgres.js COPY path costs
    // ~85 ms per call here (round trips to finish the stream), which would dominate 600 loads.
    await database.query('delete from events');
    await database.query('delete from users');
    const withRow = history.users.filter((u) => u.traits !== null);
    await database.query(
      `insert into users (id, traits, first_seen_at)
       select id, traits::jsonb, $3::timestamptz from unnest($1::text[], $2::text[]) as t(id, traits)`,
      [withRow.map((u) => u.id), withRow.map((u) => JSON.stringify(u.traits)), new Date(BASE).toISOString()],
    );
    const events = history.users.flatMap((u) => u.events.map((e) => ({ user: u.id, ...e })));
    await database.query(
      `insert into events (id, user_id, name, occurred_at, revenue)
       select 'e' || n, user_id, name, occurred_at, revenue
       from unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[]) with ordinality as t(user_id, name, occurred_at, revenue, n)`,
      [events.map((e) => e.user), events.map((e) => e.name), events.map((e) => new Date(e.at).toISOString()), events.map((e) => e.revenue)],
    );
  }

  async function factsAt(policy: Policy, userId: string, now: number): Promise<Facts | null> {
    const query = factsFor(policy);
    const rows = await database.query(query.text, query.params(userId, now));
    return rows.length ? query.toFacts(rows[0], userId) : null;
  }

  async function check(policy: Policy, history: History): Promise<{ compared: number; changes: number }> {
    await load(history);
    const compiled = compile(policy);
    let compared = 0;
    let changes = 0;
    for (const now of history.nows) {
      const rows = await database.query<{ user_id: string; stage: string; rule: string }>(compiled.text, compiled.params(new Date(now)));
      const sql = new Map(rows.map((r) => [r.user_id, r]));
      expect(sql.size).toBe(rows.length);
      for (const user of history.users) {
        const facts = await factsAt(policy, user.id, now);
        const hasEvent = user.events.some((e) => e.at <= now);
        expect(facts !== null, `${user.id} facts present`).toBe(hasEvent);
        if (!facts) {
          expect(sql.has(user.id), `${user.id} has no event by now, so SQL leaves it out`).toBe(false);
          continue;
        }
        const ts = classify(facts, policy, now);
        expect({ user: user.id, stage: sql.get(user.id)?.stage, rule: sql.get(user.id)?.rule }).toEqual({ user: user.id, stage: ts.stage, rule: ts.rule });
        compared++;

        // Exact: the same stage just before nextChangeAt, a different one at it, and no change anywhere earlier.
        expect(ts.nextChangeAt, 'nextChangeAt against brute force').toBe(referenceNextChange(facts, policy, now));
        if (ts.nextChangeAt !== null) {
          changes++;
          expect(ts.nextChangeAt).toBeGreaterThan(now);
          expect(classify(facts, policy, ts.nextChangeAt - 1).stage).toBe(ts.stage);
          expect(classify(facts, policy, ts.nextChangeAt).stage).not.toBe(ts.stage);
          // Facts loaded at `now` carry enough to classify later (capped windows included): with no new
          // event in between, they agree with facts loaded afresh at that later instant.
          const later = ts.nextChangeAt;
          if (!user.events.some((e) => e.at > now && e.at <= later)) {
            const fresh = (await factsAt(policy, user.id, later))!;
            expect(classify(fresh, policy, later).stage).toBe(classify(facts, policy, later).stage);
          }
        }
      }
    }
    return { compared, changes };
  }

  it('for 500 random policies × random histories, and nextChangeAt is exact', async () => {
    let compared = 0;
    let changes = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(policyArb, historyArb, async (policy, history) => {
        const r = await check(policy, history);
        compared += r.compared;
        changes += r.changes;
        runs++;
      }),
      { numRuns: 500, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    );
    // The property must have had something to compare: users classified and time-based changes found.
    expect(runs).toBeGreaterThanOrEqual(500);
    expect(compared).toBeGreaterThan(2500);
    expect(changes).toBeGreaterThan(300);
  }, 180_000);

  it('for the default policy on a fixed history', async () => {
    const policy = defaultPolicy();
    const at = (days: number) => BASE + days * D;
    const history: History = {
      users: [
        { id: 'payer', traits: {}, events: [{ name: 'purchase', at: at(-10), revenue: '19.90' }] },
        { id: 'newbie', traits: {}, events: [{ name: 'signup', at: at(-2), revenue: null }] },
        { id: 'regular', traits: {}, events: [{ name: 'signup', at: at(-50), revenue: null }, { name: 'login', at: at(-7), revenue: null }] },
        { id: 'quiet', traits: {}, events: [{ name: 'login', at: at(-40), revenue: null }, { name: 'email_opened', at: at(-1), revenue: null }] },
        { id: 'future', traits: {}, events: [{ name: 'login', at: at(1), revenue: null }] },
      ],
      nows: [at(0)],
    };
    await check(policy, history);
    const compiled = compile(policy);
    const rows = await database.query<{ user_id: string; stage: string }>(`${compiled.text} order by 1`, compiled.params(at(0)));
    expect(rows.map((r) => [r.user_id, r.stage])).toEqual([
      ['newbie', 'new'],
      ['payer', 'paying'],
      ['quiet', 'churned'],
      ['regular', 'silent'],
    ]);
  });
});
