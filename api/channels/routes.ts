import type { FastifyInstance, FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { z } from 'zod';
import { recordEmailBounce, applySmsKeyword, smsKeyword, suppress } from '../../activities/channels/suppressions.ts';
import { UNKNOWN_OUTCOME } from '../../activities/channels/send-message.ts';
import { verifyUnsubscribeToken } from '../../activities/channels/unsubscribe.ts';
import { signatureHeader, timestampHeader, verifyWebhook } from '../../activities/signature.ts';
import type { Database } from '../../db/client.ts';
import type { SmtpSink } from '../../sinks/smtp-sink.ts';
import { mailPage } from '../../sinks/mail-page.ts';
import { webhookPage } from '../../sinks/webhook-page.ts';
import type { WebhookSink } from '../../sinks/webhook-sink.ts';
import { fieldPath, HttpError } from '../errors.ts';
import { confirmPage, donePage, invalidLinkPage } from './pages.ts';

export interface ChannelRouteDeps {
  database: Database;
  /** The base URL providers and recipients use to reach this API; Twilio signs the full URL. */
  publicUrl: string;
  unsubscribeSecret: string;
  /** Twilio auth token: status callbacks and inbound messages are refused without a valid signature. */
  twilioAuthToken?: string;
  /** Secret for the bounce webhook's `x-lifeline-signature`; the route is absent without it. */
  bounceSecret?: string;
  /** The local SMTP sink, shown at /dev/mail (embedded runs only). */
  mailSink?: SmtpSink;
  /** The local webhook sink, shown at /dev/webhooks (embedded runs only). */
  webhookSink?: WebhookSink;
}

type Form = Record<string, string>;

/** Twilio's MessageStatus → the ledger's status; the rest (queued, sending, accepted…) change nothing. */
const TWILIO_STATUS: Record<string, 'sent' | 'delivered' | 'undelivered' | 'failed'> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
};

const bounceBody = z.object({ messageId: z.string().min(1), kind: z.enum(['bounce', 'complaint']) });

/** Provider webhooks and the unsubscribe page, in one encapsulated context with its own body parsers. */
export async function channelRoutes(app: FastifyInstance, deps: ChannelRouteDeps): Promise<void> {
  // Read per request: an embedded API may learn its own port only after it starts listening.
  const base = () => deps.publicUrl.replace(/\/+$/, '');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  // RFC 8058 lets one-click POSTs come as multipart/form-data; the token in the URL is all that counts.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  // The bounce webhook's signature covers the raw bytes, so JSON is parsed after it is checked.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  const checkTwilio = (request: FastifyRequest): Form => {
    const form = (request.body ?? {}) as Form;
    const signature = request.headers['x-twilio-signature'];
    const valid =
      deps.twilioAuthToken !== undefined &&
      typeof signature === 'string' &&
      twilio.validateRequest(deps.twilioAuthToken, signature, `${base()}${request.url}`, form);
    if (!valid) throw new HttpError(403, 'invalid_signature', 'X-Twilio-Signature does not match this request');
    return form;
  };

  app.post<{ Querystring: { m?: string } }>('/v1/webhooks/twilio/status', async (request, reply) => {
    const form = checkTwilio(request);
    const status = TWILIO_STATUS[form.MessageStatus ?? ''];
    const sid = form.MessageSid;
    if (!status || !sid) return reply.code(204).send();
    const ledgerId = request.query.m && /^\d+$/.test(request.query.m) ? request.query.m : null;
    const reason = form.ErrorCode ? `twilio ${form.ErrorCode}` : null;
    await deps.database.transaction(async (query) => {
      // Final statuses stay; `sent` never overwrites a later status; an unknown outcome is corrected.
      const [row] = await query<{ user_id: string }>(
        `update messages set status = $3, reason = case when $3 in ('sent', 'delivered') then null else coalesce($4, reason) end,
                provider_id = coalesce(provider_id, $1), updated_at = now()
         where channel = 'sms'
           and (provider_id = $1 or (id = $2::bigint and provider_id is null))
           and (status in ('queued', 'sending') or (status = 'sent' and $3 <> 'sent') or (status = 'failed' and starts_with(reason, $5)))
         returning user_id`,
        [sid, ledgerId, status, reason, UNKNOWN_OUTCOME],
      );
      if (row && form.ErrorCode === '21610') await suppress(query, row.user_id, 'sms', 'sms_stop');
    });
    return reply.code(204).send();
  });

  app.post('/v1/webhooks/twilio/inbound', async (request, reply) => {
    const form = checkTwilio(request);
    const keyword = smsKeyword(form.Body ?? '');
    if (keyword && form.From) await applySmsKeyword(deps.database, form.From, keyword);
    // Twilio itself answers STOP/START; an empty TwiML response adds nothing.
    return reply.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });

  app.get<{ Querystring: { token?: string } }>('/v1/unsubscribe', async (request, reply) => {
    const token = request.query.token ?? '';
    const target = verifyUnsubscribeToken(deps.unsubscribeSecret, token);
    if (!target) return reply.code(400).type('text/html; charset=utf-8').send(invalidLinkPage());
    return reply.type('text/html; charset=utf-8').send(confirmPage(token, target.channel));
  });

  // RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click`; the confirm page's button posts the same.
  app.post<{ Querystring: { token?: string } }>('/v1/unsubscribe', async (request, reply) => {
    const target = verifyUnsubscribeToken(deps.unsubscribeSecret, request.query.token ?? '');
    if (!target) return reply.code(400).type('text/html; charset=utf-8').send(invalidLinkPage());
    await suppress(deps.database.query, target.userId, target.channel, 'unsubscribed');
    return reply.type('text/html; charset=utf-8').send(donePage(target.channel));
  });

  if (deps.bounceSecret) {
    const secret = deps.bounceSecret;
    app.post('/v1/webhooks/email/bounce', async (request, reply) => {
      const raw = typeof request.body === 'string' ? request.body : '';
      const timestamp = request.headers[timestampHeader];
      const signature = request.headers[signatureHeader];
      if (typeof timestamp !== 'string' || typeof signature !== 'string' || !verifyWebhook(secret, timestamp, raw, signature)) {
        throw new HttpError(403, 'invalid_signature', `${signatureHeader} does not match this request`);
      }
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw new HttpError(400, 'invalid_request', '(body) must be valid JSON', [{ field: '(body)', rule: 'json', message: 'must be valid JSON' }]);
      }
      const parsed = bounceBody.safeParse(json);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ field: fieldPath(i.path), rule: i.code, message: i.message }));
        throw new HttpError(400, 'invalid_request', issues.map((i) => `${i.field} ${i.message}`).join('; '), issues);
      }
      const found = await recordEmailBounce(deps.database, parsed.data);
      return reply.send({ success: true, matched: Boolean(found) });
    });
  }

  const { mailSink, webhookSink } = deps;
  if (mailSink) await app.register(async (scope) => mailPage(scope, mailSink), { prefix: '/dev/mail' });
  if (webhookSink) await app.register(async (scope) => webhookPage(scope, webhookSink), { prefix: '/dev/webhooks' });
}
