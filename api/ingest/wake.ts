import type { EventKinds, StoredUser, UserWake } from './deps.ts';

const DORMANT_STAGES = new Set(['silent', 'churned']);

export interface WakeInput {
  /** Every user the request mentioned, sorted by id. */
  userIds: readonly string[];
  /** Users whose first events this request wrote. */
  firstEventUserIds: ReadonlySet<string>;
  /** The rows as they were before this request (absent for users it created or a concurrent one did). */
  stored: ReadonlyMap<string, StoredUser>;
  /** Events this request actually inserted (resent duplicates excluded), by user. */
  newEventNames: ReadonlyMap<string, readonly string[]>;
  kinds: EventKinds;
  isTriggerEvent: (name: string, user: StoredUser) => boolean;
}

/**
 * At most one wake per user: start a workflow with a user's first events (an identify alone starts
 * nothing; a start lost to a Temporal outage is left to the reconciler); signal one only
 * when a new event can change the stage now (an activity event for a silent or churned user, or a
 * policy trigger such as a first payment). Everything else the workflow reads from Postgres when
 * its own timer fires, which keeps Temporal actions per user low.
 */
export function decideWakes(input: WakeInput): UserWake[] {
  const wakes: UserWake[] = [];
  for (const userId of input.userIds) {
    const names = input.newEventNames.get(userId);
    if (!names?.length) continue;
    // A user's first events start their workflow, whether or not an identify created the row before.
    if (input.firstEventUserIds.has(userId)) {
      wakes.push({ userId, kind: 'start', reason: 'new-user' });
      continue;
    }
    const stored = input.stored.get(userId);
    if (!stored) continue;
    if (stored.stage !== null && DORMANT_STAGES.has(stored.stage) && names.some((name) => input.kinds.isActivity(name))) {
      wakes.push({ userId, kind: 'signal', reason: 'dormant-user' });
    } else if (names.some((name) => input.isTriggerEvent(name, stored))) {
      wakes.push({ userId, kind: 'signal', reason: 'trigger-event' });
    }
  }
  return wakes;
}
