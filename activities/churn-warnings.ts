import { ApplicationFailure } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { postWebhook } from './channels/webhook.ts';

export const churnWarningInput = z.object({
  /** Identifies the transition (user and instant); with the target it makes the warning's idempotency key. */
  transitionKey: z.string().min(1),
  userId: z.string().min(1),
  fromStage: z.string().nullable(),
  toStage: z.string(),
  at: z.string().datetime(),
  policyVersion: z.number().int(),
  target: z.discriminatedUnion('channel', [
    z.object({ channel: z.literal('webhook'), url: z.string().url() }),
    z.object({ channel: z.literal('email'), to: z.string().email() }),
  ]),
});
export type ChurnWarningInput = z.infer<typeof churnWarningInput>;

export interface ChurnWarningDeps {
  database: Database;
  /** Secret for the webhook signature header; receivers verify with `verifyWebhook`. */
  webhookSecret: string;
  mailer?: Transporter;
  teamSender?: string;
  fetch?: typeof fetch;
  webhookTimeoutMs?: number;
}

type Outcome = 'sent' | 'already-sent';

export function createSendChurnWarning(deps: ChurnWarningDeps) {
  const send = deps.fetch ?? fetch;
  return async function sendChurnWarning(raw: ChurnWarningInput): Promise<Outcome> {
    const parsed = churnWarningInput.safeParse(raw);
    // A malformed warning stays malformed however often it is retried.
    if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid churn warning: ${z.prettifyError(parsed.error)}`, 'InvalidInput');
    const input = parsed.data;
    const target = input.target.channel === 'webhook' ? input.target.url : input.target.to;
    const key = `${input.transitionKey}:${input.target.channel}:${target}`;
    await deps.database.query(
      `insert into churn_warnings (key, user_id, from_stage, to_stage, channel, target, status)
       values ($1, $2, $3, $4, $5, $6, 'pending') on conflict (key) do nothing`,
      [key, input.userId, input.fromStage, input.toStage, input.target.channel, target],
    );
    const [row] = await deps.database.query<{ status: string }>(`select status from churn_warnings where key = $1`, [key]);
    if (row?.status === 'sent') return 'already-sent';

    const text = await describe(deps.database, input);
    try {
      if (input.target.channel === 'webhook') await sendWebhook(send, deps, input.target.url, key, { text, ...summary(input) });
      else await sendEmail(deps, input.target.to, key, text);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof ApplicationFailure && error.nonRetryable;
      await deps.database.query(
        `update churn_warnings set attempts = attempts + 1, last_error = $2, status = $3 where key = $1`,
        [key, message, permanent ? 'failed' : 'pending'],
      );
      throw error;
    }
    await deps.database.query(
      `update churn_warnings set attempts = attempts + 1, status = 'sent', sent_at = now(), last_error = null where key = $1`,
      [key],
    );
    return 'sent';
  };
}

function summary(input: ChurnWarningInput) {
  return {
    userId: input.userId,
    from: input.fromStage,
    to: input.toStage,
    at: input.at,
    policyVersion: input.policyVersion,
  };
}

/** The team may see who the user is; only the workflow's history must stay free of personal data. */
async function describe(database: Database, input: ChurnWarningInput): Promise<string> {
  const [user] = await database.query<{ traits: Record<string, unknown> }>(`select traits from users where id = $1`, [
    input.userId,
  ]);
  const email = typeof user?.traits.email === 'string' ? ` (${user.traits.email})` : '';
  return `Churn warning: user ${input.userId}${email} moved from ${input.fromStage ?? 'nothing'} to ${input.toStage} at ${input.at} (policy v${input.policyVersion}).`;
}

async function sendWebhook(send: typeof fetch, deps: ChurnWarningDeps, url: string, key: string, payload: object): Promise<void> {
  const outcome = await postWebhook(send, { secret: deps.webhookSecret, timeoutMs: deps.webhookTimeoutMs ?? 10_000 }, url, key, payload);
  if (outcome.kind === 'sent') return;
  if (outcome.kind === 'rejected') throw ApplicationFailure.nonRetryable(outcome.reason, 'WebhookRejected');
  // Retried under the same Idempotency-Key: the receiver may have acted before failing.
  throw new Error(outcome.reason);
}

async function sendEmail(deps: ChurnWarningDeps, to: string, key: string, text: string): Promise<void> {
  if (!deps.mailer) throw ApplicationFailure.nonRetryable('no mail transport configured (set SMTP_URL)', 'NoMailer');
  await deps.mailer.sendMail({
    from: deps.teamSender ?? 'lifeline@localhost',
    to,
    subject: text.slice(0, 120),
    text,
    messageId: `<${key.replace(/[^A-Za-z0-9.-]/g, '-')}@lifeline>`,
  });
}
