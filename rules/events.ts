import type { Policy } from './policy.ts';

/**
 * Events a product or our own channels emit about messages, not about the user using the product:
 * opening a win-back email must not make a user "active" again.
 */
export const ENGAGEMENT_EVENTS = [
  'email_sent',
  'email_delivered',
  'email_opened',
  'email_clicked',
  'email_bounced',
  'email_complained',
  'email_unsubscribed',
  'sms_sent',
  'sms_delivered',
  'sms_failed',
  'sms_clicked',
  'sms_unsubscribed',
  'push_sent',
  'push_delivered',
  'push_opened',
  'webhook_delivered',
] as const;

export const DEFAULT_PAYMENT_EVENTS = ['purchase', 'order_completed', 'payment_succeeded', 'subscription_renewed'] as const;

export interface EventKinds {
  isActivity(name: string): boolean;
  isPayment(name: string): boolean;
}

export function eventKinds(policy: Policy): EventKinds {
  const activity = activityRule(policy);
  const listed = new Set(activity.names);
  const counts = activity.mode === 'only' ? (name: string) => listed.has(name) : (name: string) => !listed.has(name);
  const payment = new Set(policy.events.payment);
  return { isActivity: counts, isPayment: (name) => payment.has(name) };
}

/** Which names count as activity: every name except `names`, or only `names`. */
export function activityRule(policy: Policy): { mode: 'except' | 'only'; names: string[] } {
  const { except, only } = policy.events.activity;
  return only ? { mode: 'only', names: only } : { mode: 'except', names: except ?? [...ENGAGEMENT_EVENTS] };
}

/** An event that can change a user's stage the moment it lands: a payment by a user not yet paying. */
export function isTriggerEvent(kinds: EventKinds, name: string, stage: string | null): boolean {
  return kinds.isPayment(name) && stage !== 'paying';
}
