import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsJsonBytes } from '../../api/ingest/size.ts';

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('exceedsJsonBytes', () => {
  it('agrees with measuring JSON.stringify, for any JSON value and limit', () => {
    // Full-unicode strings (escapes, surrogates, multi-byte characters) are where a bound could undercount.
    const json = fc.jsonValue({ stringUnit: 'binary', maxDepth: 4 });
    fc.assert(
      fc.property(json, fc.nat({ max: 2000 }), (value, limit) => {
        expect(exceedsJsonBytes(value, limit)).toBe(bytes(value) > limit);
      }),
      { numRuns: 2000 },
    );
  });

  it('decides at the exact byte, whichever way the bound falls', () => {
    const message = { userId: 'u1', event: 'Signed In', properties: { note: 'é'.repeat(5000), emoji: '😀'.repeat(1000), ctrl: '\u0001' } };
    const size = bytes(message);
    expect(exceedsJsonBytes(message, size)).toBe(false);
    expect(exceedsJsonBytes(message, size - 1)).toBe(true);
    expect(exceedsJsonBytes({ a: 'x'.repeat(100) }, 32 * 1024)).toBe(false);
  });
});
