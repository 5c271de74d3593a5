import { ApplicationFailure } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type { Database, Query } from '../../db/client.ts';
import { messageIdFor, sendEmail } from './email.ts';
import type { ProviderOutcome } from './outcome.ts';
import { redact } from './redact.ts';
import { sendMessageInput, type Channel, type MessageStatus, type SendMessageInput, type SendResult } from './schema.ts';
import { sendSms, type SmsProvider } from './sms.ts';
import { suppress } from './suppressions.ts';
import { renderTemplate, TemplateVariableMissing } from './template.ts';
import { unsubscribeLinks } from './unsubscribe.ts';
import { postWebhook } from './webhook.ts';

export interface SendMessageDeps {
  database: Database;
  /** Pooled SMTP transport (createMailTransport). */
  mailer?: Transporter;
  emailFrom?: string;
  sms?: SmsProvider;
  /** Where this API is reachable from outside: unsubscribe links and Twilio status callbacks. */
  publicUrl?: string;
  unsubscribeSecret?: string;
  /** The mailto: half of List-Unsubscribe; defaults to unsubscribe@<domain of emailFrom>. */
  unsubscribeMailbox?: string;
  webhookSecret?: string;
  fetch?: typeof fetch;
  webhookTimeoutMs?: number;
  now?: () => Date;
}

/** Statuses after which nothing may be sent again for the same (rescue, step). */
const FINAL = new Set<MessageStatus>(['sent', 'delivered', 'failed', 'bounced', 'undelivered']);
/**
 * The prefix of the reason recorded when sendMessage cannot know whether an email or SMS went out
 * (`unknown_outcome: <what the provider call came to>`). Such a row is failed but not permanent:
 * the workflow does not fall back, which could contact the user twice.
 */
export const UNKNOWN_OUTCOME = 'unknown_outcome';
export const unknownOutcome = (detail: string) => `${UNKNOWN_OUTCOME}: ${detail}`;
export const isUnknownOutcome = (reason: string | null | undefined) => reason?.startsWith(UNKNOWN_OUTCOME) === true;

interface LedgerRow {
  id: string;
  status: MessageStatus;
  reason: string | null;
  provider_id: string | null;
  user_id: string;
  campaign: string;
  channel: Channel;
}

interface Sender {
  providerId?: string;
  call: () => Promise<ProviderOutcome>;
}

type Prepared =
  | { kind: 'done'; result: SendResult; error?: ApplicationFailure }
  | { kind: 'send'; id: string; send: () => Promise<ProviderOutcome> };

/**
 * The delivery activity the rescue workflow calls. At most once per (rescueId, step):
 *  1. in one transaction: claim the ledger row, lock the user, check suppression and the
 *     frequency cap, look up contact details, render, and mark the row `sending`;
 *  2. call the provider outside any transaction, with the idempotency key;
 *  3. record the outcome.
 * A retry that finds the row final returns it. Email and SMS are sent again only after a failure
 * that proves the provider did not take the message (an error answer, no connection): the row
 * goes back to `queued`. Any other failure (a timeout, a dropped connection), or a retry that finds
 * the row still `sending` (the last attempt died mid-call), records failed/`unknown_outcome: …`:
 * neither SMTP nor Twilio can be asked whether they took it, and a resend could deliver it twice.
 * A provider answer that arrives later still wins: the Twilio status callback (its URL names the
 * ledger row) or a slow first attempt's success moves the row to sent/delivered. Webhooks resend
 * under the same Idempotency-Key, which their receivers de-duplicate.
 */
export function createSendMessage(deps: SendMessageDeps) {
  const now = deps.now ?? (() => new Date());
  const fetchFn = deps.fetch ?? fetch;

  return async function sendMessage(raw: SendMessageInput): Promise<SendResult> {
    const parsed = sendMessageInput.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
      throw ApplicationFailure.nonRetryable(`sendMessage input is invalid: ${issues}`, 'InvalidSendMessageInput');
    }
    const input = parsed.data;
    const prepared = await deps.database.transaction((query) => prepare(query, input, now()));
    if (prepared.kind === 'done') {
      if (prepared.error) throw prepared.error;
      return prepared.result;
    }
    const outcome = await prepared.send();
    return record(prepared.id, input, outcome);
  };

  async function prepare(query: Query, input: SendMessageInput, at: Date): Promise<Prepared> {
    // An upsert that changes nothing still locks the row and returns it: claim and lock in one round trip.
    const [row] = await query<LedgerRow>(
      `insert into messages (rescue_id, step, user_id, campaign, channel, status)
       values ($1, $2, $3, $4, $5, 'queued')
       on conflict (rescue_id, step) do update set rescue_id = excluded.rescue_id
       returning id::text as id, status, reason, provider_id, user_id, campaign, channel`,
      [input.rescueId, input.step, input.userId, input.campaign, input.channel],
    );
    if (!row) throw new Error(`ledger row for ${input.rescueId} step ${input.step} vanished`);
    if (row.user_id !== input.userId || row.channel !== input.channel || row.campaign !== input.campaign) {
      throw ApplicationFailure.nonRetryable(
        `rescueId ${input.rescueId} step ${input.step} was first sent to user ${row.user_id} by ${row.channel} (campaign ${row.campaign}); an idempotency key cannot be reused for another message`,
        'IdempotencyKeyReused',
      );
    }
    if (FINAL.has(row.status)) return { kind: 'done', result: resultOf(row) };

    const set = (status: MessageStatus, reason: string | null) =>
      query(`update messages set status = $2, reason = $3, updated_at = $4 where id = $1`, [row.id, status, reason, at]);
    const finish = async (status: MessageStatus, reason: string, permanent: boolean, error?: ApplicationFailure): Promise<Prepared> => {
      await set(status, reason);
      return { kind: 'done', result: { status, reason, permanent }, error };
    };

    const resend = row.status === 'sending';
    if (resend && input.channel !== 'webhook') return finish('failed', unknownOutcome('an earlier attempt ended during the provider call'), false);

    // The user's row lock serialises every send to this user, so two campaigns cannot both pass the cap.
    const [user] = await query<{ traits: Record<string, unknown> }>(`select traits from users where id = $1 for update`, [input.userId]);
    if (!user) return finish('failed', 'unknown_user', true);

    // After the user lock, so this statement's snapshot sees every send committed before us.
    const [checks] = await query<{ suppressed: string | null; day: number; week: number }>(
      `select (select reason from suppressions where user_id = $1 and channel = $4) as suppressed,
              count(*) filter (where sent_at > $3::timestamptz - interval '24 hours')::int as day,
              count(*) filter (where sent_at > $3::timestamptz - interval '7 days')::int as week
       from messages
       where user_id = $1 and id <> $2 and status in ('sending', 'sent', 'delivered')
         and sent_at <= $3::timestamptz and sent_at > $3::timestamptz - interval '7 days'`,
      [input.userId, row.id, at, input.channel],
    );
    if (checks?.suppressed && input.channel !== 'webhook') return finish('suppressed', checks.suppressed, true);
    if (input.cap && !resend && checks) {
      if (checks.day >= input.cap.perDay) return finish('capped', `cap: ${checks.day} sent in 24 h (limit ${input.cap.perDay})`, false);
      if (checks.week >= input.cap.perWeek) return finish('capped', `cap: ${checks.week} sent in 7 days (limit ${input.cap.perWeek})`, false);
    }

    const contact = contactOf(input, user.traits);
    if (!contact) return finish('failed', 'no_contact', true);

    let send: Sender;
    try {
      send = sender(input, row.id, contact, user.traits);
    } catch (error) {
      if (error instanceof TemplateVariableMissing) {
        const reason = `template: ${error.message}`;
        return finish('failed', reason, true, ApplicationFailure.nonRetryable(error.message, 'TemplateVariableMissing'));
      }
      if (error instanceof ApplicationFailure) return finish('failed', error.message, true, error);
      throw error;
    }
    // A provider id known in advance (email's Message-ID) is stored now, so a bounce that overtakes our own record finds the row.
    await query(
      `update messages set status = 'sending', attempts = attempts + 1, sent_at = coalesce(sent_at, $2), updated_at = $2,
              provider_id = coalesce($3, provider_id) where id = $1`,
      [row.id, at, send.providerId ?? null],
    );
    return { kind: 'send', id: row.id, send: send.call };
  }

  function sender(input: SendMessageInput, ledgerId: string, contact: string, traits: Record<string, unknown>): Sender {
    const variables = { ...traitVariables(traits), ...input.variables };
    const key = `${input.rescueId}:${input.step}`;
    switch (input.channel) {
      case 'email': {
        const mailer = deps.mailer;
        const from = deps.emailFrom;
        if (!mailer || !from || !deps.publicUrl || !deps.unsubscribeSecret) {
          throw notConfigured('email needs a mail transport, emailFrom, publicUrl and unsubscribeSecret');
        }
        const domain = from.replace(/^.*@/, '').replace(/>.*$/, '');
        const links = unsubscribeLinks(
          { publicUrl: deps.publicUrl, secret: deps.unsubscribeSecret, mailbox: deps.unsubscribeMailbox ?? `unsubscribe@${domain}` },
          input.userId,
          'email',
        );
        const withLink = { ...variables, unsubscribe_url: links.url };
        const email = {
          from,
          to: contact,
          subject: renderTemplate(input.template.subject ?? '', withLink, 'subject'),
          text: renderTemplate(input.template.body, withLink, 'body'),
          messageId: messageIdFor(input.rescueId, input.step, domain),
          listUnsubscribe: links.header,
        };
        return { providerId: email.messageId, call: () => sendEmail(mailer, email) };
      }
      case 'sms': {
        const sms = deps.sms;
        if (!sms || !deps.publicUrl) throw notConfigured('sms needs a Twilio client, a sender and publicUrl');
        const body = renderTemplate(input.template.body, variables, 'body');
        // The ledger id in the callback URL lets a callback find a row whose provider id we never recorded.
        const statusCallback = `${deps.publicUrl.replace(/\/+$/, '')}/v1/webhooks/twilio/status?m=${ledgerId}`;
        return { call: () => sendSms(sms, { to: contact, body, statusCallback }) };
      }
      case 'webhook': {
        const secret = deps.webhookSecret;
        if (!secret) throw notConfigured('webhook needs webhookSecret');
        const payload = {
          rescueId: input.rescueId,
          step: input.step,
          userId: input.userId,
          campaign: input.campaign,
          ...(input.template.subject ? { subject: renderTemplate(input.template.subject, variables, 'subject') } : {}),
          body: renderTemplate(input.template.body, variables, 'body'),
        };
        return { call: () => postWebhook(fetchFn, { secret, timeoutMs: deps.webhookTimeoutMs ?? 10_000 }, contact, key, payload) };
      }
    }
  }

  async function record(id: string, input: SendMessageInput, raw: ProviderOutcome): Promise<SendResult> {
    const at = now();
    const outcome: ProviderOutcome = raw.kind === 'sent' ? raw : { ...raw, reason: redact(raw.reason) };
    switch (outcome.kind) {
      case 'sent': {
        const [moved] = await deps.database.query<LedgerRow>(
          `update messages set status = 'sent', reason = null, provider_id = coalesce($2, provider_id), updated_at = $3
           where id = $1 and (status in ('sending', 'queued') or (status = 'failed' and starts_with(reason, '${UNKNOWN_OUTCOME}')))
           returning id::text as id, status, reason, provider_id, user_id, campaign, channel`,
          [id, outcome.providerId ?? null, at],
        );
        // A slow attempt whose retry already recorded the outcome unknown corrects it above; a callback
        // or bounce that moved the row on first (delivered, bounced) is the truth to report.
        return moved ? resultOf(moved) : current(id);
      }
      case 'rejected':
        await deps.database.transaction(async (query) => {
          await query(`update messages set status = $2, reason = $3, updated_at = $4 where id = $1`, [id, outcome.status, outcome.reason, at]);
          if (outcome.suppress && input.channel !== 'webhook') await suppress(query, input.userId, input.channel, outcome.suppress);
        });
        return { status: outcome.status, reason: outcome.reason, permanent: true };
      case 'retry':
        // Known not sent: back to queued so the retry checks consent and the cap afresh.
        await deps.database.query(
          `update messages set status = 'queued', reason = $2, updated_at = $3 where id = $1 and status in ('sending', 'queued')`,
          [id, outcome.reason, at],
        );
        throw ApplicationFailure.retryable(outcome.reason, 'ProviderUnavailable');
      case 'unknown': {
        if (input.channel === 'webhook') {
          // Stays `sending`: the retry posts again under the same Idempotency-Key.
          await deps.database.query(`update messages set reason = $2, updated_at = $3 where id = $1 and status = 'sending'`, [id, outcome.reason, at]);
          throw ApplicationFailure.retryable(outcome.reason, 'ProviderUnavailable');
        }
        const [moved] = await deps.database.query<LedgerRow>(
          `update messages set status = 'failed', reason = $2, updated_at = $3 where id = $1 and status in ('sending', 'queued')
           returning id::text as id, status, reason, provider_id, user_id, campaign, channel`,
          [id, unknownOutcome(outcome.reason), at],
        );
        return moved ? resultOf(moved) : current(id);
      }
    }
  }

  /** The row as committed now: a second statement, so it reads what a concurrent callback wrote. */
  async function current(id: string): Promise<SendResult> {
    const [row] = await deps.database.query<LedgerRow>(
      `select id::text as id, status, reason, provider_id, user_id, campaign, channel from messages where id = $1`,
      [id],
    );
    return resultOf(row!);
  }
}

function resultOf(row: LedgerRow): SendResult {
  const permanent = row.status === 'bounced' || row.status === 'undelivered' || (row.status === 'failed' && !isUnknownOutcome(row.reason));
  return {
    status: row.status,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.provider_id ? { providerId: row.provider_id } : {}),
    ...(row.status === 'sent' || row.status === 'delivered' ? {} : { permanent }),
  };
}

function contactOf(input: SendMessageInput, traits: Record<string, unknown>): string | undefined {
  const value = input.channel === 'email' ? traits.email : input.channel === 'sms' ? traits.phone : input.template.url;
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** Traits as `user.<name>` template variables (looked up here, so they never pass through the workflow). */
function traitVariables(traits: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(traits)) {
    if (typeof value === 'string' || typeof value === 'number') out[`user.${name}`] = String(value);
  }
  return out;
}

function notConfigured(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`channel not configured: ${message}`, 'ChannelNotConfigured');
}
