/**
 * Durations are written "<whole number> <unit>", e.g. "7 days", "36 hours", "2 weeks".
 * A day is exactly 24 hours: the engine compares instants, so calendar days (DST) would make
 * TypeScript and SQL disagree. Months and years are left out because their length varies.
 */
export const DURATION_UNITS = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
} as const;

export const DURATION_GRAMMAR = 'a whole number and a unit (minutes, hours, days or weeks), e.g. "7 days"';

const pattern = /^\s*(-?\d+)\s*([a-z]+?)s?\s*$/i;

/** Milliseconds, or a sentence saying what is wrong. */
export function parseDuration(text: string): number | string {
  const match = pattern.exec(text);
  if (!match) return `"${text}" is not a duration: write ${DURATION_GRAMMAR}`;
  const amount = Number(match[1]);
  const unit = match[2]!.toLowerCase() as keyof typeof DURATION_UNITS;
  if (!Object.hasOwn(DURATION_UNITS, unit)) {
    return `"${text}" has unknown unit "${match[2]}": allowed units are minutes, hours, days, weeks`;
  }
  if (amount < 0) return `"${text}" is negative: durations are zero or more`;
  const ms = amount * DURATION_UNITS[unit];
  if (!Number.isSafeInteger(ms)) return `"${text}" is too long`;
  return ms;
}

export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (typeof ms === 'string') throw new Error(ms);
  return ms;
}

/** In the largest whole unit up to days (people say "30 days", not "4.3 weeks"): 129600000 → "36 hours". */
export function formatDuration(ms: number): string {
  const units = Object.entries(DURATION_UNITS).filter(([unit]) => unit !== 'week').reverse();
  for (const [unit, size] of units) {
    if (ms % size === 0 && ms >= size) return `${ms / size} ${unit}${ms === size ? '' : 's'}`;
  }
  return `${ms / DURATION_UNITS.minute} minutes`;
}
