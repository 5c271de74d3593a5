import { z } from 'zod';
import { DURATION_GRAMMAR, formatDuration, parseDuration } from './duration.ts';

/** Win-back campaigns: arms of wait/send steps, a holdout, the success definition and the messaging rules. */

export const CHANNELS = ['email', 'sms', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];
export const HOLDOUT_ARM = 'holdout';

const listOf = (words: readonly string[]) => words.join(', ');

// The same error wording as the rest of the policy (rules/policy.ts); kept here because policy.ts imports this file.
const strict = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}: allowed are ${listOf(Object.keys(shape))}`
        : issue.code === 'invalid_type'
          ? `expected a mapping, got ${issue.input === null ? 'nothing' : Array.isArray(issue.input) ? 'a list' : typeof issue.input}`
          : undefined,
  });

const window = z.string({ error: `expected a duration: ${DURATION_GRAMMAR}` }).check((ctx) => {
  const ms = parseDuration(ctx.value);
  if (typeof ms === 'string') ctx.issues.push({ code: 'custom', message: ms, input: ctx.value });
  else if (ms === 0) ctx.issues.push({ code: 'custom', message: 'must be longer than zero', input: ctx.value });
});

const Name = (what: string) =>
  z
    .string({ error: `expected a ${what} name` })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, `a ${what} name is letters, digits, "_" and "-", starting with a letter or digit`);

const Text = (what: string) => z.string({ error: `expected the ${what} text` }).min(1, `the ${what} cannot be empty`);

const Channel = z.enum(CHANNELS, { error: (issue) => `unknown channel ${JSON.stringify(issue.input)}: channels are ${listOf(CHANNELS)}` });

export const TemplateSchema = strict({
  email: strict({ subject: z.string({ error: 'an email template needs a subject' }).min(1, 'an email template needs a subject'), body: Text('body') }).optional(),
  sms: strict({ body: Text('body') }).optional(),
  webhook: strict({
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
    subject: z.string().optional(),
    body: Text('body'),
  }).optional(),
}).check((ctx) => {
  if (!CHANNELS.some((c) => ctx.value[c])) {
    ctx.issues.push({ code: 'custom', message: `a template needs a version for at least one channel: ${listOf(CHANNELS)}`, input: ctx.value });
  }
});
export type Template = z.infer<typeof TemplateSchema>;

const HHMM = z.string({ error: 'expected a time of day HH:MM' }).regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day HH:MM (00:00–23:59)');

/** True for an IANA zone this runtime knows (validation only: the workflow never touches Intl). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const QuietHoursSchema = strict({
  start: HHMM,
  end: HHMM,
  fallback_zone: z
    .string({ error: 'expected an IANA time zone such as Europe/Berlin' })
    .refine(isTimeZone, { error: (issue) => `unknown time zone ${JSON.stringify(issue.input)}: use an IANA name such as Europe/Berlin or UTC` })
    .default('UTC'),
});
export type QuietHours = z.infer<typeof QuietHoursSchema>;

const PerWindow = z.int({ error: 'expected a whole number' }).positive('a cap is at least 1');
export const FrequencyCapSchema = strict({ per_day: PerWindow, per_week: PerWindow }).check((ctx) => {
  if (ctx.value.per_week < ctx.value.per_day) {
    ctx.issues.push({ code: 'custom', path: ['per_week'], message: `per_week (${ctx.value.per_week}) is below per_day (${ctx.value.per_day})`, input: ctx.value });
  }
});
export type FrequencyCap = z.infer<typeof FrequencyCapSchema>;

export const StepSchema = strict({
  wait: window.optional(),
  send: strict({ channel: Channel, template: Name('template') }).optional(),
}).check((ctx) => {
  const keys = (['wait', 'send'] as const).filter((k) => ctx.value[k] !== undefined);
  if (keys.length !== 1) {
    ctx.issues.push({ code: 'custom', message: 'a step is exactly one of "wait: <duration>" or "send: { channel, template }"', input: ctx.value });
  }
});
export type Step = z.infer<typeof StepSchema>;

export const ArmSchema = strict({
  name: Name('arm').refine((n) => n !== HOLDOUT_ARM, `"${HOLDOUT_ARM}" is reserved for the holdout: set the campaign's holdout share instead`),
  weight: z.number({ error: 'expected a positive number' }).positive('an arm weight is above zero').default(1),
  steps: z.array(StepSchema, { error: 'expected a list of steps' }).min(1, 'an arm needs at least one step'),
});
export type Arm = z.infer<typeof ArmSchema>;

export const SuccessSchema = z.union([z.literal('activity'), strict({ event: z.string({ error: 'expected an event name' }).min(1, 'an event name cannot be empty') })], {
  error: 'expected "activity" (any activity event) or { event: <conversion event name> }',
});
export type Success = z.infer<typeof SuccessSchema>;

export const CampaignSchema = strict({
  name: Name('campaign'),
  description: z.string().optional(),
  /** Change it to re-randomise who gets which arm. */
  salt: z.string().optional(),
  arms: z.array(ArmSchema, { error: 'expected a list of arms' }).min(1, 'a campaign needs at least one arm'),
  holdout: z
    .number({ error: 'expected the holdout share as a number from 0 to below 1, e.g. 0.1' })
    .min(0, 'the holdout share is 0 or more')
    .lt(1, 'the holdout share is below 1 (a campaign that sends nothing is not a campaign)')
    .default(0),
  success: SuccessSchema.default('activity'),
  window: window.default('14 days'),
  variables: z.record(z.string(), z.string({ error: 'expected the variable text' }), { error: 'expected a mapping of variable names to text' }).default({}),
  quiet_hours: QuietHoursSchema.optional(),
});
export type Campaign = z.infer<typeof CampaignSchema>;

export const MessagingShape = {
  quiet_hours: QuietHoursSchema.optional(),
  frequency_cap: FrequencyCapSchema.optional(),
  templates: z.record(Name('template'), TemplateSchema, { error: 'expected a mapping of template names to templates' }).default({}),
  campaigns: z.array(CampaignSchema, { error: 'expected a list of campaigns' }).default([]),
};

type Report = (path: (string | number)[], message: string) => void;

const VARIABLE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

interface MessagingPolicy {
  templates: Record<string, Template>;
  campaigns: Campaign[];
  triggers: Array<{ rescue?: string | undefined }>;
}

/** Checks across campaigns, templates and triggers, once each part has the right shape. */
export function checkCampaigns(policy: MessagingPolicy, report: Report): void {
  const names = new Map<string, number>();
  policy.campaigns.forEach((campaign, c) => {
    const first = names.get(campaign.name);
    if (first !== undefined) report(['campaigns', c, 'name'], `campaign "${campaign.name}" is defined twice (first as campaigns[${first}])`);
    else names.set(campaign.name, c);
    const windowMs = parseDuration(campaign.window) as number;
    const arms = new Map<string, number>();
    campaign.arms.forEach((arm, a) => {
      const at = ['campaigns', c, 'arms', a];
      const earlier = arms.get(arm.name);
      if (earlier !== undefined) report([...at, 'name'], `arm "${arm.name}" is listed twice in campaign "${campaign.name}" (first as arms[${earlier}])`);
      else arms.set(arm.name, a);
      if (!arm.steps.some((s) => s.send)) report([...at, 'steps'], 'an arm needs at least one send step (the holdout share is the arm that gets nothing)');
      let elapsed = 0;
      arm.steps.forEach((step, s) => {
        if (step.wait) {
          elapsed += parseDuration(step.wait) as number;
          if (elapsed >= windowMs) {
            report([...at, 'steps', s, 'wait'], `the waits add up to ${formatDuration(elapsed)}, the attribution window is ${campaign.window}: what follows could never count`);
          }
        }
        if (step.send) checkSend(policy, campaign, step.send, [...at, 'steps', s, 'send'], report);
      });
    });
  });
  policy.triggers.forEach((trigger, t) => {
    if (trigger.rescue !== undefined && !names.has(trigger.rescue)) {
      const known = [...names.keys()];
      report(
        ['triggers', t, 'rescue'],
        `campaign "${trigger.rescue}" is not defined: ${known.length ? `campaigns are ${listOf(known)}` : 'add it under "campaigns:"'}`,
      );
    }
  });
}

function checkSend(policy: MessagingPolicy, campaign: Campaign, send: { channel: Channel; template: string }, at: (string | number)[], report: Report): void {
  const template = policy.templates[send.template];
  if (!template) {
    const known = Object.keys(policy.templates);
    report([...at, 'template'], `template "${send.template}" is not defined: ${known.length ? `templates are ${listOf(known)}` : 'add it under "templates:"'}`);
    return;
  }
  const version = template[send.channel];
  if (!version) {
    report([...at, 'template'], `template "${send.template}" has no ${send.channel} version: add templates.${send.template}.${send.channel}`);
    return;
  }
  const texts = [version.body, 'subject' in version ? (version.subject ?? '') : ''];
  for (const text of texts) {
    for (const [, name] of text.matchAll(VARIABLE)) {
      if (name!.startsWith('user.') || (name === 'unsubscribe_url' && send.channel === 'email') || campaign.variables[name!] !== undefined) continue;
      report(
        [...at, 'template'],
        `template "${send.template}" (${send.channel}) uses {{${name}}}, which campaign "${campaign.name}" does not define: add it under variables, or use {{user.<trait>}}${send.channel === 'email' ? ' or {{unsubscribe_url}}' : ''}`,
      );
    }
  }
}
