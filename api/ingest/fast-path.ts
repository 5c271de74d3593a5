import { z } from 'zod';
import { isValidRevenue, type BatchMessage } from './schema.ts';

type TrackBatchMessage = Extract<BatchMessage, { type: 'track' }>;

// The same pattern zod's z.iso.datetime({ offset: true }) checks `timestamp` with (a test holds them equal).
const TIMESTAMP = z.regexes.datetime({ offset: true, precision: null, local: false });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= max;

/**
 * A track message as Segment's libraries send it (a string userId, a messageId), when it passes
 * every rule of the `batchMessage` schema; `undefined` for anything else, which zod then decides,
 * with its error messages. zod took ~2.7 ms per 500 messages in `bench:ingest`, this a tenth of it.
 *
 * The message itself is returned, not a copy: unknown fields zod would strip are ignored by
 * normalize all the same, and key order is kept (zod moves declared keys first). A message without
 * a messageId goes through zod, so the id derived from its properties stays the same either way.
 */
export function plainTrack(item: unknown): TrackBatchMessage | undefined {
  if (!isRecord(item) || item.type !== 'track') return undefined;
  if (!isText(item.userId, 255) || !isText(item.messageId, 255) || !isText(item.event, 200)) return undefined;
  const { timestamp, context, properties } = item;
  if (timestamp !== undefined && !(typeof timestamp === 'string' && TIMESTAMP.test(timestamp))) return undefined;
  if (context !== undefined && !(isRecord(context) && (context.traits === undefined || isRecord(context.traits)))) return undefined;
  if (properties !== undefined && !(isRecord(properties) && isValidRevenue(properties.revenue))) return undefined;
  return item as TrackBatchMessage;
}
