// Datetimes are compared as int64 nanoseconds since the epoch (bigint): queries may carry
// nanosecond precision (RFC3339Nano) that a JavaScript Date would round away.

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp as the server does (Go's time.RFC3339Nano); undefined if malformed. */
export function parseRfc3339Nanos(text: string): bigint | undefined {
  const match = rfc3339.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone] = match as unknown as string[];
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth || h > 23 || mi > 59 || s > 59) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const [offsetHours, offsetMins] = zone!.slice(1).split(':').map(Number) as [number, number];
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (zone!.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(y, mo - 1, d); // Date.UTC would map years 0–99 to 1900–1999
  utc.setUTCHours(h, mi - offsetMinutes, s, 0);
  return BigInt(utc.getTime()) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
}

export function dateToNanos(date: Date): bigint | undefined {
  const ms = date.getTime();
  return Number.isNaN(ms) ? undefined : BigInt(ms) * 1_000_000n;
}
