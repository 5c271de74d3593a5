import type { ArmRow, ChannelRow, Interval, RescueReport } from '../schema.ts';

/** Wording shared by every format, so the table, the CSV and the page say the same thing. */

/** The holdout's row is named "holdout"; a holdout by another name says so. */
export const groupLabel = (row: { arm: string; holdout: boolean }) => (row.holdout && row.arm !== 'holdout' ? `${row.arm} (holdout)` : row.arm);

export const percent = (rate: number, digits = 1) => `${(rate * 100).toFixed(digits)}%`;

/** A difference of rates in percentage points, signed. */
export const points = (d: number, digits = 1) => `${d > 0 ? '+' : d < 0 ? '−' : '±'}${Math.abs(d * 100).toFixed(digits)} pp`;

export const rateText = (rate: Interval | null) => (rate ? `${percent(rate.estimate)} [${percent(rate.lower)}, ${percent(rate.upper)}]` : '—');

export const liftText = (lift: Interval | null) => (lift ? `${points(lift.estimate)} [${points(lift.lower)}, ${points(lift.upper)}]` : '—');

export function relativeLiftText(row: ArmRow | ChannelRow): string {
  const r = row.relativeLift;
  if (!r) return '—';
  const rel = (ratio: number) => `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(0)}%`;
  if (!r.estimable) return r.ratio === null ? 'n/a' : rel(r.ratio);
  return `${rel(r.ratio)} [${rel(r.lower)}, ${rel(r.upper)}]`;
}

export const pValueText = (p: number | null) => (p === null ? '—' : p < 0.0001 ? '<0.0001' : p.toFixed(4));

export function money(amount: number, currency: string): string {
  const digits = amount !== 0 && Math.abs(amount) < 1 ? 4 : 2;
  return `${amount.toFixed(digits)} ${currency}`;
}

export function costPerRescueText(row: ArmRow | ChannelRow, currency: string): string {
  const c = row.costPerIncrementalRescue;
  if (!c) return '—';
  if (c.kind === 'undefined') return 'no lift';
  if (c.kind === 'unbounded') return `${money(c.estimate, currency)} [${money(c.lower, currency)}, ∞)`;
  return `${money(c.estimate, currency)} [${money(c.lower, currency)}, ${money(c.upper, currency)}]`;
}

/** An attribution window: whole days as days, under a day in hours. */
export function windowText(days: number): string {
  const [amount, unit] = days < 1 ? [Number((days * 24).toFixed(1)), 'hour'] : [Number(days.toFixed(2)), 'day'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

export const daysText = (days: number | null) => (days === null ? '—' : `${days.toFixed(1)} d`);

/** The verdict as a reader should take it; an underpowered comparison says how many users it needs. */
export function verdictText(row: ArmRow | ChannelRow): string {
  if (row.verdict === 'underpowered') {
    const need = row.power?.requiredPerArm;
    return need === null || need === undefined ? 'underpowered — no sample size detects a zero lift' : `underpowered — need ${need} per arm`;
  }
  if (row.verdict === 'better') return 'better than holdout';
  if (row.verdict === 'worse') return 'worse than holdout';
  return row.verdict;
}

export function filtersText(report: RescueReport): string {
  const parts = [
    report.filters.campaign ? `campaign ${report.filters.campaign}` : 'all campaigns',
    report.filters.since ? `assigned from ${report.filters.since}` : '',
    report.filters.until ? `before ${report.filters.until}` : '',
    report.asOf ? `decided as of ${report.asOf}` : 'no outcomes recorded yet',
  ];
  return parts.filter(Boolean).join(', ');
}

export function costsText(report: RescueReport): string {
  const { currency, email, sms, webhook } = report.costs;
  return `unit costs (${currency}): email ${email}, sms ${sms}, webhook ${webhook}`;
}
