import type { Database } from '../../db/client.ts';

export const SEED_START = Date.parse('2026-01-01T00:00:00Z');

/** Users per arm of campaign winback, and how many of them came back. */
export const SEEDED = { holdout: { users: 400, rescued: 20 }, email: { users: 400, rescued: 44 }, sms: { users: 400, rescued: 60 } } as const;

/**
 * A small decided experiment written into the engine's tables: rescues one minute apart, each closed
 * (returned between 0.5 and 9.5 days after assignment, or at the 14-day window's end), one message
 * per treated rescue on the arm's channel, and a 9.99 purchase an hour after each return.
 */
export async function seedExperiment(database: Database, policyVersion: number): Promise<void> {
  const arms = Object.entries(SEEDED).map(([arm, { users, rescued }]) => `('${arm}', ${users}, ${rescued})`).join(', ');
  await database.query(
    `with seeded as (
       select a.arm, i, i <= a.rescued as back,
              $1::timestamptz + i * interval '1 minute' as assigned_at
       from (values ${arms}) as a(arm, users, rescued)
       cross join lateral generate_series(1, a.users) as i)
     insert into rescues (id, user_id, campaign, n, arm, holdout, policy_version, assigned_at, window_ends_at, outcome, returned_at, closed_at)
     select 'rescue:u-' || arm || '-' || i || ':winback:1', 'u-' || arm || '-' || i, 'winback', 1, arm, arm = 'holdout', $2,
            assigned_at, assigned_at + interval '14 days',
            case when back then 'rescued' else 'not_rescued' end,
            case when back then assigned_at + ((i % 10) + 0.5) * interval '1 day' end,
            case when back then assigned_at + ((i % 10) + 0.5) * interval '1 day' else assigned_at + interval '14 days' end
     from seeded`,
    [new Date(SEED_START), policyVersion],
  );
  await database.query(
    `insert into messages (rescue_id, step, user_id, campaign, channel, status, sent_at)
     select id, 1, user_id, campaign, arm, case when arm = 'sms' then 'delivered' else 'sent' end, assigned_at + interval '1 day'
     from rescues where arm in ('email', 'sms')`,
  );
  await database.query(
    `insert into events (id, user_id, name, occurred_at, revenue)
     select 'purchase-' || id, user_id, 'purchase', returned_at + interval '1 hour', 9.99 from rescues where outcome = 'rescued'`,
  );
}
