import { z } from 'zod';
import { armChannels, fallbackOrder } from '../rules/arm-channels.ts';
import type { Arm, Channel, Template } from '../rules/campaigns.ts';
import { keyedRandom } from './keyed-random.ts';

/**
 * The simulated users' response to win-back messages. A user in a rescue returns within its window
 * with a planted probability set by what actually reached them: the holdout rate when nothing did,
 * otherwise the largest rate among the channels that did (an email and an SMS together move a user
 * as much as the stronger of the two, no more). Reaching a user never lowers the chance, so a
 * user's threshold draw can be compared again each time something new arrives: with one uniform
 * draw u per rescue, the user returns iff u < p(what reached them), and over the users of an arm
 * the return rate is exactly the mean planted probability of what the arm delivers to them.
 */

const Probability = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .min(0, { error: `${name} must be between 0 and 1` })
    .max(1, { error: `${name} must be between 0 and 1` });

export const PlantedRates = z
  .strictObject(
    { holdout: Probability('holdout'), email: Probability('email'), sms: Probability('sms') },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown channel ${issue.keys.map((k) => `"${k}"`).join(', ')}: allowed are holdout, email, sms` : undefined) },
  )
  .superRefine((rates, ctx) => {
    for (const channel of ['email', 'sms'] as const) {
      if (rates[channel] < rates.holdout) {
        ctx.addIssue({
          code: 'custom',
          path: [channel],
          message: `${channel} (${rates[channel]}) must be at least holdout (${rates.holdout}): in this model a message never lowers the chance of return`,
        });
      }
    }
  });
export type PlantedRates = z.infer<typeof PlantedRates>;

export const DEFAULT_PLANTED: PlantedRates = { holdout: 0.05, email: 0.09, sms: 0.12 };

/** `holdout=0.05,email=0.09,sms=0.12`; channels left out keep their default. Throws naming the bad part. */
export function parsePlanted(text: string, defaults: PlantedRates = DEFAULT_PLANTED): PlantedRates {
  const given: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([a-z]+)\s*=\s*(.+)$/i.exec(part);
    if (!match) throw new Error(`"${part}" is not channel=probability (e.g. sms=0.12)`);
    const [, key, value] = match as unknown as [string, string, string];
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number)) throw new Error(`${key}: "${value}" is not a number`);
    given[key] = number;
  }
  const parsed = PlantedRates.safeParse({ ...defaults, ...given });
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

/** The chance to return within the window, given the channels that reached the user. */
export function returnProbability(reached: Iterable<Channel>, planted: PlantedRates): number {
  let p = planted.holdout;
  for (const channel of reached) {
    if (channel === 'webhook') throw new Error('simulated users are reached by email and SMS only, not webhooks');
    p = Math.max(p, planted[channel]);
  }
  return p;
}

/**
 * What an arm delivers to a user who does not return first, given the channels the user can be
 * reached on: per send step, the first channel in the rescue workflow's fallback order the user has
 * a contact for (a channel without one fails permanently and is not tried again).
 */
export function plannedExposure(arm: Arm | undefined, templates: Record<string, Template>, reachable: ReadonlySet<Channel>): Channel[] {
  if (!arm) return [];
  const channels = armChannels(arm);
  const dead = new Set<Channel>();
  const out = new Set<Channel>();
  for (const step of arm.steps) {
    if (!step.send) continue;
    const template = templates[step.send.template];
    if (!template) continue;
    for (const channel of fallbackOrder(step.send.channel, channels, template).filter((c) => !dead.has(c))) {
      if (reachable.has(channel)) {
        out.add(channel);
        break;
      }
      dead.add(channel);
    }
  }
  return [...out];
}

/** Share of returning users who also buy on their return, and what they spend. */
export const PAYING_RETURN_SHARE = 0.25;
const REVENUE_CENTS = [999, 9_999] as const;
/** A returning user comes back this much after the whole day (at most), so returns do not pile up on one instant. */
export const RETURN_JITTER_MS = 20 * 60_000;

/** The uniform draw a rescue's user compares with the probability of what has reached them. */
export function returnThreshold(seed: number, userId: string, rescueId: string): number {
  return keyedRandom(seed, 'threshold', userId, rescueId).float();
}

export interface ReturnPlan {
  /** Milliseconds after the assignment. */
  afterMs: number;
  /** Revenue of a purchase made on return, if the user buys. */
  revenue: number | null;
}

/**
 * The last whole day after assignment a return may fall on: the simulator posts a return up to a day
 * after its instant, and it must reach the engine before the window closes (day 12 of 14, 5 of 7).
 */
export function lastReturnDay(windowMs: number): number {
  return Math.floor(windowMs / 86_400_000) - 2;
}

/**
 * When a user who decided to return comes back: a uniform whole day from `earliestDay` to `lastDay`
 * after the assignment, plus up to RETURN_JITTER_MS; null when that range is empty.
 */
export function planReturn(seed: number, userId: string, rescueId: string, earliestDay: number, lastDay: number): ReturnPlan | null {
  const first = Math.max(1, earliestDay);
  if (first > lastDay) return null;
  const random = keyedRandom(seed, 'return', userId, rescueId);
  const day = random.int(first, lastDay);
  const jitter = random.int(0, RETURN_JITTER_MS - 1);
  const pays = random.float() < PAYING_RETURN_SHARE;
  const cents = random.int(REVENUE_CENTS[0], REVENUE_CENTS[1]);
  return { afterMs: day * 86_400_000 + jitter, revenue: pays ? cents / 100 : null };
}
