import { FactsSchema, type Facts } from './facts.ts';
import { planPolicy } from './plan.ts';
import type { Policy } from './policy.ts';
import { activityFilter, epochMs, paymentFilter, Params, traitPresent } from './sql-parts.ts';

export interface FactsQuery {
  /** Parameterised SQL returning one row with a `facts` jsonb column, or no row if the user has no event by now. */
  text: string;
  params(userId: string, now: Date | number): unknown[];
  /** The row → Facts; a missing row (no event at or before now) is an error naming the user. */
  toFacts(row: Record<string, unknown> | undefined, userId: string): Facts;
}

/**
 * The query a worker runs to load one user's facts as of `now` (events with occurred_at <= now).
 * Only what the policy's rules need: the newest occurrences of each counted window, payments in
 * each revenue window, and the traits conditions name, contact traits as presence only.
 */
export function factsFor(policy: Policy): FactsQuery {
  const plan = planPolicy(policy);
  // $1 is the user id; the rest are built below, starting with $2 = now.
  const p = new Params(1);
  const now = p.before(0);
  const payment = paymentFilter(plan, p);
  const ms = epochMs('e.occurred_at');

  const counts = plan.counts.map(
    (w) =>
      `${p.value(w.key, 'text')}, to_jsonb(coalesce((array_agg(${ms} order by e.occurred_at desc) filter (where e.name = any(${p.value(w.names, 'text[]')}) and e.occurred_at > ${p.before(w.windowMs)}))[1:${w.keep}], '{}'))`,
  );
  const revenue = plan.revenues.map(
    (w) =>
      `${p.value(w.key, 'text')}, coalesce(jsonb_agg(jsonb_build_array(${ms}, (e.revenue * 100)::bigint) order by e.occurred_at desc) filter (where ${payment} and e.revenue <> 0 and e.occurred_at > ${p.before(w.windowMs)}), '[]')`,
  );
  const traits = plan.traits.map(({ name, contact }) => {
    const trait = `u.traits -> ${p.value(name, 'text')}`;
    return `${p.value(name, 'text')}, ${contact ? `to_jsonb(${traitPresent(trait)})` : trait}`;
  });
  const traitsSql = traits.length
    ? `coalesce((select jsonb_build_object(${traits.join(', ')}) from users u where u.id = $1), '{}')`
    : `'{}'::jsonb`;

  const text = `select jsonb_build_object(
    'firstSeenAt', ${epochMs('min(e.occurred_at)')},
    'lastActiveAt', ${epochMs(`max(e.occurred_at) filter (where ${activityFilter(plan, p)})`)},
    'lastPaymentAt', ${epochMs(`max(e.occurred_at) filter (where ${payment})`)},
    'counts', jsonb_build_object(${counts.join(',\n      ')}),
    'revenue', jsonb_build_object(${revenue.join(',\n      ')}),
    'traits', ${traitsSql}
  ) as facts
from events e
where e.user_id = $1 and e.occurred_at <= ${now}
having count(*) > 0`;

  return {
    text,
    params: (userId, at) => [userId, ...p.bind(typeof at === 'number' ? at : at.getTime())],
    toFacts: (row, userId) => {
      if (!row) throw new Error(`user ${JSON.stringify(userId)} has no event at or before the requested time, so has no facts yet`);
      return FactsSchema.parse(row.facts);
    },
  };
}
