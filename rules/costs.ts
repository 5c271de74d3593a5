import { z } from 'zod';
import { CHANNELS } from './campaigns.ts';

/** Unit costs per message by channel: what the reports charge each message handed to a provider. */

const listOf = (words: readonly string[]) => words.join(', ');

const UnitCost = z
  .number({ error: 'expected a cost per message as a number, e.g. 0.0079' })
  .min(0, 'a cost per message is 0 or more');

export const CostsSchema = z.strictObject(
  {
    currency: z
      .string({ error: 'expected a currency code such as USD' })
      .regex(/^[A-Z]{3}$/, 'expected a three-letter ISO 4217 currency code such as USD or EUR')
      .default('USD'),
    email: UnitCost.default(0),
    sms: UnitCost.default(0),
    webhook: UnitCost.default(0),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}: allowed are currency, ${listOf(CHANNELS)}`
        : issue.code === 'invalid_type'
          ? `expected a mapping such as { currency: USD, email: 0.001, sms: 0.0079 }, got ${issue.input === null ? 'nothing' : Array.isArray(issue.input) ? 'a list' : typeof issue.input}`
          : undefined,
  },
);
export type Costs = z.infer<typeof CostsSchema>;

/** A policy without a `costs:` block charges nothing; reports then say no unit costs are set. */
export const NO_COSTS: Costs = { currency: 'USD', email: 0, sms: 0, webhook: 0 };
