import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../rules/default-policy.ts';
import { parsePolicy } from '../../rules/policy.ts';
import { expectOneIssue, policyIssues } from '../support/policy-issues.ts';

/** A valid policy; `costs` is appended as written. Line numbers are counted from here: costs start on line 6. */
const policy = (costs: string) => `name: test
stages:
  - stage: churned
    otherwise: true
# costs follow
${costs}`;



describe('unit costs in the policy', () => {
  it('are optional: a policy without them has none', () => {
    expect(parsePolicy(policy('')).costs).toBeUndefined();
  });

  it('fill the currency and unnamed channels with defaults', () => {
    expect(parsePolicy(policy('costs: { sms: 0.0079 }')).costs).toEqual({ currency: 'USD', email: 0, sms: 0.0079, webhook: 0 });
    expect(parsePolicy(policy('costs:\n  currency: EUR\n  email: 0.002\n  webhook: 0.0001')).costs).toEqual({
      currency: 'EUR',
      email: 0.002,
      sms: 0,
      webhook: 0.0001,
    });
  });

  it('the default policy sets them', () => {
    expect(defaultPolicy().costs).toEqual({ currency: 'USD', email: 0.001, sms: 0.0079, webhook: 0 });
  });

  it('refuse a negative cost, with its line and column', () => {
    expectOneIssue(policy('costs:\n  email: 0.001\n  sms: -0.01'), { line: 8, column: 8, path: 'costs.sms' }, /a cost per message is 0 or more/);
  });

  it('refuse a cost that is not a number', () => {
    expectOneIssue(policy('costs: { email: cheap }'), { line: 6, column: 17, path: 'costs.email' }, /expected a cost per message as a number/);
  });

  it('refuse an unknown channel on the key itself, listing the allowed keys', () => {
    expectOneIssue(policy('costs:\n  email: 0.001\n  fax: 0.5'), { line: 8, column: 3, path: 'costs.fax' }, /unknown key "fax": allowed are currency, email, sms, webhook/);
  });

  it('refuse a currency that is not an ISO code', () => {
    expectOneIssue(policy('costs: { currency: dollars }'), { line: 6, column: 20, path: 'costs.currency' }, /three-letter ISO 4217 currency code/);
  });

  it('refuse costs that are not a mapping', () => {
    expectOneIssue(policy('costs: [0.001, 0.0079]'), { line: 6, column: 8, path: 'costs' }, /expected a mapping such as \{ currency: USD, email: 0.001, sms: 0.0079 \}, got a list/);
  });

  it('report every bad cost at once', () => {
    const found = policyIssues(policy('costs:\n  email: -1\n  sms: x\n  currency: usd'));
    expect(found.map((i) => `${i.line}:${i.column} ${i.path}`).sort()).toEqual(['7:10 costs.email', '8:8 costs.sms', '9:13 costs.currency'].sort());
  });
});
