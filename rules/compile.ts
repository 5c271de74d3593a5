import { planPolicy, type Node, type Plan, type TimeFact } from './plan.ts';
import type { Policy } from './policy.ts';
import { activityFilter, nodeSql, paymentFilter, Params } from './sql-parts.ts';

export interface CompiledPolicy {
  /** Returns user_id, stage, rule for every user with at least one event at or before now. */
  text: string;
  params(now: Date | number): unknown[];
}

/**
 * One query that classifies the whole population exactly as classify() would: a single pass over
 * events (occurred_at <= now) grouped by user, with one FILTERed aggregate per fact the policy uses.
 * It reads every event up to now, so it wants a sequential scan rather than an index; users are
 * joined (on their primary key) only when a rule looks at traits.
 */
export function compile(policy: Policy): CompiledPolicy {
  const plan = planPolicy(policy);
  const p = new Params();
  const now = p.before(0);
  const used = usedFacts(plan);

  const aggregates = ['e.user_id', 'min(e.occurred_at) as first_seen_at'];
  if (used.has('lastActiveAt')) aggregates.push(`max(e.occurred_at) filter (where ${activityFilter(plan, p)}) as last_active_at`);
  if (used.has('lastPaymentAt')) aggregates.push(`max(e.occurred_at) filter (where ${paymentFilter(plan, p)}) as last_payment_at`);
  const countCol = new Map<string, string>();
  plan.counts.forEach((w, i) => {
    countCol.set(w.key, `f.c${i}`);
    aggregates.push(
      `count(*) filter (where e.name = any(${p.value(w.names, 'text[]')}) and e.occurred_at > ${p.before(w.windowMs)}) as c${i}`,
    );
  });
  const revenueCol = new Map<string, string>();
  if (plan.revenues.length) {
    const payment = paymentFilter(plan, p);
    plan.revenues.forEach((w, i) => {
      revenueCol.set(w.key, `f.r${i}`);
      aggregates.push(
        `coalesce(sum((e.revenue * 100)::bigint) filter (where ${payment} and e.occurred_at > ${p.before(w.windowMs)}), 0) as r${i}`,
      );
    });
  }

  const cols = { count: (k: string) => countCol.get(k)!, revenue: (k: string) => revenueCol.get(k)!, traits: 'u.traits' };
  const last = plan.stages.length - 1;
  const cases = plan.stages
    .slice(0, last)
    .map((s, i) => `when ${nodeSql(s.when, cols, p)} then ${i + 1}`)
    .join('\n      ');
  const stages = p.value(plan.stages.map((s) => s.stage), 'text[]');
  const rules = p.value(plan.stages.map((s) => s.rule), 'text[]');
  const join = plan.traits.length ? 'left join users u on u.id = f.user_id' : '';
  const text = `select s.user_id, (${stages})[s.k] as stage, (${rules})[s.k] as rule
from (
  select f.user_id,
    ${last === 0 ? '1' : `case\n      ${cases}\n      else ${last + 1} end`} as k
  from (
    select ${aggregates.join(',\n      ')}
    from events e
    where e.occurred_at <= ${now}
    group by e.user_id
  ) f
  ${join}
) s`;
  return { text, params: (at) => p.bind(typeof at === 'number' ? at : at.getTime()) };
}

export function usedFacts(plan: Plan): Set<TimeFact> {
  const used = new Set<TimeFact>(['firstSeenAt']);
  const walk = (n: Node): void => {
    if (n.kind === 'all' || n.kind === 'any') n.children.forEach(walk);
    else if (n.kind === 'not') walk(n.child);
    else if (n.kind === 'since' || n.kind === 'instant' || n.kind === 'present') used.add(n.fact);
  };
  plan.stages.forEach((s) => walk(s.when));
  return used;
}
