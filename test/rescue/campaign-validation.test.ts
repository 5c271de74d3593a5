import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../rules/policy.ts';
import { defaultPolicy } from '../../rules/default-policy.ts';
import { expectOneIssue } from '../support/policy-issues.ts';

/** A valid policy with one campaign; `campaign` and `extra` replace parts. Line numbers are counted from here. */
const policy = (campaign: string, extra = '') => `name: test
stages:
  - stage: active
    when: { since_last_activity: { lt: 7 days } }
  - stage: churned
    otherwise: true
triggers:
  - { from: active, to: churned, rescue: winback }
templates:
  hello:
    email: { subject: "Hi", body: "Come back for {{offer}}. {{unsubscribe_url}}" }
    sms: { body: "Come back, {{user.firstName}}" }
campaigns:
${campaign}${extra}`;

const good = `  - name: winback
    arms:
      - name: email
        steps:
          - wait: 1 day
          - send: { channel: email, template: hello }
    holdout: 0.1
    variables: { offer: "20% off" }
`;



describe('campaigns in the policy', () => {
  it('accepts a campaign and fills its defaults', () => {
    const parsed = parsePolicy(policy(good));
    expect(parsed.campaigns[0]).toMatchObject({ name: 'winback', holdout: 0.1, success: 'activity', window: '14 days', arms: [{ name: 'email', weight: 1 }] });
    expect(parsed.templates.hello!.email!.subject).toBe('Hi');
  });

  it('the default policy defines the campaigns its triggers name, and the messaging rules', () => {
    const p = defaultPolicy();
    expect(p.campaigns.map((c) => c.name)).toEqual(['winback', 'onboarding']);
    expect(new Set(p.triggers.map((t) => t.rescue))).toEqual(new Set(['winback', 'onboarding']));
    expect(p.quiet_hours).toEqual({ start: '21:00', end: '09:00', fallback_zone: 'UTC' });
    expect(p.frequency_cap).toEqual({ per_day: 1, per_week: 3 });
  });

  it('a trigger naming an undefined campaign', () => {
    expectOneIssue(policy(good.replace('name: winback', 'name: win-back')), { line: 8, column: 42, path: 'triggers[0].rescue' }, /campaign "winback" is not defined: campaigns are win-back/);
    const none = policy('[]\n').replace('campaigns:\n[]', 'campaigns: []');
    expectOneIssue(none, { line: 8, column: 42, path: 'triggers[0].rescue' }, /campaign "winback" is not defined: add it under "campaigns:"/);
  });

  it('a send naming an undefined template', () => {
    expectOneIssue(policy(good.replace('template: hello', 'template: hullo')), { line: 19, column: 47, path: 'campaigns[0].arms[0].steps[1].send.template' }, /template "hullo" is not defined: templates are hello/);
  });

  it('a send on a channel the template has no version for', () => {
    expectOneIssue(policy(good.replace('channel: email', 'channel: webhook')), { line: 19, column: 49, path: 'campaigns[0].arms[0].steps[1].send.template' }, /template "hello" has no webhook version: add templates\.hello\.webhook/);
  });

  it('an email template without a subject', () => {
    const source = policy(good).replace('email: { subject: "Hi", body:', 'email: { body:');
    expectOneIssue(source, { line: 11, column: 12, path: 'templates.hello.email.subject' }, /an email template needs a subject/);
  });

  it('a template variable the campaign does not define', () => {
    expectOneIssue(policy(good.replace('variables: { offer: "20% off" }', 'variables: { discount: "20% off" }')), { line: 19, column: 47, path: 'campaigns[0].arms[0].steps[1].send.template' }, /uses \{\{offer\}\}, which campaign "winback" does not define/);
  });

  it('{{unsubscribe_url}} is for email only', () => {
    const source = policy(good.replace('channel: email', 'channel: sms')).replace('Come back, {{user.firstName}}', 'Stop: {{unsubscribe_url}}');
    expectOneIssue(source, { line: 19, column: 45, path: 'campaigns[0].arms[0].steps[1].send.template' }, /uses \{\{unsubscribe_url\}\}/);
  });

  it('an unknown channel', () => {
    expectOneIssue(policy(good.replace('channel: email', 'channel: push')), { line: 19, column: 30, path: 'campaigns[0].arms[0].steps[1].send.channel' }, /unknown channel "push": channels are email, sms, webhook/);
  });

  it('a step that is both a wait and a send, or neither', () => {
    expectOneIssue(policy(good.replace('- wait: 1 day', '- { wait: 1 day, send: { channel: sms, template: hello } }')), { line: 18, column: 13, path: 'campaigns[0].arms[0].steps[0]' }, /a step is exactly one of "wait: <duration>" or "send: \{ channel, template \}"/);
  });

  it('a wait that is not a duration', () => {
    expectOneIssue(policy(good.replace('wait: 1 day', 'wait: 1 fortnight')), { line: 18, column: 19, path: 'campaigns[0].arms[0].steps[0].wait' }, /"1 fortnight" has unknown unit "fortnight"/);
  });

  it('waits that reach the attribution window', () => {
    expectOneIssue(policy(good.replace('wait: 1 day', 'wait: 14 days')), { line: 18, column: 19, path: 'campaigns[0].arms[0].steps[0].wait' }, /waits add up to 14 days, the attribution window is 14 days/);
  });

  it('a holdout share of 1 or more, or below zero', () => {
    expectOneIssue(policy(good.replace('holdout: 0.1', 'holdout: 1')), { line: 20, column: 14, path: 'campaigns[0].holdout' }, /holdout share is below 1/);
    expectOneIssue(policy(good.replace('holdout: 0.1', 'holdout: -0.1')), { line: 20, column: 14, path: 'campaigns[0].holdout' }, /holdout share is 0 or more/);
  });

  it('an arm weight of zero', () => {
    expectOneIssue(policy(good.replace('- name: email', '- name: email\n        weight: 0')), { line: 17, column: 17, path: 'campaigns[0].arms[0].weight' }, /an arm weight is above zero/);
  });

  it('an arm named holdout, and an arm with no send', () => {
    expectOneIssue(policy(good.replace('- name: email', '- name: holdout')), { line: 16, column: 15, path: 'campaigns[0].arms[0].name' }, /"holdout" is reserved for the holdout/);
    expectOneIssue(policy(good.replace('          - send: { channel: email, template: hello }\n', '')), { line: 18, column: 11, path: 'campaigns[0].arms[0].steps' }, /an arm needs at least one send step/);
  });

  it('two campaigns with one name, and two arms with one name', () => {
    expectOneIssue(policy(good + good), { line: 22, column: 11, path: 'campaigns[1].name' }, /campaign "winback" is defined twice \(first as campaigns\[0\]\)/);
    const twoArms = good.replace('    holdout', '      - name: email\n        steps: [{ send: { channel: sms, template: hello } }]\n    holdout');
    expectOneIssue(policy(twoArms), { line: 20, column: 15, path: 'campaigns[0].arms[1].name' }, /arm "email" is listed twice in campaign "winback"/);
  });

  it('a success that is neither activity nor an event', () => {
    expectOneIssue(policy(good, '    success: purchase\n'), { line: 22, column: 14, path: 'campaigns[0].success' }, /expected "activity" \(any activity event\) or \{ event: <conversion event name> \}/);
    expect(parsePolicy(policy(good, '    success: { event: subscription_renewed }\n')).campaigns[0]!.success).toEqual({ event: 'subscription_renewed' });
  });

  it('quiet hours with a bad time or an unknown zone', () => {
    expectOneIssue(policy(good, 'quiet_hours: { start: "9pm", end: "09:00" }\n'), { line: 22, column: 23, path: 'quiet_hours.start' }, /expected a time of day HH:MM/);
    expectOneIssue(policy(good, 'quiet_hours: { start: "21:00", end: "09:00", fallback_zone: Mars/Olympus }\n'), { line: 22, column: 61, path: 'quiet_hours.fallback_zone' }, /unknown time zone "Mars\/Olympus"/);
  });

  it('a frequency cap whose week allows less than its day', () => {
    expectOneIssue(policy(good, 'frequency_cap: { per_day: 2, per_week: 1 }\n'), { line: 22, column: 40, path: 'frequency_cap.per_week' }, /per_week \(1\) is below per_day \(2\)/);
    expectOneIssue(policy(good, 'frequency_cap: { per_day: 0, per_week: 1 }\n'), { line: 22, column: 27, path: 'frequency_cap.per_day' }, /a cap is at least 1/);
  });

  it('an unknown key in a campaign names the allowed ones', () => {
    expectOneIssue(policy(good, '    channel: email\n'), { line: 22, column: 5, path: 'campaigns[0].channel' }, /unknown key "channel": allowed are name, description, salt, arms, holdout, success, window, variables, quiet_hours/);
  });
});
