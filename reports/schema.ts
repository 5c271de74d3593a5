import { z } from 'zod';
import { CHANNELS } from '../rules/campaigns.ts';
import { CostsSchema } from '../rules/costs.ts';

/** The rescue report's options and its shape: plain JSON, the same for the same data (no generation time). */

const Instant = z
  .union([z.date(), z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z' })], {
    error: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z',
  })
  .transform((value) => new Date(value));

const UnitCost = z.number({ error: 'must be a number' }).min(0, { error: 'must be 0 or more' });

export const RescueReportOptions = z
  .strictObject({
    /** Only this campaign. */
    campaign: z.string({ error: 'must be a campaign name' }).min(1, { error: 'must not be empty' }).optional(),
    /** Rescues assigned at or after this instant. */
    since: Instant.optional(),
    /** Rescues assigned before this instant. */
    until: Instant.optional(),
    /**
     * A rescue counts once its attribution window has closed by this instant (and its outcome is
     * recorded). Default: the latest outcome recorded among the selected rescues, so the report
     * depends on the data alone.
     */
    asOf: Instant.optional(),
    confidence: z.number({ error: 'must be a number' }).gt(0, { error: 'must be between 0 and 1 (exclusive), e.g. 0.95' }).lt(1, { error: 'must be between 0 and 1 (exclusive), e.g. 0.95' }).default(0.95),
    /** The absolute lift the campaign was sized to detect (0.02 = 2 points); without it power is judged on each arm's observed lift. */
    minimumDetectableEffect: z
      .number({ error: 'must be a number' })
      .gt(0, { error: 'must be above 0, e.g. 0.02 for 2 percentage points' })
      .lt(1, { error: 'must be below 1 (it is a difference of two rates)' })
      .optional(),
    /** Unit costs overriding the active policy's `costs:`, channel by channel. */
    costs: z.strictObject({ currency: CostsSchema.shape.currency.optional(), email: UnitCost.optional(), sms: UnitCost.optional(), webhook: UnitCost.optional() }).optional(),
    /** Revenue after rescue: a rescued user's revenue from their return to this many days later. */
    revenueDays: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number of days' }).positive({ error: 'must be at least 1' }).default(30),
  })
  .superRefine((o, ctx) => {
    if (o.since && o.until && o.since >= o.until) ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after since' });
  });
export type RescueReportOptions = z.input<typeof RescueReportOptions>;
export type ResolvedOptions = z.output<typeof RescueReportOptions>;

const Interval = z.object({ estimate: z.number(), lower: z.number(), upper: z.number(), confidence: z.number() });
export type Interval = z.infer<typeof Interval>;

const RelativeLift = z.union([
  z.object({ estimable: z.literal(true), ratio: z.number(), lower: z.number(), upper: z.number(), confidence: z.number() }),
  z.object({ estimable: z.literal(false), ratio: z.number().nullable(), reason: z.string(), confidence: z.number() }),
]);

const CostPerIncrementalRescue = z.union([
  z.object({ kind: z.literal('bounded'), estimate: z.number(), lower: z.number(), upper: z.number(), confidence: z.number() }),
  z.object({ kind: z.literal('unbounded'), estimate: z.number(), lower: z.number(), upper: z.null(), confidence: z.number(), reason: z.string() }),
  z.object({ kind: z.literal('undefined'), reason: z.string(), confidence: z.number() }),
]);

const PowerCheck = z.object({
  effect: z.number(),
  effectSource: z.enum(['planned', 'observed']),
  baseRate: z.number(),
  requiredPerArm: z.number().nullable(),
  achievedPower: z.number(),
  targetPower: z.number(),
  underpowered: z.boolean(),
});

/**
 * What the report concludes about a group:
 * - `baseline`: the holdout itself;
 * - the statistics layer's verdicts (`better`, `worse`, `no difference detected`, `underpowered`);
 * - `no holdout`: nothing to compare with (the campaign has no holdout, or none of it is decided yet);
 * - `no outcomes yet`: none of the group's rescues is decided.
 */
export const VERDICTS = ['baseline', 'better', 'worse', 'no difference detected', 'underpowered', 'no holdout', 'no outcomes yet'] as const;
export const Verdict = z.enum(VERDICTS);
export type Verdict = z.infer<typeof Verdict>;

export const MessageCounts = z.object({
  /** Handed to the provider at least once. */
  sent: z.number().int(),
  /** Accepted and not reported failed: SMS with a delivery receipt; email and webhook accepted by the server. */
  delivered: z.number().int(),
  /** Failed, bounced or undelivered. */
  failed: z.number().int(),
  /** Never sent: the user had opted out, or the frequency cap held it back. */
  skipped: z.number().int(),
});
export type MessageCounts = z.infer<typeof MessageCounts>;

/** The comparison of one group (an arm, the holdout, or the arms using a channel) with the holdout. */
const Comparison = z.object({
  /** Decided rescues: the denominator of every rate below. */
  n: z.number().int(),
  rescued: z.number().int(),
  rate: Interval.nullable(),
  lift: Interval.nullable(),
  relativeLift: RelativeLift.nullable(),
  pValue: z.number().nullable(),
  /** Total message cost of the group's decided rescues, in the report's currency. */
  cost: z.number(),
  costPerIncrementalRescue: CostPerIncrementalRescue.nullable(),
  medianDaysToReturn: z.number().nullable(),
  power: PowerCheck.nullable(),
  verdict: Verdict,
});

export const ArmRow = Comparison.extend({
  arm: z.string(),
  holdout: z.boolean(),
  /** Every rescue assigned to the arm in the selection, decided or not. */
  assigned: z.number().int(),
  /** Assigned but not decided yet: the window is still open (or its outcome not yet recorded). */
  pending: z.number().int(),
  channels: z.array(z.enum(CHANNELS)),
  messages: MessageCounts,
  /** Revenue of the rescued users from their return to `revenueDays` later. */
  revenueAfterRescue: z.number(),
  /** revenueAfterRescue / n; null when nothing is decided. */
  revenuePerUser: z.number().nullable(),
});
export type ArmRow = z.infer<typeof ArmRow>;

/**
 * A channel's row: the arms that send on it pooled into one group and compared with the holdout
 * (intent to treat: every decided rescue of those arms counts, whether or not a message went out),
 * plus the messages sent on that channel by any arm of the campaign and what they cost.
 */
export const ChannelRow = Comparison.extend({
  channel: z.enum(CHANNELS),
  arms: z.array(z.string()),
  messages: MessageCounts,
  /** Cost of the messages on this channel only (the comparison's `cost` is the pooled arms' total). */
  channelCost: z.number(),
});
export type ChannelRow = z.infer<typeof ChannelRow>;

export const ReturnCurve = z.object({
  arm: z.string(),
  holdout: z.boolean(),
  /** share[d] = decided rescues whose user returned within d days of assignment / n, for d = 0 … the window. */
  share: z.array(z.number()),
});
export type ReturnCurve = z.infer<typeof ReturnCurve>;

export const PowerNote = z.object({
  minimumDetectableEffect: z.number().nullable(),
  /** The holdout's observed rescue rate, the base the effect is added to. */
  baseRate: z.number().nullable(),
  /** Users per arm needed to detect the minimum effect at 80% power; null without one. */
  requiredPerArm: z.number().int().nullable(),
  /** The smallest decided group among the arms and the holdout. */
  smallestGroup: z.number().int(),
  message: z.string(),
});
export type PowerNote = z.infer<typeof PowerNote>;

export const CampaignReport = z.object({
  campaign: z.string(),
  /** The longest attribution window among its rescues, in days (the return curve's length). */
  windowDays: z.number(),
  /** The holdout first, then the arms by name. */
  arms: z.array(ArmRow),
  channels: z.array(ChannelRow),
  returnCurve: z.array(ReturnCurve),
  power: PowerNote,
});
export type CampaignReport = z.infer<typeof CampaignReport>;

export const RescueReport = z.object({
  filters: z.object({ campaign: z.string().nullable(), since: z.string().nullable(), until: z.string().nullable() }),
  /** Rescues whose window closed by this instant are decided; null when none has an outcome yet. */
  asOf: z.string().nullable(),
  confidence: z.number(),
  minimumDetectableEffect: z.number().nullable(),
  revenueDays: z.number().int(),
  costs: CostsSchema,
  campaigns: z.array(CampaignReport),
});
export type RescueReport = z.infer<typeof RescueReport>;

export const REPORT_FORMATS = ['table', 'csv', 'json', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
