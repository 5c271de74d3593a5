/**
 * Quiet hours in the user's own time zone. Pure: Intl.DateTimeFormat knows every zone's offsets,
 * so no time-zone library is needed.
 */
export interface QuietHours {
  /** Local wall-clock time quiet hours begin, `HH:MM` (24 h). */
  start: string;
  /** Local wall-clock time they end, `HH:MM`; earlier than `start` means overnight. */
  end: string;
  /** The user's IANA zone; missing or unknown falls back to `fallbackTimeZone`. */
  timeZone?: string | null;
  fallbackTimeZone: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MINUTE = 60_000;

/** `now` if it is outside quiet hours, else the instant quiet hours end in the user's zone. */
export function nextAllowedSendTime(now: Date, hours: QuietHours): Date {
  const start = minutesOf(hours.start, 'start');
  const end = minutesOf(hours.end, 'end');
  if (!isTimeZone(hours.fallbackTimeZone)) {
    throw new RangeError(`quiet hours fallbackTimeZone must be an IANA time zone, got ${JSON.stringify(hours.fallbackTimeZone)}`);
  }
  const zone = hours.timeZone && isTimeZone(hours.timeZone) ? hours.timeZone : hours.fallbackTimeZone;
  if (start === end) return now;

  const wall = wallClock(now.getTime(), zone);
  const minute = wall.hour * 60 + wall.minute;
  const overnight = start > end;
  const quiet = overnight ? minute >= start || minute < end : minute >= start && minute < end;
  if (!quiet) return now;

  // Overnight quiet hours that began this evening end tomorrow; otherwise they end today.
  const dayOffset = overnight && minute >= start ? 1 : 0;
  const day = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + dayOffset));
  return new Date(
    instantOf(
      { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: Math.floor(end / 60), minute: end % 60 },
      zone,
    ),
  );
}

function minutesOf(value: string, field: 'start' | 'end'): number {
  const match = HHMM.exec(value);
  if (!match) throw new RangeError(`quiet hours ${field} must be HH:MM (00:00–23:59), got ${JSON.stringify(value)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

function wallClock(epochMs: number, zone: string): Wall & { second: number } {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(epochMs)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** The zone's offset from UTC at an instant, in milliseconds. */
function offsetAt(epochMs: number, zone: string): number {
  const w = wallClock(epochMs, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The instant a local wall-clock time occurs in `zone`. Like Temporal's "compatible"
 * disambiguation: a time that occurs twice (clocks fall back) is its earlier instant; a time
 * skipped by clocks springing forward is moved later by the length of the gap.
 */
function instantOf(wall: Wall, zone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  // The offsets in force a day either side cover any transition near this wall time.
  const before = offsetAt(asUtc - 1440 * MINUTE, zone);
  const after = offsetAt(asUtc + 1440 * MINUTE, zone);
  const candidates = [asUtc - before, asUtc - after].filter((t) => sameWall(wallClock(t, zone), wall)).sort((a, b) => a - b);
  if (candidates.length) return candidates[0]!;
  return asUtc - before;
}

function sameWall(a: Wall, b: Wall): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute;
}
