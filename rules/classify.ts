import type { Facts } from './facts.ts';
import { planPolicy, type Leaf, type Node, type Op } from './plan.ts';
import type { Policy, Stage } from './policy.ts';

export interface Classification {
  stage: Stage;
  /** The rule that matched: the stage's `rule:` label, or the stage name. */
  rule: string;
  /**
   * Epoch ms of the earliest instant after `now` at which the stage changes by the passage of time
   * alone, if no new event arrives; null if it never does. The stage is the same at every instant
   * in [now, nextChangeAt) and differs at nextChangeAt.
   */
  nextChangeAt: number | null;
}

export type Classifier = (facts: Facts, now: number) => Classification;

type Test = (f: Facts, t: number) => boolean;
/** The first instant after t at which the leaf's value differs from its value at t, or Infinity. */
type Flip = (f: Facts, t: number) => number;

const compare: Record<Op, (a: number, b: number) => boolean> = {
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b,
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
};
const never: Flip = () => Infinity;

const classifiers = new WeakMap<Policy, Classifier>();

/** Classifies as of `now` (a Date or epoch ms); compiles the policy once per policy object. */
export function classify(facts: Facts, policy: Policy, now: Date | number): Classification {
  let classifier = classifiers.get(policy);
  if (!classifier) classifiers.set(policy, (classifier = compileClassifier(policy)));
  return classifier(facts, typeof now === 'number' ? now : now.getTime());
}

/** Compiles the policy to closures once, so classifying a user is a few comparisons. */
export function compileClassifier(policy: Policy): Classifier {
  const plan = planPolicy(policy);
  const windows = new Map(plan.counts.map((w) => [w.key, w.windowMs]));
  const revenueWindows = new Map(plan.revenues.map((w) => [w.key, w.windowMs]));

  const leaves: { test: Test; flip: Flip }[] = [];
  const compileNode = (node: Node, collect: { test: Test; flip: Flip }[]): Test => {
    switch (node.kind) {
      case 'true':
        return () => true;
      case 'all': {
        const parts = node.children.map((c) => compileNode(c, collect));
        return parts.length === 2 ? ((a, b) => (f, t) => a(f, t) && b(f, t))(parts[0]!, parts[1]!) : (f, t) => parts.every((p) => p(f, t));
      }
      case 'any': {
        const parts = node.children.map((c) => compileNode(c, collect));
        return (f, t) => parts.some((p) => p(f, t));
      }
      case 'not': {
        const inner = compileNode(node.child, collect);
        return (f, t) => !inner(f, t);
      }
      default: {
        const leaf = compileLeaf(node, windows, revenueWindows);
        collect.push(leaf);
        leaves.push(leaf);
        return leaf.test;
      }
    }
  };

  const stages = plan.stages.map((s) => {
    const own: { test: Test; flip: Flip }[] = [];
    return { stage: s.stage, rule: s.rule, test: compileNode(s.when, own), own };
  });
  // Only the stages up to the matched one can change the outcome: an earlier one starting to match,
  // or the matched one ceasing to.
  const flipsUpTo = stages.map((_, i) => stages.slice(0, i + 1).flatMap((s) => s.own.map((l) => l.flip)));
  const last = stages.length - 1;

  const stageAt = (f: Facts, t: number): number => {
    for (let i = 0; i < last; i++) if (stages[i]!.test(f, t)) return i;
    return last;
  };

  return (facts, now) => {
    const index = stageAt(facts, now);
    const flips = flipsUpTo[index]!;
    let t = now;
    let next: number | null = null;
    for (;;) {
      let candidate = Infinity;
      for (let i = 0; i < flips.length; i++) {
        const c = flips[i]!(facts, t);
        if (c < candidate) candidate = c;
      }
      if (candidate === Infinity) break;
      if (stageAt(facts, candidate) !== index) {
        next = candidate;
        break;
      }
      t = candidate;
    }
    const matched = stages[index]!;
    return { stage: matched.stage, rule: matched.rule, nextChangeAt: next };
  };
}

function compileLeaf(leaf: Leaf, windows: Map<string, number>, revenueWindows: Map<string, number>): { test: Test; flip: Flip } {
  switch (leaf.kind) {
    case 'since': {
      const { fact, ms } = leaf;
      const cmp = compare[leaf.op];
      // now − x < ms holds until x + ms; now − x <= ms until one millisecond later.
      const edge = leaf.op === 'lte' || leaf.op === 'gt' ? ms + 1 : ms;
      return {
        test: (f, t) => {
          const x = f[fact];
          return x !== null && cmp(t - x, ms);
        },
        flip: (f, t) => {
          const x = f[fact];
          if (x === null) return Infinity;
          const c = x + edge;
          return c > t ? c : Infinity;
        },
      };
    }
    case 'instant': {
      const { fact, at } = leaf;
      const cmp = compare[leaf.op];
      return {
        test: (f) => {
          const x = f[fact];
          return x !== null && cmp(x, at);
        },
        flip: never,
      };
    }
    case 'present': {
      const { fact } = leaf;
      return { test: (f) => f[fact] !== null, flip: never };
    }
    case 'count': {
      const { key, n } = leaf;
      const windowMs = windows.get(key)!;
      const cmp = compare[leaf.op];
      const countAt = (times: readonly number[], t: number) => {
        const cutoff = t - windowMs;
        let c = 0;
        while (c < times.length && times[c]! > cutoff) c++;
        return c;
      };
      return {
        test: (f, t) => cmp(countAt(f.counts[key] ?? [], t), n),
        flip: (f, t) => {
          const times = f.counts[key] ?? [];
          const now = cmp(countAt(times, t), n);
          // The count drops as occurrences leave the window at time + window, oldest first.
          for (let j = times.length - 1; j >= 0; ) {
            const time = times[j]!;
            let i = j;
            while (i > 0 && times[i - 1] === time) i--;
            const leaves = time + windowMs;
            if (leaves > t && cmp(i, n) !== now) return leaves;
            j = i - 1;
          }
          return Infinity;
        },
      };
    }
    case 'revenue': {
      const { key, cents } = leaf;
      const windowMs = revenueWindows.get(key)!;
      const cmp = compare[leaf.op];
      const sumAt = (payments: readonly (readonly [number, number])[], t: number) => {
        const cutoff = t - windowMs;
        let sum = 0;
        for (let i = 0; i < payments.length && payments[i]![0] > cutoff; i++) sum += payments[i]![1];
        return sum;
      };
      return {
        test: (f, t) => cmp(sumAt(f.revenue[key] ?? [], t), cents),
        flip: (f, t) => {
          const payments = f.revenue[key] ?? [];
          let sum = sumAt(payments, t);
          const now = cmp(sum, cents);
          for (let j = payments.length - 1; j >= 0; ) {
            const time = payments[j]![0];
            const leaves = time + windowMs;
            // Payments at one instant leave the window together.
            let i = j;
            for (; i >= 0 && payments[i]![0] === time; i--) if (leaves > t) sum -= payments[i]![1];
            if (leaves > t && cmp(sum, cents) !== now) return leaves;
            j = i;
          }
          return Infinity;
        },
      };
    }
    case 'trait': {
      const { name, value } = leaf;
      if (leaf.op === 'eq' || leaf.op === 'ne') {
        const equal = leaf.op === 'eq';
        return { test: (f) => (f.traits[name] === value) === equal, flip: never };
      }
      const cmp = compare[leaf.op];
      return {
        test: (f) => {
          const v = f.traits[name];
          return typeof v === 'number' && cmp(v, value as number);
        },
        flip: never,
      };
    }
    case 'traitExists': {
      const { name } = leaf;
      if (leaf.contact) return { test: (f) => f.traits[name] === true, flip: never };
      return {
        test: (f) => {
          const v = f.traits[name];
          return v !== null && v !== undefined;
        },
        flip: never,
      };
    }
  }
}
