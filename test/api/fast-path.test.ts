import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainTrack } from '../../api/ingest/fast-path.ts';
import { batchMessage } from '../../api/ingest/schema.ts';

// Values on both sides of every rule the schema has for a track message.
const text = (max: number) => fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('', 'x'.repeat(max), 'x'.repeat(max + 1)));
const odd = fc.constantFrom<unknown>(null, 0, 7, true, [], ['a'], {}, { a: 1 });
const timestamp = fc.oneof(
  fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '2026-03-05T00:00:00Z',
    '2026-03-05T00:00:00.123456+05:30',
    '2024-02-29T23:59:59-01:00',
    '2026-02-29T00:00:00Z',
    '2026-03-05T24:00:00Z',
    '2026-03-05T00:00:00',
    '2026-03-05 00:00:00Z',
    '2026-03-05',
    '',
  ),
);
const record = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
const revenue = fc.oneof(
  fc.constantFrom<unknown>(19.99, -5, 0, 1.005, 1e12, 999999999999.99, '5.10', '-0.5', '1.234', 'abc', '', null, Number.MAX_VALUE),
  fc.double({ noNaN: true }),
);
const properties = fc.oneof(record, fc.tuple(record, revenue).map(([r, v]) => ({ ...r, revenue: v })));
const context = fc.oneof(record, fc.tuple(record, fc.oneof(record, odd)).map(([r, traits]) => ({ ...r, traits })));

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: odd }), { nil: undefined });
const message = fc.record(
  {
    type: fc.oneof({ weight: 5, arbitrary: fc.constant<unknown>('track') }, { weight: 1, arbitrary: fc.constantFrom<unknown>('identify', 'page', 'Track', null) }),
    userId: fc.oneof({ weight: 4, arbitrary: text(255) }, { weight: 1, arbitrary: fc.oneof(fc.integer(), odd) }),
    messageId: optional(text(255)),
    event: fc.oneof({ weight: 4, arbitrary: text(200) }, { weight: 1, arbitrary: odd }),
    timestamp: optional(timestamp),
    context: optional(context),
    properties: optional(properties),
    anonymousId: fc.option(fc.string(), { nil: undefined }),
  },
  { requiredKeys: ['type'] },
);

// What normalize reads from a track message.
const used = (m: Record<string, unknown>) => ({
  type: m.type,
  userId: m.userId,
  messageId: m.messageId,
  event: m.event,
  timestamp: m.timestamp,
  traits: (m.context as { traits?: unknown } | undefined)?.traits,
  properties: m.properties,
});

describe('plainTrack (the fast path for track messages in a batch)', () => {
  it('accepts only what the schema accepts, and hands normalize the same values', () => {
    fc.assert(
      fc.property(message, (m) => {
        const fast = plainTrack(m);
        if (fast === undefined) return;
        const parsed = batchMessage.safeParse(m);
        expect(parsed.success).toBe(true);
        expect(used(fast as Record<string, unknown>)).toEqual(used(parsed.data as Record<string, unknown>));
      }),
      { numRuns: 5000 },
    );
  });

  it('takes every valid track message with a string userId and a messageId', () => {
    fc.assert(
      fc.property(message, (m) => {
        const eligible = m.type === 'track' && typeof m.userId === 'string' && m.messageId !== undefined;
        if (eligible && batchMessage.safeParse(m).success) expect(plainTrack(m)).toBe(m);
      }),
      { numRuns: 5000 },
    );
  });

  it('leaves messages without a messageId to the schema, whose key order the derived id hashes', () => {
    const m = { type: 'track', userId: 'u1', event: 'Viewed', properties: { a: 1, revenue: 2 } };
    expect(batchMessage.safeParse(m).success).toBe(true);
    expect(plainTrack(m)).toBeUndefined();
  });
});
