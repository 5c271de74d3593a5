import type { Channel } from '../rules/campaigns.ts';
import { keyedRandom } from './keyed-random.ts';

/** Share of simulated users with a phone number (everyone has an email address). */
export const PHONE_SHARE = 0.85;
/** Time zones of simulated users (quiet hours apply in each); their 09:00 never falls on the simulator's settle instant. */
export const TIME_ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'] as const;

export interface SimContacts {
  email: string;
  phone?: string;
  timezone: string;
}

/** A simulated user's traits: deterministic from the seed and the user's index. */
export function contactsFor(seed: number, userId: string, index: number): SimContacts {
  const random = keyedRandom(seed, 'contacts', userId);
  const hasPhone = random.float() < PHONE_SHARE;
  const timezone = TIME_ZONES[random.int(0, TIME_ZONES.length - 1)]!;
  return {
    email: `${userId}@example.com`,
    ...(hasPhone ? { phone: `+1555${String(index).padStart(7, '0')}` } : {}),
    timezone,
  };
}

export function reachableChannels(contacts: SimContacts): Set<Channel> {
  return new Set<Channel>(contacts.phone ? ['email', 'sms'] : ['email']);
}
