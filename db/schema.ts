
import {
  bigserial,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    traits: jsonb('traits').$type<Record<string, unknown>>().notNull().default({}),
    firstSeenAt: at('first_seen_at').notNull(),
    lastActiveAt: at('last_active_at'),
    lastPaymentAt: at('last_payment_at'),
    stage: text('stage'),
    stageSince: at('stage_since'),
    policyVersion: integer('policy_version'),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [index('users_last_active_at_idx').on(t.lastActiveAt), index('users_stage_idx').on(t.stage)],
);

export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    occurredAt: at('occurred_at').notNull(),
    receivedAt: at('received_at').notNull().defaultNow(),
    properties: jsonb('properties').$type<Record<string, unknown>>().notNull().default({}),
    // Exact decimal so revenue sums agree between SQL and TypeScript (compared in cents).
    revenue: numeric('revenue', { precision: 14, scale: 2 }),
  },
  (t) => [
    index('events_user_occurred_idx').on(t.userId, t.occurredAt),
    index('events_user_name_occurred_idx').on(t.userId, t.name, t.occurredAt),
  ],
);

export const policies = pgTable('policies', {
  version: serial('version').primaryKey(),
  body: jsonb('body').notNull(),
  source: text('source').notNull(),
  createdAt: at('created_at').notNull().defaultNow(),
  activatedAt: at('activated_at'),
});

export const stageTransitions = pgTable(
  'stage_transitions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: text('user_id').notNull(),
    fromStage: text('from_stage'),
    toStage: text('to_stage').notNull(),
    at: at('at').notNull(),
    policyVersion: integer('policy_version').notNull(),
    rule: text('rule').notNull(),
    facts: jsonb('facts').notNull(),
  },
  // One transition per user and instant: a retried recordTransition activity writes nothing new.
  (t) => [uniqueIndex('stage_transitions_user_at_key').on(t.userId, t.at)],
);

export const churnWarnings = pgTable(
  'churn_warnings',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Transition identity plus the target kind, so each warning is delivered once per channel. */
    key: text('key').notNull(),
    userId: text('user_id').notNull(),
    fromStage: text('from_stage'),
    toStage: text('to_stage').notNull(),
    channel: text('channel', { enum: ['webhook', 'email'] }).notNull(),
    target: text('target').notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    createdAt: at('created_at').notNull().defaultNow(),
    sentAt: at('sent_at'),
  },
  (t) => [uniqueIndex('churn_warnings_key').on(t.key), index('churn_warnings_user_idx').on(t.userId)],
);

