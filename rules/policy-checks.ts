import type { Condition, StageRule, Trigger } from './policy.ts';
import { parseDuration } from './duration.ts';
import { moneyCents } from './money.ts';

type Report = (path: (string | number)[], message: string) => void;

/**
 * Mistakes the shape alone cannot catch: duplicate or unreachable stages, a missing catch-all,
 * triggers that can never fire, comparisons that can never hold.
 */
export function checkPolicy(policy: { stages: StageRule[]; triggers: Trigger[] }, report: Report): void {
  const seen = new Map<string, number>();
  const rules = new Map<string, number>();
  let catchAll = -1;
  policy.stages.forEach((entry, i) => {
    const first = seen.get(entry.stage);
    if (first !== undefined) report(['stages', i, 'stage'], `stage "${entry.stage}" is listed twice (first as stages[${first}]); each stage has one rule`);
    else seen.set(entry.stage, i);
    const label = entry.rule ?? entry.stage;
    const sameRule = rules.get(label);
    if (sameRule !== undefined && first === undefined) report(['stages', i, 'rule'], `rule name "${label}" is already used by stages[${sameRule}]`);
    rules.set(label, i);

    if (entry.when === undefined && entry.otherwise === undefined) {
      report(['stages', i], `stage "${entry.stage}" needs a condition ("when:") or "otherwise: true" for the final catch-all`);
    }
    if (entry.when !== undefined && entry.otherwise !== undefined) {
      report(['stages', i, 'otherwise'], `stage "${entry.stage}" has both "when" and "otherwise": a catch-all has no condition`);
    }
    if (catchAll >= 0) {
      const above = policy.stages[catchAll]!;
      report(['stages', i], `stage "${entry.stage}" can never match: stages[${catchAll}] ("${above.stage}") above it matches every user`);
    } else if (entry.otherwise || (entry.when && alwaysTrue(entry.when))) {
      catchAll = i;
    }
    if (entry.when) checkCondition(entry.when, ['stages', i, 'when'], report);
  });
  const last = policy.stages.length - 1;
  if (last >= 0 && catchAll < 0) {
    report(['stages', last], 'the last stage must be a catch-all ("otherwise: true") so that every user matches a stage');
  }

  const reachable = new Set(policy.stages.slice(0, catchAll < 0 ? undefined : catchAll + 1).map((s) => s.stage));
  const triggers = new Map<string, number>();
  policy.triggers.forEach((trigger, i) => {
    for (const end of ['from', 'to'] as const) {
      const stage = trigger[end];
      if (stage !== '*' && !reachable.has(stage)) {
        report(['triggers', i, end], `no user can be in stage "${stage}" under this policy (it is not among the reachable stages ${[...reachable].join(', ')}), so this trigger can never fire`);
      }
    }
    if (trigger.from === trigger.to && trigger.from !== '*') {
      report(['triggers', i, 'to'], `a trigger from "${trigger.from}" to itself can never fire: a transition changes the stage`);
    }
    if (!trigger.warn && !trigger.rescue) report(['triggers', i], 'a trigger must name a churn warning ("warn:") and/or a rescue campaign ("rescue:")');
    const key = `${trigger.from}→${trigger.to}`;
    const earlier = triggers.get(key);
    if (earlier !== undefined) report(['triggers', i], `duplicate trigger ${trigger.from} → ${trigger.to} (also triggers[${earlier}]): merge them`);
    else triggers.set(key, i);
  });
}

/** Conditions that hold for every user, whatever the facts (a user always has a first event). */
function alwaysTrue(c: Condition): boolean {
  if (c.all) return c.all.every(alwaysTrue);
  if (c.any) return c.any.some(alwaysTrue);
  if (c.not) return alwaysFalse(c.not);
  if (c.first_seen_at) return c.first_seen_at.exists === true && Object.keys(c.first_seen_at).length === 1;
  if (c.account_age) return Object.keys(c.account_age).length === 1 && c.account_age.gte !== undefined && parseDuration(c.account_age.gte) === 0;
  return false;
}

function alwaysFalse(c: Condition): boolean {
  if (c.all) return c.all.some(alwaysFalse);
  if (c.any) return c.any.every(alwaysFalse);
  if (c.not) return alwaysTrue(c.not);
  if (c.first_seen_at?.exists === false) return true;
  return false;
}

interface Bounds {
  lt?: number;
  lte?: number;
  gt?: number;
  gte?: number;
}

function checkCondition(c: Condition, path: (string | number)[], report: Report): void {
  c.all?.forEach((child, i) => checkCondition(child, [...path, 'all', i], report));
  c.any?.forEach((child, i) => checkCondition(child, [...path, 'any', i], report));
  if (c.not) checkCondition(c.not, [...path, 'not'], report);
  for (const fact of ['account_age', 'since_last_activity', 'since_last_payment'] as const) {
    const cmp = c[fact];
    if (cmp) checkBounds(mapBounds(cmp, (d) => parseDuration(d)), [...path, fact], report);
  }
  for (const fact of ['first_seen_at', 'last_active_at', 'last_payment_at'] as const) {
    const cmp = c[fact];
    if (!cmp) continue;
    checkBounds(mapBounds(cmp, (d) => Date.parse(d)), [...path, fact], report);
    if (cmp.exists === false && Object.keys(cmp).length > 1) {
      report([...path, fact, 'exists'], 'exists: false together with a comparison can never hold');
    }
  }
  if (c.count) checkBounds(c.count, [...path, 'count'], report);
  if (c.trait) checkBounds(c.trait, [...path, 'trait'], report);
  if (c.revenue) {
    const cents: Bounds = {};
    for (const op of ['lt', 'lte', 'gt', 'gte'] as const) {
      const v = c.revenue[op];
      const n = v === undefined ? undefined : moneyCents(v);
      if (n !== undefined) cents[op] = n;
    }
    checkBounds(cents, [...path, 'revenue'], report);
  }
}

function mapBounds(cmp: Record<string, unknown>, f: (v: string) => number | string): Bounds {
  const out: Bounds = {};
  for (const op of ['lt', 'lte', 'gt', 'gte'] as const) {
    const v = cmp[op];
    if (typeof v !== 'string') continue;
    const n = f(v);
    if (typeof n === 'number' && !Number.isNaN(n)) out[op] = n;
  }
  return out;
}

function checkBounds(b: Bounds, path: (string | number)[], report: Report): void {
  const lower = b.gt !== undefined && (b.gte === undefined || b.gt >= b.gte) ? { v: b.gt, open: true } : b.gte !== undefined ? { v: b.gte, open: false } : undefined;
  const upper = b.lt !== undefined && (b.lte === undefined || b.lt <= b.lte) ? { v: b.lt, open: true } : b.lte !== undefined ? { v: b.lte, open: false } : undefined;
  if (!lower || !upper) return;
  if (lower.v > upper.v || (lower.v === upper.v && (lower.open || upper.open))) {
    report(path, 'the range is empty: no value is both above the lower bound and below the upper bound, so this comparison never holds');
  }
}
