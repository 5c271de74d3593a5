import type { Database, Query } from '../db/client.ts';
import { activePolicy } from '../db/policies.ts';
import { armChannels as channelsOfArm } from '../rules/arm-channels.ts';
import { CHANNELS, type Campaign, type Channel } from '../rules/campaigns.ts';
import { NO_COSTS, type Costs } from '../rules/costs.ts';
import type { ArmData, MessageData, ReportData } from './build.ts';
import type { ResolvedOptions } from './schema.ts';

/**
 * The rescues the report covers: those of the campaign (if one is named) assigned in [since, until).
 * A rescue is *decided* once its outcome is recorded and its attribution window closed by the cutoff:
 * counting a rescue that already came back while its window is still open, but not one still waiting,
 * would inflate the rate of every recent cohort.
 * Parameters: $1 campaign, $2 since, $3 until, $4 asOf (each may be null).
 */
const SELECTED = `
  selected as (
    select * from rescues
    where ($1::text is null or campaign = $1::text)
      and ($2::timestamptz is null or assigned_at >= $2::timestamptz)
      and ($3::timestamptz is null or assigned_at < $3::timestamptz)),
  cutoff as (
    select coalesce($4::timestamptz, (select max(closed_at) from selected)) as at),
  classified as (
    select s.*, (s.outcome is not null and s.window_ends_at <= cutoff.at) as decided
    from selected s cross join cutoff)`;

/**
 * Per campaign × arm. Revenue after rescue is the sum of `events.revenue` of a rescued user from the
 * return up to `revenueDays` later ($5), read through events(user_id, occurred_at). A purchase goes
 * to the user's latest return in the campaign before it (selected or not, up to the cutoff): a user
 * rescued again within revenueDays would otherwise count it twice. Nothing after the cutoff counts,
 * so a report as of a past instant stays the same however much later it is run.
 */
const ARMS = `
  with ${SELECTED},
  returns as (
    select id, lead(returned_at) over (partition by campaign, user_id order by returned_at, id) as next_return_at
    from rescues
    where returned_at <= (select at from cutoff) and ($1::text is null or campaign = $1::text))
  select c.campaign, c.arm, c.holdout,
         count(*)::int as assigned,
         count(*) filter (where c.decided)::int as decided,
         count(*) filter (where c.decided and c.outcome = 'rescued')::int as rescued,
         coalesce(array_agg(extract(epoch from c.returned_at - c.assigned_at)::float8 / 86400 order by c.id)
                    filter (where c.decided and c.outcome = 'rescued'), '{}') as return_days,
         coalesce(sum(revenue.amount), 0)::text as revenue,
         max(extract(epoch from c.window_ends_at - c.assigned_at))::float8 / 86400 as window_days,
         array_agg(distinct c.policy_version) as policy_versions,
         (select at from cutoff) as as_of
  from classified c
  left join returns r on r.id = c.id
  left join lateral (
    select sum(e.revenue) as amount from events e
    where c.decided and c.outcome = 'rescued'
      and e.user_id = c.user_id and e.revenue is not null
      and e.occurred_at >= c.returned_at and e.occurred_at < c.returned_at + make_interval(days => $5::int)
      and (r.next_return_at is null or e.occurred_at < r.next_return_at)
      and e.occurred_at <= (select at from cutoff)
  ) revenue on true
  group by c.campaign, c.arm, c.holdout
  order by c.campaign, c.arm`;

/**
 * Messages of decided rescues by campaign × arm × channel (the ledger, through messages(rescue_id, step)).
 * sent: handed to the provider at least once (sent_at is set then); delivered: an SMS with a delivery
 * receipt, or an email or webhook the server accepted (neither has receipts) and nothing reported
 * failed since; failed: failed, bounced or undelivered; skipped: suppressed, capped or deferred.
 */
const MESSAGES = `
  with ${SELECTED}
  select c.campaign, c.arm, m.channel,
         count(*) filter (where m.sent_at is not null)::int as sent,
         count(*) filter (where m.status = 'delivered' or (m.status = 'sent' and m.channel <> 'sms'))::int as delivered,
         count(*) filter (where m.status in ('failed', 'bounced', 'undelivered'))::int as failed,
         count(*) filter (where m.status in ('suppressed', 'capped', 'deferred'))::int as skipped
  from classified c
  join messages m on m.rescue_id = c.id
  where c.decided
  group by c.campaign, c.arm, m.channel
  order by c.campaign, c.arm, m.channel`;

interface ArmRowSql {
  campaign: string;
  arm: string;
  holdout: boolean;
  assigned: number;
  decided: number;
  rescued: number;
  return_days: number[];
  revenue: string;
  window_days: number;
  policy_versions: number[];
  as_of: Date | null;
}

/** Reads everything the report needs; `buildReport` does the rest without I/O. */
export async function gatherReportData(database: Database, options: ResolvedOptions): Promise<ReportData> {
  const params = [options.campaign ?? null, options.since?.toISOString() ?? null, options.until?.toISOString() ?? null, options.asOf?.toISOString() ?? null];
  const active = await activePolicy<{ costs?: Costs }>(database);
  // One snapshot, so the arms and their messages are counted from the same rows. JIT off: the plan
  // is index lookups and small aggregates, and compiling it cost more than running it (414 of
  // 795 ms over 100k rescues on PostgreSQL 15; see bench/report.ts).
  const { armRows, messageRows, channels } = await database.transaction(async (query) => {
    await query('set transaction isolation level repeatable read, read only');
    await query('set local jit = off');
    const armRows = await query<ArmRowSql>(ARMS, [...params, options.revenueDays]);
    const messageRows = await query<MessageData>(MESSAGES, params);
    const channels = await declaredChannels(query, [...new Set(armRows.flatMap((r) => r.policy_versions))]);
    return { armRows, messageRows, channels };
  });
  const arms: ArmData[] = armRows.map((r) => ({
    campaign: r.campaign,
    arm: r.arm,
    holdout: r.holdout,
    assigned: r.assigned,
    decided: r.decided,
    rescued: r.rescued,
    returnDays: r.return_days.map(Number),
    revenue: Number(r.revenue),
    windowDays: Number(r.window_days),
  }));
  const asOf = options.asOf ?? armRows[0]?.as_of ?? null;
  return {
    asOf: asOf ? new Date(asOf) : null,
    arms,
    messages: messageRows,
    armChannels: channels,
    costs: { ...(active?.body.costs ?? NO_COSTS), ...options.costs },
  };
}

/**
 * The channels each arm sends on, by campaign and arm, from the policy versions that assigned the
 * rescues (an arm renamed or changed between versions gets the union of its channels).
 */
async function declaredChannels(query: Query, versions: number[]): Promise<Record<string, Record<string, Channel[]>>> {
  if (!versions.length) return {};
  const rows = await query<{ campaigns: Campaign[] | null }>(
    `select body->'campaigns' as campaigns from policies where version = any($1::int[]) order by version`,
    [versions],
  );
  const out: Record<string, Record<string, Channel[]>> = {};
  for (const { campaigns } of rows) {
    for (const campaign of campaigns ?? []) {
      const arms = (out[campaign.name] ??= {});
      for (const arm of campaign.arms) {
        const union = new Set([...(arms[arm.name] ?? []), ...channelsOfArm(arm)]);
        arms[arm.name] = CHANNELS.filter((c) => union.has(c));
      }
    }
  }
  return out;
}
