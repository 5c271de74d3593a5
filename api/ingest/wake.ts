import type { EventKinds, StoredUser, UserWake } from './deps.ts';

const DORMANT_STAGES = new Set(['silent', 'churned']);

export interface WakeInput {
  /** Every user the request mentioned, sorted by id. */
  userIds: readonly string[];
  /** Users whose row this request created. */
  insertedUserIds: ReadonlySet<string>;
  /** The rows as they were before this request (absent for new users). */
  stored: ReadonlyMap<string, StoredUser>;
  /** Events this request actually inserted (resent duplicates excluded), by user. */
  newEventNames: ReadonlyMap<string, readonly string[]>;
  kinds: EventKinds;
  isTriggerEvent: (name: string, user: StoredUser) => boolean;
}

/**
 * At most one wake per user: start a workflow with a user's first event (an identify alone starts
 * nothing; a user with only engagement events so far is left to the reconciler); signal one only
 * when a new event can change the stage now (an activity event for a silent or churned user, or a
 * policy trigger such as a first payment). Everything else the workflow reads from Postgres when
 * its own timer fires, which keeps Temporal actions per user low.
 */
export function decideWakes(input: WakeInput): UserWake[] {
  const wakes: UserWake[] = [];
  for (const userId of input.userIds) {
    const names = input.newEventNames.get(userId);
    if (!names?.length) continue;
    const stored = input.stored.get(userId);
    // A user's first event starts their workflow, whether or not an identify created the row before.
    const firstEvents = !stored || (stored.stage === null && stored.lastActiveAt === null && stored.lastPaymentAt === null);
    if (input.insertedUserIds.has(userId) || firstEvents) {
      wakes.push({ userId, kind: 'start', reason: 'new-user' });
      continue;
    }
    if (stored.stage !== null && DORMANT_STAGES.has(stored.stage) && names.some((name) => input.kinds.isActivity(name))) {
      wakes.push({ userId, kind: 'signal', reason: 'dormant-user' });
    } else if (names.some((name) => input.isTriggerEvent(name, stored))) {
      wakes.push({ userId, kind: 'signal', reason: 'trigger-event' });
    }
  }
  return wakes;
}
