import type { Literal } from './ast.ts';
import type { ResolvedAttribute } from './attributes.ts';
import { dateToNanos, parseRfc3339Nanos } from './datetime.ts';
import { VisibilityQueryError } from './errors.ts';
import type { SearchAttributeType, VisibilityRecord } from './record.ts';

/** One comparable value: string (Keyword, KeywordList, Text), number (Int, Double), bigint (Datetime, ns), boolean. */
export type Scalar = string | number | bigint | boolean;

// The enum's numeric codes are accepted too, as by the server (ExecutionStatus = 1).
const statusByCode = ['Unspecified', 'Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'];

/** Reads a literal as a value of the attribute's type, or explains why it is not one. */
export function literalValue(literal: Literal, attribute: ResolvedAttribute): Scalar {
  const { type, name } = attribute;
  const mismatch = (expected: string): never => {
    throw new VisibilityQueryError(
      `Search attribute "${name}" is ${type} and needs ${expected}, found ${describeLiteral(literal)}`,
      literal.position,
    );
  };
  if (name === 'ExecutionStatus') return statusValue(literal);
  switch (type) {
    case 'Keyword':
    case 'KeywordList':
      return literal.kind === 'string' ? literal.text : mismatch('a quoted string');
    case 'Text':
      if (literal.kind !== 'string') return mismatch('a quoted string');
      if (literal.text.trim() === '') {
        throw new VisibilityQueryError(`Text search attribute "${name}" needs a value with at least one word`, literal.position);
      }
      return literal.text;
    case 'Int':
    case 'Double': {
      if (literal.kind !== 'number') return mismatch('a number');
      const value = Number(literal.text);
      if (!Number.isFinite(value)) return mismatch('a finite number');
      return value;
    }
    case 'Bool':
      return literal.kind === 'boolean' ? literal.value : mismatch('true or false');
    case 'Datetime': {
      if (literal.kind === 'number') {
        // An unquoted integer is Unix time in nanoseconds, as the server reads it.
        return /^-?\d+$/.test(literal.text) ? BigInt(literal.text) : mismatch('an RFC 3339 string or integer nanoseconds');
      }
      if (literal.kind !== 'string') return mismatch('an RFC 3339 datetime string');
      const nanos = parseRfc3339Nanos(literal.text);
      if (nanos === undefined) {
        throw new VisibilityQueryError(
          `Search attribute "${name}" is Datetime and needs an RFC 3339 time such as '2026-01-02T03:04:05Z', found '${literal.text}'`,
          literal.position,
        );
      }
      return nanos;
    }
  }
}

function statusValue(literal: Literal): string {
  const invalid = (): never => {
    throw new VisibilityQueryError(
      `Invalid ExecutionStatus value ${literal.kind === 'string' ? `'${literal.text}'` : String(literal.kind === 'number' ? literal.text : literal.value)}; expected one of ${statusByCode.slice(1).join(', ')}`,
      literal.position,
    );
  };
  if (literal.kind === 'string') return statusByCode.includes(literal.text) ? literal.text : invalid();
  if (literal.kind === 'number' && /^\d+$/.test(literal.text)) return statusByCode[Number(literal.text)] ?? invalid();
  return invalid();
}

function describeLiteral(literal: Literal): string {
  if (literal.kind === 'string') return `the string '${literal.text}'`;
  if (literal.kind === 'number') return `the number ${literal.text}`;
  return `the boolean ${literal.value}`;
}

/**
 * The run's values for an attribute, as a list: every attribute may hold several values (SDKs
 * upsert untyped attributes as lists), and a predicate holds if any value satisfies it, as with
 * Elasticsearch. Values of the wrong type are ignored, like values a typed index would refuse.
 */
export function recordValues(attribute: ResolvedAttribute, record: VisibilityRecord): Scalar[] {
  const raw = attribute.read(record);
  if (raw === undefined || raw === null) return [];
  const values: Scalar[] = [];
  for (const item of Array.isArray(raw) ? raw : [raw]) {
    const value = normalize(item, attribute.type);
    if (value !== undefined) values.push(value);
  }
  return values;
}

function normalize(value: unknown, type: SearchAttributeType): Scalar | undefined {
  switch (type) {
    case 'Keyword':
    case 'KeywordList':
    case 'Text':
      return typeof value === 'string' ? value : undefined;
    case 'Int':
    case 'Double':
      if (typeof value === 'bigint') return Number(value);
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'Bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'Datetime':
      if (value instanceof Date) return dateToNanos(value);
      return typeof value === 'string' ? parseRfc3339Nanos(value) : undefined;
  }
}

/**
 * Orders two values of one type. Strings go by code point, which is the byte order of UTF-8 that
 * the server's stores sort keywords by (JavaScript's < compares UTF-16 units and differs above U+FFFF).
 */
export function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (D800–DFFF) encode code points above FFFF, so they rank above E000–FFFF.
      const surrogateX = x >= 0xd800 && x <= 0xdfff;
      const surrogateY = y >= 0xd800 && y <= 0xdfff;
      if (surrogateX !== surrogateY) return surrogateX ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}
