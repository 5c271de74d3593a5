import { describe, expect, it } from 'vitest';
import { checkLifts, formatLiftChecks, plantedRates, type AssignedProbability, type ReportLifts } from '../../sim/planted.ts';

const rows = (campaign: string, arm: string, probabilities: number[]): AssignedProbability[] =>
  probabilities.map((probability) => ({ campaign, arm, holdout: arm === 'holdout', probability }));

const truth = [
  ...rows('winback', 'sms', [0.12, 0.12, 0.12, 0.05]),
  ...rows('winback', 'holdout', [0.05, 0.05]),
  ...rows('winback', 'email', [0.09, 0.09]),
  ...rows('onboarding', 'email', [0.09]),
];

describe('planted rates and lifts', () => {
  it('averages the true probabilities of the users actually in each arm, holdout first', () => {
    const planted = plantedRates(truth);
    expect(planted.map((a) => [a.campaign, a.arm, a.n])).toEqual([
      ['onboarding', 'email', 1],
      ['winback', 'holdout', 2],
      ['winback', 'email', 2],
      ['winback', 'sms', 4],
    ]);
    const sms = planted.find((a) => a.arm === 'sms')!;
    expect(sms.rate).toBeCloseTo((0.12 * 3 + 0.05) / 4, 12);
    expect(sms.lift).toBeCloseTo((0.12 * 3 + 0.05) / 4 - 0.05, 12);
    expect(planted.find((a) => a.campaign === 'onboarding')!.lift).toBeNull();
  });

  it('checks each arm and channel interval of the report against the planted lift of the same users', () => {
    const report: ReportLifts = {
      confidence: 0.95,
      campaigns: [
        {
          campaign: 'winback',
          arms: [
            { arm: 'holdout', holdout: true, lift: null },
            { arm: 'email', holdout: false, lift: { estimate: 0.03, lower: 0.01, upper: 0.05 } },
            { arm: 'sms', holdout: false, lift: { estimate: 0.2, lower: 0.1, upper: 0.3 } },
          ],
          channels: [
            { channel: 'email', arms: ['email'], lift: { estimate: 0.03, lower: 0.01, upper: 0.05 } },
            { channel: 'sms', arms: ['sms', 'email'], lift: null },
          ],
        },
        { campaign: 'onboarding', arms: [{ arm: 'email', holdout: false, lift: null }], channels: [] },
      ],
    };
    const checks = checkLifts(report, truth);
    expect(checks.map((c) => [c.group, c.n, c.covered])).toEqual([
      ['email', 2, true],
      ['sms', 4, false],
      ['channel:email', 2, true],
      ['channel:sms', 6, null],
    ]);
    expect(checks[3]!.planted).toBeCloseTo((0.12 * 3 + 0.05 + 0.09 * 2) / 6 - 0.05, 12);
    const table = formatLiftChecks(checks, 0.95);
    expect(table).toContain('measured lift [95% CI]');
    expect(table).toMatch(/sms\s+4\s+5\.25 pp\s+20\.00 pp \[10\.00, 30\.00\]\s+NO/);
  });
});
