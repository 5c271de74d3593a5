/**
 * The truth a simulation planted, in the report's terms: per campaign and arm, the mean true return
 * probability of the users actually assigned to it (the rate a perfect experiment would measure),
 * and its lift over the campaign's holdout; then whether each of the report's intervals contains it.
 */

export interface AssignedProbability {
  campaign: string;
  arm: string;
  holdout: boolean;
  /** The user's true chance to return within the window (see sim/response.ts). */
  probability: number;
}

export interface PlantedArm {
  campaign: string;
  arm: string;
  holdout: boolean;
  n: number;
  rate: number;
  /** rate − the campaign's holdout rate; null without a holdout. */
  lift: number | null;
}

/** Holdout first, then arms by name, campaigns by name: the report's order. */
export function plantedRates(rows: readonly AssignedProbability[]): PlantedArm[] {
  const groups = new Map<string, { campaign: string; arm: string; holdout: boolean; n: number; sum: number }>();
  for (const row of rows) {
    const key = `${row.campaign}\0${row.arm}`;
    const group = groups.get(key) ?? { campaign: row.campaign, arm: row.arm, holdout: row.holdout, n: 0, sum: 0 };
    group.n++;
    group.sum += row.probability;
    groups.set(key, group);
  }
  const arms = [...groups.values()].map((g) => ({ campaign: g.campaign, arm: g.arm, holdout: g.holdout, n: g.n, rate: g.sum / g.n }));
  return arms
    .map((a) => {
      const base = arms.find((b) => b.campaign === a.campaign && b.holdout);
      return { ...a, lift: base ? a.rate - base.rate : null };
    })
    .sort((a, b) => compare(a.campaign, b.campaign) || Number(b.holdout) - Number(a.holdout) || compare(a.arm, b.arm));
}

/** Pools arms into one group (the report's per-channel rows pool the arms that send on a channel). */
export function pooledRate(rows: readonly AssignedProbability[], campaign: string, arms: readonly string[]): { n: number; rate: number } | null {
  const pool = rows.filter((r) => r.campaign === campaign && !r.holdout && arms.includes(r.arm));
  if (!pool.length) return null;
  return { n: pool.length, rate: pool.reduce((sum, r) => sum + r.probability, 0) / pool.length };
}

interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

/** The part of the rescue report this module reads. */
export interface ReportLifts {
  confidence: number;
  campaigns: ReadonlyArray<{
    campaign: string;
    arms: ReadonlyArray<{ arm: string; holdout: boolean; lift: Interval | null }>;
    channels: ReadonlyArray<{ channel: string; arms: readonly string[]; lift: Interval | null }>;
  }>;
}

export interface LiftCheck {
  campaign: string;
  /** An arm's name, or `channel:<name>` for a per-channel row. */
  group: string;
  n: number;
  planted: number;
  measured: Interval | null;
  /** Whether the report's interval contains the planted lift; null when the report has none. */
  covered: boolean | null;
}

/** Every lift interval of the report next to the planted lift of the same users. */
export function checkLifts(report: ReportLifts, rows: readonly AssignedProbability[]): LiftCheck[] {
  const checks: LiftCheck[] = [];
  for (const campaign of report.campaigns) {
    const holdout = pooledHoldout(rows, campaign.campaign);
    if (!holdout) continue;
    const check = (group: string, pooled: { n: number; rate: number } | null, measured: Interval | null) => {
      if (!pooled) return;
      const planted = pooled.rate - holdout.rate;
      checks.push({
        campaign: campaign.campaign,
        group,
        n: pooled.n,
        planted,
        measured,
        covered: measured ? measured.lower <= planted && planted <= measured.upper : null,
      });
    };
    for (const arm of campaign.arms) if (!arm.holdout) check(arm.arm, pooledRate(rows, campaign.campaign, [arm.arm]), arm.lift);
    for (const channel of campaign.channels) check(`channel:${channel.channel}`, pooledRate(rows, campaign.campaign, channel.arms), channel.lift);
  }
  return checks;
}

function pooledHoldout(rows: readonly AssignedProbability[], campaign: string): { n: number; rate: number } | null {
  const pool = rows.filter((r) => r.campaign === campaign && r.holdout);
  if (!pool.length) return null;
  return { n: pool.length, rate: pool.reduce((sum, r) => sum + r.probability, 0) / pool.length };
}

/** A table of planted and measured lifts, for the terminal. */
export function formatLiftChecks(checks: readonly LiftCheck[], confidence: number): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}`;
  const header = ['campaign', 'group', 'n', 'planted lift', `measured lift [${Math.round(confidence * 100)}% CI]`, 'contains planted'];
  const lines = checks.map((c) => [
    c.campaign,
    c.group,
    String(c.n),
    `${pct(c.planted)} pp`,
    c.measured ? `${pct(c.measured.estimate)} pp [${pct(c.measured.lower)}, ${pct(c.measured.upper)}]` : '—',
    c.covered === null ? '—' : c.covered ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((cell, i) => (i >= 2 && i <= 4 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
