/**
 * Whether `JSON.stringify(value)` takes more than `limit` UTF-8 bytes, for values from JSON.parse.
 *
 * Serialising every message of a batch to measure it cost 0.8–2.6 ms per 500-message request (the
 * largest single Node cost after parsing, in a profile of `bench:ingest`). A walk that bounds the
 * size from above settles nearly every message without building its text: a string's UTF-16 unit
 * takes at most 6 bytes (`\u001f`), a number at most 24 characters. Only a message whose bound
 * passes the limit is serialised exactly.
 */
export function exceedsJsonBytes(value: unknown, limit: number): boolean {
  if (upperBound(value, limit) <= limit) return false;
  return Buffer.byteLength(JSON.stringify(value)) > limit;
}

/** An upper bound of the serialised size; stops counting once it passes `budget`. */
function upperBound(value: unknown, budget: number): number {
  switch (typeof value) {
    case 'string':
      return 6 * value.length + 2;
    case 'number':
      return 24;
    case 'boolean':
      return 5;
    case 'object': {
      if (value === null) return 4;
      let total = 2;
      if (Array.isArray(value)) {
        for (const item of value) {
          total += upperBound(item, budget - total) + 1;
          if (total > budget) return total;
        }
        return total;
      }
      const record = value as Record<string, unknown>;
      for (const key in record) {
        total += 6 * key.length + 4 + upperBound(record[key], budget - total);
        if (total > budget) return total;
      }
      return total;
    }
    default:
      return 0;
  }
}
