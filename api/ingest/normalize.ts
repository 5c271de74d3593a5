import { createHash } from 'node:crypto';
import type { FieldIssue } from '../errors.ts';
import type { EventKinds } from './deps.ts';
import type { BatchMessage } from './schema.ts';

/** A validated message and where it sat in the request, for error paths. */
export interface Located {
  message: BatchMessage;
  path: string;
}

export interface EventRow {
  id: string;
  userId: string;
  name: string;
  /** Epoch milliseconds, as every instant here: a Date per message cost ~0.4 ms per 500-message request. */
  occurredAt: number;
  properties: Record<string, unknown>;
  /** numeric(14,2) as text, exact. */
  revenue: string | null;
}

/** What one request tells about a user; merged into the stored row with least()/greatest()/||. */
export interface UserRow {
  id: string;
  traits: Record<string, unknown>;
  firstSeenAt: number;
  lastActiveAt: number | null;
  lastPaymentAt: number | null;
}

export interface Normalized {
  /** Unique by id (the first message with a given messageId wins). */
  events: EventRow[];
  /** Sorted by id, so concurrent requests lock users in the same order. */
  users: UserRow[];
}

// Clocks drift; a day's grace keeps honest clients working while a far-future timestamp, which
// would make a user look active for months, is refused.
const FUTURE_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * Turns validated Segment messages into rows. Pure: `receivedAt` stands in for missing timestamps,
 * `kinds` says which events count as activity and payment under the active policy.
 */
export function normalize(
  messages: readonly Located[],
  receivedAt: Date,
  kinds: EventKinds,
): { ok: true; value: Normalized } | { ok: false; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const events: EventRow[] = [];
  const seenIds = new Set<string>();
  const traitUpdates: { userId: string; at: number; traits: Record<string, unknown> }[] = [];
  const users = new Map<string, UserRow>();
  const latest = receivedAt.getTime() + FUTURE_GRACE_MS;

  for (const { message, path } of messages) {
    if (message.type === 'group' || message.type === 'alias') continue;
    const at = message.timestamp ? Date.parse(message.timestamp) : receivedAt.getTime();
    if (at > latest) {
      issues.push({
        field: `${path}timestamp`,
        rule: 'not_in_future',
        message: `must not be more than 24 hours after the time received (${receivedAt.toISOString()})`,
      });
      continue;
    }
    const user = users.get(message.userId) ?? {
      id: message.userId,
      traits: {},
      firstSeenAt: at,
      lastActiveAt: null,
      lastPaymentAt: null,
    };
    users.set(message.userId, user);
    if (at < user.firstSeenAt) user.firstSeenAt = at;

    const contextTraits = message.context?.traits;
    if (contextTraits) traitUpdates.push({ userId: message.userId, at, traits: contextTraits });
    if (message.type === 'identify') {
      if (message.traits) traitUpdates.push({ userId: message.userId, at, traits: message.traits });
      continue;
    }

    const { name, properties } = eventOf(message);
    const id = message.messageId ?? derivedMessageId(message);
    if (seenIds.has(id)) continue;
    seenIds.add(id);
    const revenue = properties.revenue;
    events.push({
      id,
      userId: message.userId,
      name,
      occurredAt: at,
      properties,
      revenue: revenue === undefined || revenue === null ? null : typeof revenue === 'number' ? revenue.toFixed(2) : String(revenue),
    });
    if (kinds.isActivity(name) && (user.lastActiveAt === null || at > user.lastActiveAt)) user.lastActiveAt = at;
    if (kinds.isPayment(name) && (user.lastPaymentAt === null || at > user.lastPaymentAt)) user.lastPaymentAt = at;
  }
  if (issues.length) return { ok: false, issues };

  // Later traits win, as they would had the messages arrived one by one in time order.
  traitUpdates.sort((a, b) => a.at - b.at);
  for (const update of traitUpdates) Object.assign(users.get(update.userId)!.traits, update.traits);

  return { ok: true, value: { events, users: [...users.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) } };
}

type EventMessage = Extract<BatchMessage, { type: 'track' | 'page' | 'screen' }>;

function eventOf(message: EventMessage): { name: string; properties: Record<string, unknown> } {
  if (message.type === 'track') return { name: message.event, properties: message.properties ?? {} };
  const properties: Record<string, unknown> = { ...message.properties };
  if (message.name !== undefined) properties.name = message.name;
  if (message.category !== undefined) properties.category = message.category;
  return { name: message.type === 'page' ? 'Page Viewed' : 'Screen Viewed', properties };
}

/**
 * Segment's libraries always send a messageId; for hand-rolled clients that don't, the id is a hash
 * of what the message says (not of sentAt, which changes on every retry), so a resend dedupes.
 * Two identical messages without timestamp or messageId therefore count once.
 */
export function derivedMessageId(message: EventMessage): string {
  const { name, properties } = eventOf(message);
  const canonical = JSON.stringify([message.type, message.userId, name, properties, message.timestamp ?? null]);
  return `derived-${createHash('sha256').update(canonical).digest('hex').slice(0, 32)}`;
}
