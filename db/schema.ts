
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
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
    /** When the user's workflow last loaded facts; the reconciler wakes only users not checked since their news. */
    checkedAt: at('checked_at'),
    /**
     * The transaction that wrote the user's first events (0: before this column existed). Ingest
     * starts the workflows of exactly the users whose first events it wrote, even when concurrent
     * requests race to create the same user: the row's pre-update facts are out of their reach.
     */
    firstEventsXact: bigint('first_events_xact', { mode: 'number' }),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  // No index on the facts ingest moves (last_active_at, last_payment_at): nothing looks users up by them,
  // and without one PostgreSQL can update those rows in place (HOT), which keeps ingest cheap.
  (t) => [index('users_stage_idx').on(t.stage)],
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


export const MESSAGE_CHANNELS = ['email', 'sms', 'webhook'] as const;
/**
 * `sending` marks an attempt handed to the provider whose outcome is not yet recorded; the other
 * statuses are the ones reported to the rescue workflow and moved by provider callbacks.
 */
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'failed',
  'bounced',
  'undelivered',
  'suppressed',
  'capped',
  'deferred',
] as const;
export const SUPPRESSION_CHANNELS = ['email', 'sms'] as const;
export const SUPPRESSION_REASONS = ['unsubscribed', 'bounced', 'sms_stop', 'complaint'] as const;

const oneOf = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);

/** The message ledger: one row per (rescue, step), claimed before the provider is called. */
export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    rescueId: text('rescue_id').notNull(),
    step: integer('step').notNull(),
    userId: text('user_id').notNull(),
    campaign: text('campaign').notNull(),
    channel: text('channel', { enum: MESSAGE_CHANNELS }).notNull(),
    status: text('status', { enum: MESSAGE_STATUSES }).notNull(),
    reason: text('reason'),
    providerId: text('provider_id'),
    attempts: integer('attempts').notNull().default(0),
    cost: numeric('cost', { precision: 10, scale: 4 }),
    createdAt: at('created_at').notNull().defaultNow(),
    /** When the first attempt was handed to the provider; frequency caps count from it. */
    sentAt: at('sent_at'),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('messages_rescue_step_key').on(t.rescueId, t.step),
    index('messages_user_sent_idx').on(t.userId, t.sentAt),
    index('messages_provider_id_idx').on(t.providerId),
    check('messages_channel_check', oneOf('channel', MESSAGE_CHANNELS)),
    check('messages_status_check', oneOf('status', MESSAGE_STATUSES)),
  ],
);

/** Channels a user may not be contacted on, and why. */
export const suppressions = pgTable(
  'suppressions',
  {
    userId: text('user_id').notNull(),
    channel: text('channel', { enum: SUPPRESSION_CHANNELS }).notNull(),
    reason: text('reason', { enum: SUPPRESSION_REASONS }).notNull(),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('suppressions_user_channel_key').on(t.userId, t.channel),
    check('suppressions_channel_check', oneOf('channel', SUPPRESSION_CHANNELS)),
    check('suppressions_reason_check', oneOf('reason', SUPPRESSION_REASONS)),
  ],
);

export const RESCUE_OUTCOMES = ['rescued', 'not_rescued'] as const;

/**
 * One row per rescue (`rescue:<userId>:<campaign>:<n>`): the arm it was assigned, written before
 * anything is sent, and its outcome once the user returns or the attribution window closes.
 */
export const rescues = pgTable(
  'rescues',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    campaign: text('campaign').notNull(),
    /** The user's n-th rescue by this campaign. */
    n: integer('n').notNull(),
    arm: text('arm').notNull(),
    holdout: boolean('holdout').notNull(),
    policyVersion: integer('policy_version').notNull(),
    assignedAt: at('assigned_at').notNull(),
    windowEndsAt: at('window_ends_at').notNull(),
    outcome: text('outcome', { enum: RESCUE_OUTCOMES }),
    returnedAt: at('returned_at'),
    closedAt: at('closed_at'),
  },
  (t) => [
    index('rescues_user_campaign_idx').on(t.userId, t.campaign),
    index('rescues_campaign_arm_idx').on(t.campaign, t.arm),
    check('rescues_outcome_check', oneOf('outcome', RESCUE_OUTCOMES)),
  ],
);
