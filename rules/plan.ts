import { durationMs, formatDuration } from './duration.ts';
import { activityRule } from './events.ts';
import { moneyCents } from './money.ts';
import { isContactTrait } from './contact-traits.ts';
import type { Condition, Policy, Stage } from './policy.ts';

/**
 * A policy reduced to single comparisons with numbers in milliseconds and cents: the one form
 * that classify() in TypeScript and compile() in SQL both read, so they cannot drift apart.
 */
export type TimeFact = 'firstSeenAt' | 'lastActiveAt' | 'lastPaymentAt';
export type Op = 'lt' | 'lte' | 'gt' | 'gte' | 'eq' | 'ne';
type RangeOp = 'lt' | 'lte' | 'gt' | 'gte';

export type Leaf =
  /** now − fact `op` ms; false when the fact is missing. */
  | { kind: 'since'; fact: TimeFact; op: RangeOp; ms: number }
  | { kind: 'instant'; fact: TimeFact; op: RangeOp; at: number }
  | { kind: 'present'; fact: TimeFact }
  | { kind: 'count'; key: string; op: Op; n: number }
  | { kind: 'revenue'; key: string; op: Op; cents: number }
  | { kind: 'trait'; name: string; op: Op; value: string | number | boolean }
  /** Contact traits travel as a presence flag, other traits as their value. */
  | { kind: 'traitExists'; name: string; contact: boolean };

export type Node = { kind: 'all' | 'any'; children: Node[] } | { kind: 'not'; child: Node } | { kind: 'true' } | Leaf;

export interface CountWindow {
  key: string;
  names: string[];
  windowMs: number;
  /** Occurrences kept in the facts, newest first: one more than the largest threshold decides every comparison. */
  keep: number;
}

export interface RevenueWindow {
  key: string;
  windowMs: number;
}

export interface Plan {
  stages: { stage: Stage; rule: string; when: Node }[];
  counts: CountWindow[];
  revenues: RevenueWindow[];
  traits: { name: string; contact: boolean }[];
  activity: { mode: 'except' | 'only'; names: string[] };
  payment: string[];
}

const plans = new WeakMap<Policy, Plan>();

export function planPolicy(policy: Policy): Plan {
  let plan = plans.get(policy);
  if (plan) return plan;
  const counts = new Map<string, CountWindow>();
  const revenues = new Map<string, RevenueWindow>();
  const traits = new Map<string, boolean>();

  const countWindow = (names: string[], within: string) => {
    const sorted = [...new Set(names)].sort();
    const windowMs = durationMs(within);
    const key = `${sorted.join(',')} in ${formatDuration(windowMs)}`;
    let window = counts.get(key);
    if (!window) counts.set(key, (window = { key, names: sorted, windowMs, keep: 1 }));
    return window;
  };
  const revenueWindow = (within: string) => {
    const windowMs = durationMs(within);
    const key = `in ${formatDuration(windowMs)}`;
    if (!revenues.has(key)) revenues.set(key, { key, windowMs });
    return key;
  };

  const ops = <T>(cmp: Partial<Record<Op, T | undefined>>, leaf: (op: Op, value: T) => Node): Node[] =>
    (['eq', 'ne', 'lt', 'lte', 'gt', 'gte'] as const).flatMap((op) => (cmp[op] === undefined ? [] : [leaf(op, cmp[op] as T)]));
  const all = (children: Node[]): Node => (children.length === 1 ? children[0]! : { kind: 'all', children });
  const exists = (present: Node, wanted: boolean | undefined): Node[] =>
    wanted === undefined ? [] : [wanted ? present : { kind: 'not', child: present }];

  const node = (c: Condition): Node => {
    if (c.all) return { kind: 'all', children: c.all.map(node) };
    if (c.any) return { kind: 'any', children: c.any.map(node) };
    if (c.not) return { kind: 'not', child: node(c.not) };
    const since = (fact: TimeFact, cmp: Partial<Record<RangeOp, string>>) =>
      all(ops(cmp, (op, d: string) => ({ kind: 'since', fact, op: op as RangeOp, ms: durationMs(d) })));
    if (c.account_age) return since('firstSeenAt', c.account_age);
    if (c.since_last_activity) return since('lastActiveAt', c.since_last_activity);
    if (c.since_last_payment) return since('lastPaymentAt', c.since_last_payment);
    for (const [key, fact] of [
      ['first_seen_at', 'firstSeenAt'],
      ['last_active_at', 'lastActiveAt'],
      ['last_payment_at', 'lastPaymentAt'],
    ] as const) {
      const cmp = c[key];
      if (!cmp) continue;
      return all([
        ...exists({ kind: 'present', fact }, cmp.exists),
        ...ops(cmp, (op, iso: string) => ({ kind: 'instant', fact, op: op as RangeOp, at: Date.parse(iso) })),
      ]);
    }
    if (c.count) {
      const window = countWindow(c.count.events, c.count.within);
      return all(
        ops(c.count, (op, n: number) => {
          window.keep = Math.max(window.keep, n + 1);
          return { kind: 'count', key: window.key, op, n };
        }),
      );
    }
    if (c.revenue) {
      const key = revenueWindow(c.revenue.within);
      return all(ops(c.revenue, (op, amount: number | string) => ({ kind: 'revenue', key, op, cents: moneyCents(amount)! })));
    }
    if (c.trait) {
      const name = c.trait.name;
      traits.set(name, isContactTrait(name));
      return all([
        ...exists({ kind: 'traitExists', name, contact: isContactTrait(name) }, c.trait.exists),
        ...ops(c.trait, (op, value: string | number | boolean) => ({ kind: 'trait', name, op, value })),
      ]);
    }
    throw new Error(`unreachable: a validated condition has one key (${Object.keys(c).join(', ')})`);
  };

  plan = {
    stages: policy.stages.map((s) => ({ stage: s.stage, rule: s.rule ?? s.stage, when: s.when ? node(s.when) : { kind: 'true' } })),
    counts: [...counts.values()],
    revenues: [...revenues.values()],
    traits: [...traits].map(([name, contact]) => ({ name, contact })),
    activity: activityRule(policy),
    payment: policy.events.payment,
  };
  plans.set(policy, plan);
  return plan;
}
