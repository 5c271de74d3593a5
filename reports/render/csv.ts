import type { ArmRow, ChannelRow, RescueReport } from '../schema.ts';

/**
 * One row per campaign × arm, then one per campaign × channel (`kind` says which). Rates and lifts
 * are fractions (0.052, not 5.2%) so spreadsheets can compute with them; empty means "not defined".
 * RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted, quotes doubled.
 */
export const CSV_COLUMNS = [
  'campaign',
  'kind',
  'name',
  'holdout',
  'arms',
  'assigned',
  'pending',
  'n',
  'sent',
  'delivered',
  'failed',
  'skipped',
  'rescued',
  'rate',
  'rate_lower',
  'rate_upper',
  'lift',
  'lift_lower',
  'lift_upper',
  'relative_lift',
  'relative_lift_lower',
  'relative_lift_upper',
  'p_value',
  'cost',
  'channel_cost',
  'cost_per_incremental_rescue',
  'cost_per_incremental_rescue_lower',
  'cost_per_incremental_rescue_upper',
  'median_days_to_return',
  'revenue_after_rescue',
  'revenue_per_user',
  'required_per_arm',
  'achieved_power',
  'verdict',
  'currency',
  'confidence',
] as const;

type Cell = string | number | boolean | null | undefined;

export function csvField(value: Cell): string {
  if (value === null || value === undefined) return '';
  // Twelve significant digits: full precision for any count or rate, without binary noise (0.44549999999999995).
  const text = typeof value === 'number' && !Number.isInteger(value) ? String(Number(value.toPrecision(12))) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function comparisonCells(row: ArmRow | ChannelRow): Partial<Record<(typeof CSV_COLUMNS)[number], Cell>> {
  const rel = row.relativeLift;
  const cpir = row.costPerIncrementalRescue;
  return {
    n: row.n,
    rescued: row.rescued,
    rate: row.rate?.estimate,
    rate_lower: row.rate?.lower,
    rate_upper: row.rate?.upper,
    lift: row.lift?.estimate,
    lift_lower: row.lift?.lower,
    lift_upper: row.lift?.upper,
    relative_lift: rel?.ratio === null || rel === null ? null : rel.ratio - 1,
    relative_lift_lower: rel?.estimable ? rel.lower - 1 : null,
    relative_lift_upper: rel?.estimable ? rel.upper - 1 : null,
    p_value: row.pValue,
    cost: row.cost,
    cost_per_incremental_rescue: cpir && cpir.kind !== 'undefined' ? cpir.estimate : null,
    cost_per_incremental_rescue_lower: cpir && cpir.kind !== 'undefined' ? cpir.lower : null,
    cost_per_incremental_rescue_upper: cpir?.kind === 'bounded' ? cpir.upper : null,
    median_days_to_return: row.medianDaysToReturn,
    required_per_arm: row.power?.requiredPerArm,
    achieved_power: row.power?.achievedPower,
    verdict: row.verdict,
  };
}

export function renderCsv(report: RescueReport): string {
  const shared = { currency: report.costs.currency, confidence: report.confidence };
  const rows = report.campaigns.flatMap((c) => [
    ...c.arms.map((a) => ({
      ...shared,
      campaign: c.campaign,
      kind: 'arm',
      name: a.arm,
      holdout: a.holdout,
      arms: a.arm,
      assigned: a.assigned,
      pending: a.pending,
      ...a.messages,
      ...comparisonCells(a),
      revenue_after_rescue: a.revenueAfterRescue,
      revenue_per_user: a.revenuePerUser,
    })),
    ...c.channels.map((ch) => ({
      ...shared,
      campaign: c.campaign,
      kind: 'channel',
      name: ch.channel,
      holdout: false,
      arms: ch.arms.join(' '),
      ...ch.messages,
      ...comparisonCells(ch),
      channel_cost: ch.channelCost,
    })),
  ]);
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((col) => csvField((row as Record<string, Cell>)[col])).join(','))];
  return lines.join('\r\n') + '\r\n';
}
