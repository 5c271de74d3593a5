import { median } from 'simple-statistics';
import { z } from 'zod';
import { finiteNumber, parse } from './input.ts';

export const ReturnDays = z.array(
  finiteNumber('a finite number of days').min(0, { error: 'must be 0 or more: a user returns after assignment' }),
);

/** Median days from assignment to return among rescued users; null when nobody returned. */
export function medianDaysToReturn(returnDays: readonly number[]): number | null {
  parse(ReturnDays, returnDays, ['returnDays']);
  return returnDays.length === 0 ? null : median([...returnDays]);
}
