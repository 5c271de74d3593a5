import type { Leaf, Node, Plan, TimeFact } from './plan.ts';

/**
 * Pieces shared by the per-user facts query and the whole-population classification, so both read
 * events the same way. Every value is a bind parameter; instants are computed in TypeScript as
 * `now − duration` in exact milliseconds (an SQL interval of "7 days" would follow the session's
 * time zone across daylight-saving changes and disagree with classify()).
 */
export class Params {
  private readonly values: ((now: number) => unknown)[] = [];
  constructor(private readonly offset = 0) {}
  /** A constant parameter. */
  value(v: unknown, cast: string): string {
    this.values.push(() => v);
    return `$${this.offset + this.values.length}::${cast}`;
  }
  /** An instant `ms` before now. */
  before(ms: number): string {
    this.values.push((now) => new Date(now - ms).toISOString());
    return `$${this.offset + this.values.length}::timestamptz`;
  }
  bind(now: number): unknown[] {
    return this.values.map((f) => f(now));
  }
}

export const column: Record<TimeFact, string> = {
  firstSeenAt: 'first_seen_at',
  lastActiveAt: 'last_active_at',
  lastPaymentAt: 'last_payment_at',
};

export function activityFilter(plan: Plan, p: Params): string {
  if (plan.activity.mode === 'only') return `e.name = any(${p.value(plan.activity.names, 'text[]')})`;
  return plan.activity.names.length ? `e.name <> all(${p.value(plan.activity.names, 'text[]')})` : 'true';
}

export function paymentFilter(plan: Plan, p: Params): string {
  return `e.name = any(${p.value(plan.payment, 'text[]')})`;
}

/** Epoch milliseconds of a timestamptz (PostgreSQL keeps microseconds; facts keep whole milliseconds). */
export const epochMs = (sql: string) => `floor(extract(epoch from ${sql}) * 1000)`;

const sqlOp = { lt: '<', lte: '<=', gt: '>', gte: '>=', eq: '=', ne: '<>' } as const;
/** now − x < ms  ⇔  x > now − ms: the comparison turns around when moved to the other side. */
const flipped = { lt: '>', lte: '>=', gt: '<', gte: '<=' } as const;

export interface LeafColumns {
  count(key: string): string;
  revenue(key: string): string;
  traits: string;
}

/** A boolean SQL expression, never NULL, true exactly when classify() finds the node true. */
export function nodeSql(node: Node, cols: LeafColumns, p: Params): string {
  switch (node.kind) {
    case 'true':
      return 'true';
    case 'all':
    case 'any':
      return `(${node.children.map((c) => nodeSql(c, cols, p)).join(node.kind === 'all' ? ' and ' : ' or ')})`;
    case 'not':
      return `(not ${nodeSql(node.child, cols, p)})`;
    default:
      return leafSql(node, cols, p);
  }
}

function leafSql(leaf: Leaf, cols: LeafColumns, p: Params): string {
  switch (leaf.kind) {
    case 'since':
      return `coalesce(f.${column[leaf.fact]} ${flipped[leaf.op]} ${p.before(leaf.ms)}, false)`;
    case 'instant':
      return `coalesce(f.${column[leaf.fact]} ${sqlOp[leaf.op]} ${p.value(new Date(leaf.at).toISOString(), 'timestamptz')}, false)`;
    case 'present':
      return `(f.${column[leaf.fact]} is not null)`;
    case 'count':
      return `(${cols.count(leaf.key)} ${sqlOp[leaf.op]} ${leaf.n})`;
    case 'revenue':
      return `(${cols.revenue(leaf.key)} ${sqlOp[leaf.op]} ${leaf.cents})`;
    case 'trait': {
      const trait = `${cols.traits} -> ${p.value(leaf.name, 'text')}`;
      if (leaf.op === 'eq' || leaf.op === 'ne') {
        // Sent as text and cast: drivers serialise a parameter typed jsonb themselves, each its own way.
        const equal = `coalesce(${trait} = ${p.value(JSON.stringify(leaf.value), 'text')}::jsonb, false)`;
        return leaf.op === 'eq' ? equal : `(not ${equal})`;
      }
      // CASE, not AND: PostgreSQL may evaluate AND's operands in any order, and "abc"::numeric fails.
      return `(case when jsonb_typeof(${trait}) = 'number' then (${trait})::numeric ${sqlOp[leaf.op]} ${p.value(String(leaf.value), 'numeric')} else false end)`;
    }
    case 'traitExists':
      return traitPresent(`${cols.traits} -> ${p.value(leaf.name, 'text')}`);
  }
}

export const traitPresent = (trait: string) => `coalesce(jsonb_typeof(${trait}) <> 'null', false)`;
