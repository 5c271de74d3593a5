import { describe, expect, it } from 'vitest';
import { nextAllowedSendTime } from '../../rules/quiet-hours.ts';

const night = { start: '21:00', end: '09:00', fallbackTimeZone: 'UTC' };
const at = (iso: string) => new Date(iso);

describe('nextAllowedSendTime', () => {
  it('returns now outside quiet hours', () => {
    const now = at('2026-06-01T15:00:00Z'); // 11:00 in New York
    expect(nextAllowedSendTime(now, { ...night, timeZone: 'America/New_York' })).toBe(now);
  });

  it('ends quiet hours at 09:00 EDT on the morning clocks spring forward (America/New_York 2026-03-08)', () => {
    // 00:00 EST; nine wall-clock hours later is only eight hours of real time.
    const next = nextAllowedSendTime(at('2026-03-08T05:00:00Z'), { ...night, timeZone: 'America/New_York' });
    expect(next.toISOString()).toBe('2026-03-08T13:00:00.000Z');
  });

  it('ends quiet hours at 09:00 CET the morning clocks fall back (Europe/Berlin 2026-10-25)', () => {
    // 22:00 CEST on the 24th; the night is an hour longer.
    const next = nextAllowedSendTime(at('2026-10-24T20:00:00Z'), { ...night, timeZone: 'Europe/Berlin' });
    expect(next.toISOString()).toBe('2026-10-25T08:00:00.000Z');
  });

  it('handles a half-hour zone (Asia/Kolkata)', () => {
    // 21:30 IST → 09:00 IST next day.
    const next = nextAllowedSendTime(at('2026-06-01T16:00:00Z'), { ...night, timeZone: 'Asia/Kolkata' });
    expect(next.toISOString()).toBe('2026-06-02T03:30:00.000Z');
    // 08:59 IST is still quiet and ends at 09:00 the same day.
    expect(nextAllowedSendTime(at('2026-06-02T03:29:00Z'), { ...night, timeZone: 'Asia/Kolkata' }).toISOString()).toBe(
      '2026-06-02T03:30:00.000Z',
    );
  });

  it('handles the 30-minute DST shift (Australia/Lord_Howe 2026-04-05, +11 → +10:30)', () => {
    // 21:00 on the 4th at +11; 09:00 on the 5th is at +10:30.
    const next = nextAllowedSendTime(at('2026-04-04T10:00:00Z'), { ...night, timeZone: 'Australia/Lord_Howe' });
    expect(next.toISOString()).toBe('2026-04-04T22:30:00.000Z');
  });

  it('treats the end as exclusive and the start as inclusive', () => {
    const zone = { ...night, timeZone: 'Europe/Berlin' };
    const nine = at('2026-06-01T07:00:00Z'); // 09:00 CEST
    expect(nextAllowedSendTime(nine, zone)).toBe(nine);
    expect(nextAllowedSendTime(at('2026-06-01T19:00:00Z'), zone).toISOString()).toBe('2026-06-02T07:00:00.000Z');
    expect(nextAllowedSendTime(at('2026-06-01T18:59:00Z'), zone).toISOString()).toBe('2026-06-01T18:59:00.000Z');
  });

  it('supports daytime quiet hours that do not cross midnight', () => {
    const lunch = { start: '12:00', end: '14:00', timeZone: 'Asia/Kolkata', fallbackTimeZone: 'UTC' };
    expect(nextAllowedSendTime(at('2026-06-01T07:00:00Z'), lunch).toISOString()).toBe('2026-06-01T08:30:00.000Z');
    const evening = at('2026-06-01T14:00:00Z');
    expect(nextAllowedSendTime(evening, lunch)).toBe(evening);
  });

  it('moves an end time skipped by spring-forward later by the gap', () => {
    const early = { start: '01:00', end: '02:30', timeZone: 'America/New_York', fallbackTimeZone: 'UTC' };
    // 01:30 EST; 02:30 does not exist that day, so quiet hours end at 03:30 EDT.
    expect(nextAllowedSendTime(at('2026-03-08T06:30:00Z'), early).toISOString()).toBe('2026-03-08T07:30:00.000Z');
  });

  it('uses the fallback zone for a missing or unknown zone', () => {
    const fallback = { ...night, fallbackTimeZone: 'Asia/Kolkata' };
    const expected = '2026-06-02T03:30:00.000Z';
    expect(nextAllowedSendTime(at('2026-06-01T16:00:00Z'), fallback).toISOString()).toBe(expected);
    expect(nextAllowedSendTime(at('2026-06-01T16:00:00Z'), { ...fallback, timeZone: 'Mars/Olympus' }).toISOString()).toBe(expected);
  });

  it('names the field at fault', () => {
    const now = at('2026-06-01T16:00:00Z');
    expect(() => nextAllowedSendTime(now, { ...night, start: '9pm' })).toThrow(/quiet hours start must be HH:MM/);
    expect(() => nextAllowedSendTime(now, { ...night, end: '24:00' })).toThrow(/quiet hours end must be HH:MM/);
    expect(() => nextAllowedSendTime(now, { ...night, fallbackTimeZone: 'Nowhere/Land' })).toThrow(/fallbackTimeZone/);
  });
});
