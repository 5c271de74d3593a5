import { assignArm } from '../../rules/assignment.ts';
import { parsePolicy } from '../../rules/policy.ts';
import { stagesYaml } from '../engine/policies.ts';

/**
 * The default stages (silent after 7 days), quiet hours 21:00–09:00, a cap of 1 a day and 3 a week,
 * and two campaigns: `winback` (two arms of an email and an SMS two days apart, 20% holdout) and
 * `nudge` (one email after a day). `rescueTriggers` makes moving to silent or churned start winback.
 */
/** Two templates, each with an email and an SMS version, used by the rescue suites. */
export const rescueTemplatesYaml = `templates:
  first:
    email: { subject: "We miss you", body: "Come back for {{offer}}. Unsubscribe: {{unsubscribe_url}}" }
    sms: { body: "Come back for {{offer}}. Reply STOP to opt out." }
  second:
    email: { subject: "Last call", body: "{{offer}} ends soon. Unsubscribe: {{unsubscribe_url}}" }
    sms: { body: "{{offer}} ends soon. Reply STOP to opt out." }
`;

export function rescuePolicy(options: { rescueTriggers?: boolean } = {}): string {
  return `
name: rescue-test
${stagesYaml()}
triggers:
${options.rescueTriggers ? '  - { from: "*", to: silent, rescue: winback }\n  - { from: "*", to: churned, rescue: winback }' : '  - { from: active, to: silent, warn: { webhook: "http://127.0.0.1:9/unused" } }'}
quiet_hours: { start: "21:00", end: "09:00", fallback_zone: UTC }
frequency_cap: { per_day: 1, per_week: 3 }
${rescueTemplatesYaml}campaigns:
  - name: winback
    arms:
      - name: email-then-sms
        steps:
          - wait: 1 day
          - send: { channel: email, template: first }
          - wait: 2 days
          - send: { channel: sms, template: second }
      - name: sms-then-email
        steps:
          - wait: 1 day
          - send: { channel: sms, template: first }
          - wait: 2 days
          - send: { channel: email, template: second }
    holdout: 0.2
    window: 7 days
    variables: { offer: "20% off" }
  - name: nudge
    arms:
      - name: email
        steps:
          - wait: 1 day
          - send: { channel: email, template: first }
    window: 3 days
    variables: { offer: "a free month" }
`;
}

/** The first id `<prefix>-<i>` that the policy's campaign assigns to `arm`. */
export function userInArm(prefix: string, campaignName: string, arm: string): string {
  const campaign = parsePolicy(rescuePolicy()).campaigns.find((c) => c.name === campaignName)!;
  for (let i = 0; ; i++) {
    const id = `${prefix}-${i}`;
    if (assignArm(id, campaign).arm === arm) return id;
  }
}
