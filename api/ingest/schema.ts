import { z } from 'zod';

// Segment's HTTP Tracking API payloads (track, identify, batch). Unknown fields are stripped, as
// Segment ignores them; fields Lifeline stores get explicit rules so a 400 can say which one broke.

const REVENUE_TEXT = /^-?\d{1,12}(\.\d{1,2})?$/;

/** numeric(14,2): at most 12 integer digits and 2 decimals, as a JSON number or a decimal string. */
export function isValidRevenue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return REVENUE_TEXT.test(value);
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) >= 1e12) return false;
  return Number(value.toFixed(2)) === value;
}

const userId = z.preprocess(
  (value) => (typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value),
  z
    .string({ error: 'required, a string (calls with only an anonymousId are not supported)' })
    .min(1, 'must not be empty')
    .max(255, 'must be at most 255 characters'),
);

const messageId = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .optional();

const timestamp = z
  .iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time with a time zone, e.g. 2026-01-02T03:04:05.000Z' })
  .optional();

const jsonObject = (what: string) => z.looseObject({}, { error: `must be a JSON object of ${what}` });

const properties = z
  .looseObject(
    {
      revenue: z
        .custom<string | number | null>(isValidRevenue, {
          error: 'must be a number with at most 2 decimal places and at most 12 integer digits',
        })
        .optional(),
    },
    { error: 'must be a JSON object of event properties' },
  )
  .optional();

const context = z.looseObject({ traits: jsonObject('traits').optional() }, { error: 'must be a JSON object' }).optional();

const eventName = z
  .string({ error: 'required, a string naming the event' })
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');

const common = { userId, messageId, timestamp, context };

const message = { error: 'must be a JSON object (a Segment message)' };

export const trackMessage = z.object({ ...common, event: eventName, properties }, message);
export const identifyMessage = z.object({ ...common, traits: jsonObject('traits').optional() }, message);
/** page and screen calls are stored as events named "Page Viewed" / "Screen Viewed". */
export const viewMessage = z.object(
  {
    ...common,
    name: z.string({ error: 'must be a string' }).max(200, 'must be at most 200 characters').optional(),
    category: z.string({ error: 'must be a string' }).max(200, 'must be at most 200 characters').optional(),
    properties,
  },
  message,
);

const ignored = <T extends string>(type: T) => z.object({ type: z.literal(type) });

export const batchMessage = z.discriminatedUnion(
  'type',
  [
    trackMessage.extend({ type: z.literal('track') }),
    identifyMessage.extend({ type: z.literal('identify') }),
    viewMessage.extend({ type: z.literal('page') }),
    viewMessage.extend({ type: z.literal('screen') }),
    // Accepted so existing clients' batches go through; Lifeline keys users by userId alone.
    ignored('group'),
    ignored('alias'),
  ],
  { error: 'must be one of track, identify, page, screen, group, alias' },
);

export const batchRequest = z.object(
  {
    batch: z.array(z.unknown(), { error: 'required, an array of messages' }).min(1, 'must hold at least one message'),
  },
  { error: 'must be a JSON object with a batch array' },
);

export type TrackMessage = z.infer<typeof trackMessage>;
export type IdentifyMessage = z.infer<typeof identifyMessage>;
export type BatchMessage = z.infer<typeof batchMessage>;
