import { CHANNELS, type Channel } from '../rules/campaigns.ts';
import type { Costs } from '../rules/costs.ts';
import { compareArms, medianDaysToReturn, sampleSizePerArm, wilsonInterval } from '../rules/stats/index.ts';
import type { ArmRow, CampaignReport, ChannelRow, MessageCounts, PowerNote, RescueReport, ResolvedOptions, ReturnCurve } from './schema.ts';

/** What the report's SQL gathers (reports/queries.ts): counts per campaign × arm and per arm × channel. */
export interface ArmData {
  campaign: string;
  arm: string;
  holdout: boolean;
  /** Every rescue in the selection. */
  assigned: number;
  /** Rescues whose window closed by `asOf` with a recorded outcome. */
  decided: number;
  /** Decided rescues whose user came back. */
  rescued: number;
  /** Days from assignment to return, one per rescued decided rescue. */
  returnDays: number[];
  /** Revenue after rescue of the decided rescues, in the currency's units. */
  revenue: number;
  /** The longest attribution window among the arm's rescues, in days. */
  windowDays: number;
}

export interface MessageData extends MessageCounts {
  campaign: string;
  arm: string;
  channel: Channel;
}

export interface ReportData {
  asOf: Date | null;
  arms: ArmData[];
  /** Messages of decided rescues, by arm and channel. */
  messages: MessageData[];
  /** The channels each arm's steps send on, by campaign and arm, from the policy versions that assigned them. */
  armChannels: Record<string, Record<string, Channel[]>>;
  /** The active policy's unit costs with the report's overrides applied. */
  costs: Costs;
}

const NO_MESSAGES: MessageCounts = { sent: 0, delivered: 0, failed: 0, skipped: 0 };

const addMessages = (a: MessageCounts, b: MessageCounts): MessageCounts => ({
  sent: a.sent + b.sent,
  delivered: a.delivered + b.delivered,
  failed: a.failed + b.failed,
  skipped: a.skipped + b.skipped,
});

const cents = (amount: number) => Math.round(amount * 100) / 100;

/** A group as the statistics layer sees it: decided rescues, rescued, cost, return days. */
interface Group {
  name: string;
  n: number;
  rescued: number;
  cost: number;
  returnDays: number[];
}

type ComparisonFields = Omit<ArmRow, 'arm' | 'holdout' | 'assigned' | 'pending' | 'channels' | 'messages' | 'revenueAfterRescue' | 'revenuePerUser'>;

/** Builds the report from the gathered rows. Pure: the same data and options give the same report. */
export function buildReport(data: ReportData, options: ResolvedOptions): RescueReport {
  const byCampaign = new Map<string, ArmData[]>();
  for (const arm of data.arms) byCampaign.set(arm.campaign, [...(byCampaign.get(arm.campaign) ?? []), arm]);
  return {
    filters: {
      campaign: options.campaign ?? null,
      since: options.since?.toISOString() ?? null,
      until: options.until?.toISOString() ?? null,
    },
    asOf: data.asOf?.toISOString() ?? null,
    confidence: options.confidence,
    minimumDetectableEffect: options.minimumDetectableEffect ?? null,
    revenueDays: options.revenueDays,
    costs: data.costs,
    campaigns: [...byCampaign.keys()].sort().map((campaign) => campaignReport(campaign, byCampaign.get(campaign)!, data, options)),
  };
}

function campaignReport(campaign: string, armData: ArmData[], data: ReportData, options: ResolvedOptions): CampaignReport {
  // The holdout first, then the arms by name (code-unit order: the same on every machine, unlike localeCompare).
  const groups = [...armData].sort((a, b) => Number(b.holdout) - Number(a.holdout) || (a.arm < b.arm ? -1 : a.arm > b.arm ? 1 : 0));
  const holdout = groups.find((g) => g.holdout);
  const messagesOf = (arm: string) => data.messages.filter((m) => m.campaign === campaign && m.arm === arm);
  const costOf = (rows: readonly MessageData[]) => rows.reduce((sum, m) => sum + m.sent * data.costs[m.channel], 0);
  const channelsOf = (arm: ArmData): Channel[] => {
    if (arm.holdout) return [];
    const declared = data.armChannels[campaign]?.[arm.arm];
    // Without the arm's definition, the channels its messages went out on.
    return declared ?? CHANNELS.filter((c) => messagesOf(arm.arm).some((m) => m.channel === c));
  };
  const group = (arm: ArmData): Group => ({ name: arm.arm, n: arm.decided, rescued: arm.rescued, cost: costOf(messagesOf(arm.arm)), returnDays: arm.returnDays });
  const control = holdout && holdout.decided > 0 ? group(holdout) : undefined;
  // A planned effect that would lift the holdout's rate past 100% sizes nothing: power falls back to the observed lifts.
  const sizable = !control || options.minimumDetectableEffect === undefined || control.rescued / control.n + options.minimumDetectableEffect <= 1;
  const compareOptions = sizable ? options : { ...options, minimumDetectableEffect: undefined };

  const arms: ArmRow[] = groups.map((arm) => {
    const rows = messagesOf(arm.arm);
    return {
      arm: arm.arm,
      holdout: arm.holdout,
      assigned: arm.assigned,
      pending: arm.assigned - arm.decided,
      channels: channelsOf(arm),
      messages: rows.reduce(addMessages, NO_MESSAGES),
      ...(arm.holdout ? alone(group(arm), options, 'baseline') : compare(group(arm), control, compareOptions)),
      revenueAfterRescue: cents(arm.revenue),
      revenuePerUser: arm.decided > 0 ? Math.round((arm.revenue / arm.decided) * 10_000) / 10_000 : null,
    };
  });

  const treated = groups.filter((g) => !g.holdout);
  const channels: ChannelRow[] = CHANNELS.flatMap((channel) => {
    const using = treated.filter((arm) => channelsOf(arm).includes(channel));
    if (!using.length) return [];
    const pooled: Group = {
      name: channel,
      n: using.reduce((sum, a) => sum + a.decided, 0),
      rescued: using.reduce((sum, a) => sum + a.rescued, 0),
      cost: using.reduce((sum, a) => sum + group(a).cost, 0),
      returnDays: using.flatMap((a) => a.returnDays),
    };
    const onChannel = data.messages.filter((m) => m.campaign === campaign && m.channel === channel);
    return [
      {
        channel,
        arms: using.map((a) => a.arm),
        messages: onChannel.reduce(addMessages, NO_MESSAGES),
        channelCost: costOf(onChannel),
        ...compare(pooled, control, compareOptions),
      },
    ];
  });

  const windowDays = Math.max(...groups.map((g) => g.windowDays));
  return {
    campaign,
    windowDays,
    arms,
    channels,
    returnCurve: groups.filter((g) => g.decided > 0).map((g) => returnCurve(g, windowDays)),
    power: powerNote(arms, holdout, options),
  };
}

const EMPTY = { lift: null, relativeLift: null, pValue: null, costPerIncrementalRescue: null, power: null } as const;

/** A group's own rate and return time, without a comparison: the holdout's row, or an arm with no holdout to compare with. */
function alone(g: Group, options: ResolvedOptions, verdict: 'baseline' | 'no holdout'): ComparisonFields {
  if (g.n === 0) return { n: 0, rescued: 0, rate: null, medianDaysToReturn: null, cost: g.cost, ...EMPTY, verdict: 'no outcomes yet' };
  const rate = wilsonInterval(g.rescued, g.n, options.confidence);
  return { n: g.n, rescued: g.rescued, rate, medianDaysToReturn: medianDaysToReturn(g.returnDays), cost: g.cost, ...EMPTY, verdict };
}

/** One group against the holdout. */
function compare(g: Group, control: Group | undefined, options: ResolvedOptions): ComparisonFields {
  if (g.n === 0 || !control) return alone(g, options, 'no holdout');
  const comparison = compareArms({
    arms: [statsGroup(g)],
    holdout: statsGroup(control),
    confidence: options.confidence,
    minimumDetectableEffect: options.minimumDetectableEffect,
  });
  const arm = comparison.arms[0]!;
  return {
    n: arm.n,
    rescued: arm.rescued,
    rate: arm.rate,
    medianDaysToReturn: arm.medianDaysToReturn,
    cost: g.cost,
    lift: arm.lift,
    relativeLift: arm.relativeLift,
    pValue: arm.pValue,
    costPerIncrementalRescue: arm.costPerIncrementalRescue,
    power: arm.power,
    verdict: arm.verdict,
  };
}

function statsGroup(g: Group) {
  return { name: g.name, assigned: g.n, rescued: g.rescued, cost: g.cost, returnDays: g.returnDays };
}

function returnCurve(arm: ArmData, windowDays: number): ReturnCurve {
  const days = Math.ceil(windowDays);
  const sorted = [...arm.returnDays].sort((a, b) => a - b);
  let i = 0;
  const share: number[] = [];
  for (let d = 0; d <= days; d++) {
    while (i < sorted.length && sorted[i]! <= d) i++;
    share.push(i / arm.decided);
  }
  return { arm: arm.arm, holdout: arm.holdout, share };
}

const pct = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const points = (effect: number) => `${(effect * 100).toFixed(1)} percentage points`;

function powerNote(arms: ArmRow[], holdout: ArmData | undefined, options: ResolvedOptions): PowerNote {
  const mde = options.minimumDetectableEffect ?? null;
  const smallestGroup = Math.min(...arms.map((a) => a.n));
  const note = (baseRate: number | null, requiredPerArm: number | null, message: string): PowerNote => ({ minimumDetectableEffect: mde, baseRate, requiredPerArm, smallestGroup, message });
  if (!holdout || holdout.decided === 0) {
    return note(null, null, holdout ? 'no holdout rescue is decided yet: no lift can be estimated' : 'the campaign has no holdout: no lift can be estimated');
  }
  const baseRate = holdout.rescued / holdout.decided;
  if (mde === null) {
    return note(baseRate, null, "no minimum detectable effect set: each arm's power is judged on its own observed lift (set one, e.g. --mde 0.02)");
  }
  if (baseRate + mde > 1) {
    return note(baseRate, null, `the holdout's rate ${pct(baseRate)} plus ${points(mde)} is above 100%: power is judged on each arm's observed lift instead`);
  }
  const requiredPerArm = sampleSizePerArm({ baseRate, minimumDetectableEffect: mde, alpha: 1 - options.confidence });
  const weak = arms.filter((a) => a.power?.underpowered || (!a.holdout && a.n === 0));
  return note(
    baseRate,
    requiredPerArm,
    `detecting a lift of ${points(mde)} over the holdout's ${pct(baseRate)} at 80% power needs ${requiredPerArm} decided rescues in each of two equal groups; ` +
      (weak.length
        ? `underpowered, so no winner is declared: ${weak.map((a) => `${a.arm} (${a.n} decided${a.power ? `, power ${pct(a.power.achievedPower)}` : ''})`).join(', ')}`
        : `every arm has the users to detect it (smallest group ${smallestGroup})`),
  );
}
