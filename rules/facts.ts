import { z } from 'zod';

/**
 * What classify() knows about one user as of an instant. Plain JSON (times in epoch milliseconds,
 * money in cents): facts cross the activity boundary, live in Temporal history and are stored with
 * every transition, so they hold no personal data: only traits the policy's conditions name, and
 * contact traits (email, phone, names, address) only as whether they are present.
 */
export const FactsSchema = z.object({
  firstSeenAt: z.number(),
  lastActiveAt: z.number().nullable(),
  lastPaymentAt: z.number().nullable(),
  /** Per counted window ("login,purchase in 30 days"): the newest occurrences inside it, newest first. */
  counts: z.record(z.string(), z.array(z.number())),
  /** Per revenue window ("in 90 days"): [time, cents] of each payment inside it, newest first. */
  revenue: z.record(z.string(), z.array(z.tuple([z.number(), z.number()]))),
  traits: z.record(z.string(), z.json()),
});
export type Facts = z.infer<typeof FactsSchema>;

export { factsFor, type FactsQuery } from './facts-sql.ts';
