import { describe, expect, it } from 'vitest';
import { buildReport, type ArmData, type MessageData, type ReportData } from '../../reports/build.ts';
import { parseReportOptions, ReportOptionsError } from '../../reports/rescue-report.ts';
import { RescueReport, type ArmRow } from '../../reports/schema.ts';

const COSTS = { currency: 'USD', email: 0.001, sms: 0.0079, webhook: 0 };

/** `rescued` return days spread evenly over (0, window]; tests that need exact days pass their own. */
function arm(over: Partial<ArmData> & Pick<ArmData, 'arm' | 'decided' | 'rescued'>): ArmData {
  return {
    campaign: 'winback',
    holdout: over.arm === 'holdout',
    assigned: over.decided,
    revenue: 0,
    windowDays: 14,
    returnDays: Array.from({ length: over.rescued }, (_, i) => ((i % 14) + 1) * 0.99),
    ...over,
  };
}

function messages(armName: string, channel: MessageData['channel'], sent: number, extra: Partial<MessageData> = {}): MessageData {
  return { campaign: 'winback', arm: armName, channel, sent, delivered: sent, failed: 0, skipped: 0, ...extra };
}

function data(over: Partial<ReportData> = {}): ReportData {
  return {
    asOf: new Date('2026-03-01T00:00:00Z'),
    arms: [arm({ arm: 'holdout', decided: 2000, rescued: 120 }), arm({ arm: 'email', decided: 2000, rescued: 165 })],
    messages: [messages('email', 'email', 2000)],
    armChannels: { winback: { email: ['email'] } },
    costs: COSTS,
    ...over,
  };
}

const build = (d: ReportData, options: object = {}) => buildReport(d, parseReportOptions(options));
const row = (report: RescueReport, name: string, campaign = 'winback'): ArmRow =>
  report.campaigns.find((c) => c.campaign === campaign)!.arms.find((a) => a.arm === name)!;

describe('buildReport: one arm against the holdout', () => {
  const report = build(data());
  const email = row(report, 'email');
  const holdout = row(report, 'holdout');

  it('matches the statistics layer’s reference values: Wilson 165/2000, z-test 165/2000 vs 120/2000', () => {
    expect(email.rate!.estimate).toBe(0.0825);
    expect(email.rate!.lower).toBeCloseTo(0.07123, 5);
    expect(email.rate!.upper).toBeCloseTo(0.09537, 5);
    expect(email.pValue).toBeCloseTo(0.00568, 5);
    expect(email.lift!.estimate).toBeCloseTo(0.0225, 12);
    expect(email.lift!.lower).toBeGreaterThan(0);
    expect(email.relativeLift).toMatchObject({ estimable: true });
    expect(email.relativeLift!.ratio).toBeCloseTo(1.375, 12);
  });

  it('lists the holdout first, as the baseline without a lift of its own', () => {
    expect(report.campaigns[0]!.arms.map((a) => a.arm)).toEqual(['holdout', 'email']);
    expect(holdout).toMatchObject({ holdout: true, verdict: 'baseline', lift: null, pValue: null, costPerIncrementalRescue: null, power: null, cost: 0, channels: [] });
    expect(holdout.rate!.estimate).toBe(0.06);
  });

  it('charges each sent message its channel’s unit cost, and divides by the incremental rescues', () => {
    expect(email.cost).toBeCloseTo(2, 12);
    // 2 USD / (0.0225 × 2000) = 0.0444… per incremental rescue; the bounds come from the lift's bounds.
    expect(email.costPerIncrementalRescue).toMatchObject({ kind: 'bounded' });
    const c = email.costPerIncrementalRescue as { estimate: number; lower: number; upper: number };
    expect(c.estimate).toBeCloseTo(2 / 45, 12);
    expect(c.lower).toBeCloseTo(2 / (email.lift!.upper * 2000), 12);
    expect(c.upper).toBeCloseTo(2 / (email.lift!.lower * 2000), 12);
  });

  it('judges power on the observed lift without a planned effect (z = 2.77 is short of ~2.8: underpowered)', () => {
    expect(email.power).toMatchObject({ effectSource: 'observed', underpowered: true });
    expect(email.verdict).toBe('underpowered');
    expect(report.campaigns[0]!.power.message).toMatch(/no minimum detectable effect set/);
  });

  it('declares a winner with a planned effect the arms are large enough for', () => {
    const planned = build(data(), { minimumDetectableEffect: 0.03 });
    expect(row(planned, 'email').verdict).toBe('better');
    expect(row(planned, 'email').power).toMatchObject({ effectSource: 'planned', effect: 0.03, underpowered: false });
  });

  it('is plain JSON that its schema accepts, and the same for the same data', () => {
    expect(RescueReport.parse(JSON.parse(JSON.stringify(report)))).toEqual(report);
    expect(build(data())).toEqual(report);
    expect(report).toMatchObject({ asOf: '2026-03-01T00:00:00.000Z', confidence: 0.95, minimumDetectableEffect: null, revenueDays: 30, costs: COSTS });
  });
});

describe('buildReport: the power note', () => {
  const base = () => data({ arms: [arm({ arm: 'holdout', decided: 700, rescued: 35 }), arm({ arm: 'email', decided: 500, rescued: 50 })] });

  it('gives the users per arm for the planned effect (p0 = 5%, d = 4 pp → 638) and calls a smaller group underpowered', () => {
    const report = build(base(), { minimumDetectableEffect: 0.04 });
    expect(report.campaigns[0]!.power).toMatchObject({ minimumDetectableEffect: 0.04, baseRate: 0.05, requiredPerArm: 638, smallestGroup: 500 });
    expect(report.campaigns[0]!.power.message).toMatch(/needs 638 decided rescues in each of two equal groups; underpowered, so no winner is declared: email \(500 decided, power 7\d\.\d%\)/);
    expect(row(report, 'email')).toMatchObject({ verdict: 'underpowered', power: { requiredPerArm: 638 } });
  });

  it('says when every group is large enough', () => {
    const report = build(data({ arms: [arm({ arm: 'holdout', decided: 700, rescued: 35 }), arm({ arm: 'email', decided: 700, rescued: 70 })] }), { minimumDetectableEffect: 0.04 });
    expect(report.campaigns[0]!.power.message).toMatch(/every arm has the users to detect it \(smallest group 700\)/);
  });

  it('takes the confidence level as the test’s alpha', () => {
    const at99 = build(base(), { minimumDetectableEffect: 0.04, confidence: 0.99 });
    expect(at99.campaigns[0]!.power.requiredPerArm).toBeGreaterThan(638);
  });

  it('refuses to size for a rate above 100%', () => {
    const report = build(data({ arms: [arm({ arm: 'holdout', decided: 10, rescued: 10 }), arm({ arm: 'email', decided: 10, rescued: 10 })] }), { minimumDetectableEffect: 0.1 });
    expect(report.campaigns[0]!.power).toMatchObject({ requiredPerArm: null, baseRate: 1 });
    expect(report.campaigns[0]!.power.message).toMatch(/above 100%: power is judged on each arm's observed lift instead/);
    expect(row(report, 'email').power).toMatchObject({ effectSource: 'observed', underpowered: true });
  });
});

describe('buildReport: channels', () => {
  const d = data({
    arms: [
      arm({ arm: 'holdout', decided: 500, rescued: 25 }),
      arm({ arm: 'email', decided: 500, rescued: 40 }),
      arm({ arm: 'sms', decided: 400, rescued: 48 }),
      arm({ arm: 'email-then-sms', decided: 600, rescued: 66 }),
    ],
    messages: [
      messages('email', 'email', 900, { delivered: 880, failed: 20, skipped: 7 }),
      messages('sms', 'sms', 390, { delivered: 370, failed: 10, skipped: 10 }),
      messages('email-then-sms', 'email', 590, { delivered: 585, failed: 5, skipped: 10 }),
      messages('email-then-sms', 'sms', 300, { delivered: 290, failed: 3, skipped: 1 }),
    ],
    armChannels: { winback: { email: ['email'], sms: ['sms'], 'email-then-sms': ['email', 'sms'] } },
  });
  const report = build(d);
  const campaign = report.campaigns[0]!;
  const channel = (name: string) => campaign.channels.find((c) => c.channel === name)!;

  it('pools the arms that send on a channel into one group against the holdout', () => {
    expect(campaign.channels.map((c) => c.channel)).toEqual(['email', 'sms']);
    expect(channel('email')).toMatchObject({ arms: ['email', 'email-then-sms'], n: 1100, rescued: 106 });
    expect(channel('sms')).toMatchObject({ arms: ['email-then-sms', 'sms'], n: 1000, rescued: 114 });
    expect(channel('sms').rate!.estimate).toBeCloseTo(0.114, 12);
    expect(channel('sms').lift!.estimate).toBeCloseTo(0.114 - 0.05, 12);
  });

  it('counts the messages on the channel, from every arm, and their cost', () => {
    expect(channel('email').messages).toEqual({ sent: 1490, delivered: 1465, failed: 25, skipped: 17 });
    expect(channel('email').channelCost).toBeCloseTo(1.49, 12);
    expect(channel('sms').messages).toEqual({ sent: 690, delivered: 660, failed: 13, skipped: 11 });
    expect(channel('sms').channelCost).toBeCloseTo(690 * 0.0079, 12);
  });

  it('charges the pooled group the full cost of its arms (every channel they used)', () => {
    const emailThenSms = 590 * 0.001 + 300 * 0.0079;
    expect(channel('sms').cost).toBeCloseTo(390 * 0.0079 + emailThenSms, 12);
    expect(channel('email').cost).toBeCloseTo(900 * 0.001 + emailThenSms, 12);
    expect(row(report, 'email-then-sms')).toMatchObject({ channels: ['email', 'sms'], messages: { sent: 890, delivered: 875, failed: 8, skipped: 11 } });
    expect(row(report, 'email-then-sms').cost).toBeCloseTo(emailThenSms, 12);
  });

  it('falls back to the channels an arm’s messages went out on when its definition is unknown', () => {
    const r = build({ ...d, armChannels: {} });
    expect(row(r, 'email-then-sms').channels).toEqual(['email', 'sms']);
    expect(r.campaigns[0]!.channels.map((c) => [c.channel, c.arms])).toEqual([
      ['email', ['email', 'email-then-sms']],
      ['sms', ['email-then-sms', 'sms']],
    ]);
  });

  it('follows the report’s unit costs', () => {
    const r = build({ ...d, costs: { ...COSTS, sms: 0.05 } });
    expect(r.campaigns[0]!.channels.find((c) => c.channel === 'sms')!.channelCost).toBeCloseTo(690 * 0.05, 12);
  });
});

describe('buildReport: what cannot be computed is said, not invented', () => {
  it('a campaign without a holdout has rates but no lift', () => {
    const report = build(data({ arms: [arm({ arm: 'email', decided: 100, rescued: 9 })] }));
    expect(row(report, 'email')).toMatchObject({ verdict: 'no holdout', lift: null, pValue: null, costPerIncrementalRescue: null });
    expect(row(report, 'email').rate!.estimate).toBe(0.09);
    expect(report.campaigns[0]!.power).toMatchObject({ baseRate: null, message: 'the campaign has no holdout: no lift can be estimated' });
    expect(report.campaigns[0]!.channels[0]).toMatchObject({ channel: 'email', verdict: 'no holdout' });
  });

  it('a holdout with nothing decided yet: the arms cannot be compared', () => {
    const report = build(data({ arms: [arm({ arm: 'holdout', assigned: 40, decided: 0, rescued: 0 }), arm({ arm: 'email', decided: 100, rescued: 9 })] }));
    expect(row(report, 'holdout')).toMatchObject({ verdict: 'no outcomes yet', rate: null, n: 0, assigned: 40, pending: 40 });
    expect(row(report, 'email').verdict).toBe('no holdout');
    expect(report.campaigns[0]!.power.message).toMatch(/no holdout rescue is decided yet/);
  });

  it('an arm with nothing decided yet has no rate and no verdict beyond that', () => {
    const report = build(data({ arms: [arm({ arm: 'holdout', decided: 100, rescued: 5 }), arm({ arm: 'email', assigned: 30, decided: 0, rescued: 0 })] }));
    expect(row(report, 'email')).toMatchObject({ verdict: 'no outcomes yet', rate: null, lift: null, n: 0, pending: 30, revenuePerUser: null });
    expect(report.campaigns[0]!.returnCurve.map((c) => c.arm)).toEqual(['holdout']);
  });

  it('no arm with a rescued user: the relative lift is not estimable and the cost per rescue undefined', () => {
    const report = build(data({ arms: [arm({ arm: 'holdout', decided: 100, rescued: 0 }), arm({ arm: 'email', decided: 100, rescued: 0 })] }));
    expect(row(report, 'email').relativeLift).toMatchObject({ estimable: false, ratio: null });
    expect(row(report, 'email').costPerIncrementalRescue).toMatchObject({ kind: 'undefined' });
    expect(row(report, 'email').medianDaysToReturn).toBeNull();
  });

  it('no rescues at all: no campaigns and no cutoff', () => {
    expect(build(data({ arms: [], messages: [], asOf: null }))).toMatchObject({ campaigns: [], asOf: null });
  });
});

describe('buildReport: return times, revenue, pending', () => {
  const d = data({
    arms: [
      arm({ arm: 'holdout', assigned: 12, decided: 10, rescued: 2, returnDays: [3.5, 9], revenue: 20 }),
      arm({ arm: 'email', assigned: 11, decided: 8, rescued: 4, returnDays: [0.25, 1, 2.5, 7], revenue: 99.9, windowDays: 7 }),
    ],
  });
  const report = build(d);
  const campaign = report.campaigns[0]!;

  it('counts pending rescues apart from the decided ones', () => {
    expect(row(report, 'holdout')).toMatchObject({ assigned: 12, pending: 2, n: 10 });
    expect(row(report, 'email')).toMatchObject({ assigned: 11, pending: 3, n: 8 });
  });

  it('gives the median days to return among the rescued', () => {
    expect(row(report, 'email').medianDaysToReturn).toBe(1.75);
    expect(row(report, 'holdout').medianDaysToReturn).toBe(6.25);
  });

  it('draws the return curve as the share back within d days, d = 0 … the longest window', () => {
    expect(campaign.windowDays).toBe(14);
    const email = campaign.returnCurve.find((c) => c.arm === 'email')!;
    expect(email.share).toHaveLength(15);
    // Back by day 0: none; by day 1: 0.25 and 1; by day 3: + 2.5; by day 7 onwards: all four of 8.
    expect(email.share.slice(0, 9)).toEqual([0, 2 / 8, 2 / 8, 3 / 8, 3 / 8, 3 / 8, 3 / 8, 4 / 8, 4 / 8]);
    expect(email.share[14]).toBe(0.5);
    const holdout = campaign.returnCurve.find((c) => c.arm === 'holdout')!;
    expect(holdout).toMatchObject({ holdout: true });
    expect(holdout.share[3]).toBe(0);
    expect(holdout.share[4]).toBe(0.1);
    expect(holdout.share[9]).toBe(0.2);
  });

  it('reports revenue after rescue in total and per decided rescue', () => {
    expect(row(report, 'email')).toMatchObject({ revenueAfterRescue: 99.9, revenuePerUser: 12.4875 });
    expect(row(report, 'holdout')).toMatchObject({ revenueAfterRescue: 20, revenuePerUser: 2 });
  });
});

describe('buildReport: order', () => {
  it('puts the holdout first and the arms in code-unit order, whatever order the rows came in', () => {
    const arms = ['sms', 'Email', 'email', 'holdout', 'email-then-sms'].map((name) => arm({ arm: name, decided: 10, rescued: 1 }));
    expect(build(data({ arms })).campaigns[0]!.arms.map((a) => a.arm)).toEqual(['holdout', 'Email', 'email', 'email-then-sms', 'sms']);
  });
});

describe('buildReport: several campaigns', () => {
  it('reports each campaign on its own, by name', () => {
    const d = data({
      arms: [
        arm({ arm: 'holdout', decided: 100, rescued: 5 }),
        arm({ arm: 'email', decided: 100, rescued: 9 }),
        arm({ campaign: 'onboarding', arm: 'email', decided: 50, rescued: 20 }),
        arm({ campaign: 'onboarding', arm: 'holdout', decided: 50, rescued: 10 }),
      ],
      messages: [messages('email', 'email', 100), { ...messages('email', 'email', 50), campaign: 'onboarding' }],
      armChannels: { winback: { email: ['email'] }, onboarding: { email: ['email'] } },
    });
    const report = build(d);
    expect(report.campaigns.map((c) => c.campaign)).toEqual(['onboarding', 'winback']);
    expect(row(report, 'email', 'onboarding')).toMatchObject({ n: 50, rescued: 20, messages: { sent: 50 } });
    expect(row(report, 'email', 'onboarding').lift!.estimate).toBeCloseTo(0.2, 12);
    expect(row(report, 'email', 'winback')).toMatchObject({ messages: { sent: 100 } });
  });
});

describe('report options', () => {
  const problems = (options: unknown) => {
    try {
      parseReportOptions(options);
    } catch (error) {
      expect(error).toBeInstanceOf(ReportOptionsError);
      return (error as ReportOptionsError).issues;
    }
    throw new Error('expected the options to be refused');
  };

  it('fill defaults and take instants as ISO text or dates', () => {
    expect(parseReportOptions({})).toEqual({ confidence: 0.95, revenueDays: 30 });
    expect(parseReportOptions({ since: '2026-01-01T00:00:00Z', until: new Date('2026-02-01T00:00:00Z') })).toMatchObject({
      since: new Date('2026-01-01T00:00:00Z'),
      until: new Date('2026-02-01T00:00:00Z'),
    });
  });

  it('name the option and the rule for each mistake, all at once', () => {
    expect(problems({ confidence: 95, since: 'yesterday', minimumDetectableEffect: 0, revenueDays: 1.5, costs: { sms: -1 } })).toEqual([
      { option: 'since', message: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z' },
      { option: 'confidence', message: 'must be between 0 and 1 (exclusive), e.g. 0.95' },
      { option: 'minimumDetectableEffect', message: 'must be above 0, e.g. 0.02 for 2 percentage points' },
      { option: 'costs.sms', message: 'must be 0 or more' },
      { option: 'revenueDays', message: 'must be a whole number of days' },
    ]);
  });

  it('refuse an empty range and unknown options', () => {
    expect(problems({ since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' })).toEqual([{ option: 'until', message: 'must be after since' }]);
    expect(problems({ campaing: 'winback' })[0]!.message).toMatch(/unknown option: allowed are campaign, since, until/);
    expect(problems({ costs: { fax: 1 } })[0]!.option).toBe('costs');
  });
});
