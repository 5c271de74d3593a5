import { describe, expect, it } from 'vitest';
import type { StoredUser } from '../../api/ingest/deps.ts';
import { isTriggerEvent } from '../../rules/index.ts';
import { decideWakes, type WakeInput } from '../../api/ingest/wake.ts';
import { kinds } from './support.ts';

const paymentOutsidePaying = (name: string, user: StoredUser) => isTriggerEvent(kinds, name, user.stage);

function decide(partial: Partial<WakeInput> & { stored?: Map<string, StoredUser> }) {
  const stored = partial.stored ?? new Map();
  return decideWakes({
    userIds: partial.userIds ?? [...new Set([...stored.keys(), ...(partial.firstEventUserIds ?? [])])].sort(),
    firstEventUserIds: partial.firstEventUserIds ?? new Set(),
    stored,
    newEventNames: partial.newEventNames ?? new Map(),
    kinds,
    isTriggerEvent: partial.isTriggerEvent ?? paymentOutsidePaying,
  });
}

const user = (stage: string | null): StoredUser => ({ stage });

describe('decideWakes', () => {
  it('starts a workflow for a user whose first events the request wrote, whatever the events', () => {
    expect(
      decide({ firstEventUserIds: new Set(['u1']), newEventNames: new Map([['u1', ['Order Completed', 'Viewed']]]) }),
    ).toEqual([{ userId: 'u1', kind: 'start', reason: 'new-user' }]);
  });

  it('starts the workflow with the first event of a user an identify created', () => {
    expect(
      decide({ stored: new Map([['u1', user(null)]]), firstEventUserIds: new Set(['u1']), newEventNames: new Map([['u1', ['Viewed']]]) }),
    ).toEqual([{ userId: 'u1', kind: 'start', reason: 'new-user' }]);
  });

  it('does not start again a user with events whose workflow has not classified them yet', () => {
    expect(decide({ stored: new Map([['u1', user(null)]]), newEventNames: new Map([['u1', ['Viewed']]]) })).toEqual([]);
  });

  it('leaves alone a user a concurrent request created, with its first events', () => {
    expect(decide({ userIds: ['u1'], newEventNames: new Map([['u1', ['Viewed']]]) })).toEqual([]);
  });

  it.each(['silent', 'churned'])('signals a %s user on an activity event', (stage) => {
    expect(decide({ stored: new Map([['u1', user(stage)]]), newEventNames: new Map([['u1', ['Viewed']]]) })).toEqual([
      { userId: 'u1', kind: 'signal', reason: 'dormant-user' },
    ]);
  });

  it('does not signal a dormant user for an event that is not activity', () => {
    expect(decide({ stored: new Map([['u1', user('churned')]]), newEventNames: new Map([['u1', ['Email Bounced']]]) })).toEqual([]);
  });

  it.each(['new', 'active', 'paying'])('leaves a %s user to their own timer on ordinary events', (stage) => {
    expect(decide({ stored: new Map([['u1', user(stage)]]), newEventNames: new Map([['u1', ['Viewed', 'Viewed']]]) })).toEqual([]);
  });

  it('signals on a trigger event (a payment outside the paying stage) and not on one within it', () => {
    const first = decide({ stored: new Map([['u1', user('active')]]), newEventNames: new Map([['u1', ['Viewed', 'Order Completed']]]) });
    expect(first).toEqual([{ userId: 'u1', kind: 'signal', reason: 'trigger-event' }]);
    const later = decide({
      stored: new Map([['u1', user('paying')]]),
      newEventNames: new Map([['u1', ['Order Completed']]]),
    });
    expect(later).toEqual([]);
  });

  it('gives the trigger check the user as stored before the request', () => {
    const seen: [string, StoredUser][] = [];
    const stored = user('active');
    decide({
      stored: new Map([['u1', stored]]),
      newEventNames: new Map([['u1', ['A', 'B']]]),
      isTriggerEvent: (name, u) => (seen.push([name, u]), false),
    });
    expect(seen).toEqual([
      ['A', stored],
      ['B', stored],
    ]);
  });

  it('wakes each user at most once, and nobody for resent events', () => {
    const wakes = decide({
      userIds: ['a', 'b', 'c', 'd'],
      firstEventUserIds: new Set(['a']),
      stored: new Map([
        ['b', user('silent')],
        ['c', user('silent')],
        ['d', user('active')],
      ]),
      // c's events were all duplicates: nothing new was inserted for c.
      newEventNames: new Map([
        ['a', ['Viewed', 'Order Completed']],
        ['b', ['Viewed', 'Order Completed', 'Viewed']],
        ['d', ['Order Completed', 'Order Completed']],
      ]),
    });
    expect(wakes).toEqual([
      { userId: 'a', kind: 'start', reason: 'new-user' },
      { userId: 'b', kind: 'signal', reason: 'dormant-user' },
      { userId: 'd', kind: 'signal', reason: 'trigger-event' },
    ]);
  });
});
