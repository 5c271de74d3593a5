import { z } from 'zod';
import { checkPolicy } from './policy-checks.ts';
import { DURATION_GRAMMAR, parseDuration } from './duration.ts';
import { DEFAULT_PAYMENT_EVENTS } from './events.ts';
import { moneyCents } from './money.ts';
import { isContactTrait } from './contact-traits.ts';
import { checkCampaigns, MessagingShape } from './campaigns.ts';
import { CostsSchema } from './costs.ts';

export const STAGES = ['new', 'active', 'silent', 'churned', 'paying'] as const;
export type Stage = (typeof STAGES)[number];

export { CONTACT_TRAITS, isContactTrait } from './contact-traits.ts';

const listOf = (words: readonly string[]) => words.join(', ');

export const StageSchema = z.enum(STAGES, {
  error: (issue) => `unknown stage ${JSON.stringify(issue.input)}: stages are ${listOf(STAGES)}`,
});

const strict = <T extends z.core.$ZodLooseShape>(shape: T, what: string, allowed = Object.keys(shape)) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown ${what} ${issue.keys.map((k) => `"${k}"`).join(', ')}: allowed are ${listOf(allowed)}`
        : issue.code === 'invalid_type'
          ? `expected ${what === 'key' ? 'a mapping' : `a mapping of ${what}s`}, got ${typeName(issue.input)}`
          : undefined,
  });

function typeName(value: unknown): string {
  return value === null ? 'nothing' : Array.isArray(value) ? 'a list' : typeof value;
}

const duration = (positive: boolean) =>
  z.string({ error: `expected a duration: ${DURATION_GRAMMAR}` }).check((ctx) => {
    const ms = parseDuration(ctx.value);
    if (typeof ms === 'string') ctx.issues.push({ code: 'custom', message: ms, input: ctx.value });
    else if (positive && ms === 0) {
      ctx.issues.push({ code: 'custom', message: 'a window must be longer than zero', input: ctx.value });
    }
  });
export const DurationSchema = duration(false);
export const WindowSchema = duration(true);

const EventName = z.string({ error: 'expected an event name' }).min(1, 'an event name cannot be empty');
const EventList = z.array(EventName, { error: 'expected a list of event names' });

const Money = z.union([z.number(), z.string()], { error: 'expected an amount such as 49.90' }).check((ctx) => {
  if (moneyCents(ctx.value) === undefined) {
    ctx.issues.push({ code: 'custom', message: `${JSON.stringify(ctx.value)} is not an amount with at most 2 decimals`, input: ctx.value });
  }
});

const Count = z.int({ error: 'expected a whole number' }).min(0, 'a count is zero or more');
const Instant = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time such as 2026-01-31T00:00:00Z' });
const Scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' });

const RANGE_OPS = ['lt', 'lte', 'gt', 'gte'] as const;
export type RangeOp = (typeof RANGE_OPS)[number];
export type CountOp = RangeOp | 'eq' | 'ne';

/** Two or more operators in one comparison all have to hold. */
const atLeastOne = (ops: readonly string[]) => (ctx: z.core.ParsePayload<Record<string, unknown>>) => {
  if (!ops.some((op) => ctx.value[op] !== undefined)) {
    ctx.issues.push({ code: 'custom', message: `a comparison needs one of ${listOf(ops)}`, input: ctx.value });
  }
};

export const DurationComparisonSchema = strict(
  { lt: DurationSchema.optional(), lte: DurationSchema.optional(), gt: DurationSchema.optional(), gte: DurationSchema.optional() },
  'operator',
).check(atLeastOne(RANGE_OPS));

export const InstantComparisonSchema = strict(
  {
    exists: z.boolean().optional(),
    lt: Instant.optional(),
    lte: Instant.optional(),
    gt: Instant.optional(),
    gte: Instant.optional(),
  },
  'operator',
).check(atLeastOne(['exists', ...RANGE_OPS]));

export const CountComparisonSchema = strict(
  {
    events: EventList.min(1, 'name at least one event'),
    within: WindowSchema,
    eq: Count.optional(),
    ne: Count.optional(),
    lt: Count.optional(),
    lte: Count.optional(),
    gt: Count.optional(),
    gte: Count.optional(),
  },
  'key',
).check(atLeastOne(['eq', 'ne', ...RANGE_OPS]));

export const RevenueComparisonSchema = strict(
  {
    within: WindowSchema,
    eq: Money.optional(),
    ne: Money.optional(),
    lt: Money.optional(),
    lte: Money.optional(),
    gt: Money.optional(),
    gte: Money.optional(),
  },
  'key',
).check(atLeastOne(['eq', 'ne', ...RANGE_OPS]));

const TraitNumber = z.number({ error: 'expected a number (traits are ordered only as numbers)' });
export const TraitComparisonSchema = strict(
  {
    name: z.string({ error: 'expected a trait name' }).min(1, 'a trait name cannot be empty'),
    exists: z.boolean().optional(),
    eq: Scalar.optional(),
    ne: Scalar.optional(),
    lt: TraitNumber.optional(),
    lte: TraitNumber.optional(),
    gt: TraitNumber.optional(),
    gte: TraitNumber.optional(),
  },
  'key',
)
  .check(atLeastOne(['exists', 'eq', 'ne', ...RANGE_OPS]))
  .check((ctx) => {
    if (!isContactTrait(ctx.value.name)) return;
    for (const op of ['eq', 'ne', ...RANGE_OPS] as const) {
      if (ctx.value[op] === undefined) continue;
      ctx.issues.push({
        code: 'custom',
        path: [op],
        message: `trait "${ctx.value.name}" is contact data: rules may only test whether it exists, never its value (no personal data in workflows)`,
        input: ctx.value,
      });
    }
  });

export const TIME_FACTS = ['account_age', 'since_last_activity', 'since_last_payment'] as const;
export const INSTANT_FACTS = ['first_seen_at', 'last_active_at', 'last_payment_at'] as const;
export const CONDITION_KEYS = ['all', 'any', 'not', ...TIME_FACTS, ...INSTANT_FACTS, 'count', 'revenue', 'trait'] as const;

type DurationComparison = z.infer<typeof DurationComparisonSchema>;
type InstantComparison = z.infer<typeof InstantComparisonSchema>;
export interface Condition {
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
  account_age?: DurationComparison;
  since_last_activity?: DurationComparison;
  since_last_payment?: DurationComparison;
  first_seen_at?: InstantComparison;
  last_active_at?: InstantComparison;
  last_payment_at?: InstantComparison;
  count?: z.infer<typeof CountComparisonSchema>;
  revenue?: z.infer<typeof RevenueComparisonSchema>;
  trait?: z.infer<typeof TraitComparisonSchema>;
}

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  strict(
    {
      all: z.array(ConditionSchema, { error: 'expected a list of conditions' }).min(1, 'all: needs at least one condition').optional(),
      any: z.array(ConditionSchema, { error: 'expected a list of conditions' }).min(1, 'any: needs at least one condition').optional(),
      not: ConditionSchema.optional(),
      account_age: DurationComparisonSchema.optional(),
      since_last_activity: DurationComparisonSchema.optional(),
      since_last_payment: DurationComparisonSchema.optional(),
      first_seen_at: InstantComparisonSchema.optional(),
      last_active_at: InstantComparisonSchema.optional(),
      last_payment_at: InstantComparisonSchema.optional(),
      count: CountComparisonSchema.optional(),
      revenue: RevenueComparisonSchema.optional(),
      trait: TraitComparisonSchema.optional(),
    },
    'fact',
  ).check((ctx) => {
    const keys = Object.keys(ctx.value).filter((k) => ctx.value[k as keyof Condition] !== undefined);
    if (keys.length === 1) return;
    ctx.issues.push({
      code: 'custom',
      message:
        keys.length === 0
          ? `a condition needs one of ${listOf(CONDITION_KEYS)}`
          : `a condition holds exactly one of all/any/not or a fact, found ${keys.join(', ')}: wrap them in "all:" or "any:"`,
      input: ctx.value,
    });
  }),
);

export const StageRuleSchema = strict(
  {
    stage: StageSchema,
    rule: z.string().min(1, 'a rule name cannot be empty').optional(),
    when: ConditionSchema.optional(),
    otherwise: z.literal(true, { error: 'otherwise can only be true' }).optional(),
  },
  'key',
);
export type StageRule = z.infer<typeof StageRuleSchema>;

const TriggerStage = z.union([StageSchema, z.literal('*')], {
  error: (issue) => `unknown stage ${JSON.stringify(issue.input)}: use one of ${listOf(STAGES)} or "*"`,
});

export const TriggerSchema = strict(
  {
    from: TriggerStage,
    to: TriggerStage,
    warn: strict(
      {
        webhook: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
        email: z.email({ error: 'expected an email address' }).optional(),
      },
      'key',
    )
      .check(atLeastOne(['webhook', 'email']))
      .optional(),
    rescue: z.string({ error: 'expected a campaign name' }).min(1, 'a campaign name cannot be empty').optional(),
  },
  'key',
);
export type Trigger = z.infer<typeof TriggerSchema>;

export const EventsSchema = strict(
  {
    activity: strict({ except: EventList.optional(), only: EventList.min(1, 'name at least one event').optional() }, 'key')
      .check((ctx) => {
        if (ctx.value.except && ctx.value.only) {
          ctx.issues.push({ code: 'custom', message: 'use either except or only, not both', input: ctx.value });
        }
      })
      .default({}),
    payment: EventList.default([...DEFAULT_PAYMENT_EVENTS]),
  },
  'key',
);

export const PolicySchema = strict(
  {
    name: z.string({ error: 'expected a policy name' }).min(1, 'a policy name cannot be empty'),
    description: z.string().optional(),
    events: EventsSchema.default({ activity: {}, payment: [...DEFAULT_PAYMENT_EVENTS] }),
    stages: z.array(StageRuleSchema, { error: 'expected a list of stages' }).min(1, 'a policy needs at least one stage'),
    triggers: z.array(TriggerSchema, { error: 'expected a list of triggers' }).default([]),
    ...MessagingShape,
    /** Unit cost per message by channel, for the rescue reports' cost per incremental rescue. */
    costs: CostsSchema.optional(),
  },
  'key',
).check((ctx) => {
  const report = (path: (string | number)[], message: string) => ctx.issues.push({ code: 'custom', path, message, input: ctx.value });
  checkPolicy(ctx.value, report);
  checkCampaigns(ctx.value, report);
});

export type Policy = z.infer<typeof PolicySchema>;

export { parsePolicy, PolicyError, type PolicyIssue } from './parse.ts';
export { CostsSchema, NO_COSTS, type Costs } from './costs.ts';
