import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { ProviderOutcome } from './outcome.ts';

/**
 * A pooled SMTP transport for sendMessage. `maxRequeues: 0`: nodemailer's pool would otherwise
 * resend a message on its own when a connection closes mid-delivery; Temporal owns retries.
 * `timeoutMs` bounds each wait on the server (connect, greeting, every reply); nodemailer's own
 * default of ten minutes would outlast the rescue's one-minute activity timeout, so the activity
 * would be retried while its first attempt still waited, instead of recording why it failed.
 */
export function createMailTransport(url: string, options: { maxConnections?: number; timeoutMs?: number } = {}): Transporter {
  const parsed = new URL(url);
  const timeout = options.timeoutMs ?? 30_000;
  return nodemailer.createTransport({
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxRequeues: 0,
    connectionTimeout: Math.min(timeout, 15_000),
    greetingTimeout: Math.min(timeout, 15_000),
    socketTimeout: timeout,
    host: parsed.hostname,
    port: Number(parsed.port || (parsed.protocol === 'smtps:' ? 465 : 587)),
    secure: parsed.protocol === 'smtps:',
    ignoreTLS: parsed.searchParams.get('ignoreTLS') === 'true',
    auth: parsed.username ? { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } : undefined,
  });
}

/**
 * The Message-ID for an idempotency key: stable per (rescue, step), stored in the ledger before the
 * message leaves, so a bounce or complaint about it finds its row.
 */
export function messageIdFor(rescueId: string, step: number, domain: string): string {
  const hash = createHash('sha256').update(`${rescueId}\0${step}`).digest('hex').slice(0, 32);
  return `<${hash}@${domain}>`;
}

export interface Email {
  from: string;
  to: string;
  subject: string;
  text: string;
  messageId: string;
  listUnsubscribe: string;
}

interface SmtpError {
  responseCode?: number;
  command?: string;
  response?: string;
  code?: string;
  originalCode?: string;
  timeoutType?: string;
  message?: string;
}

/** System errors that mean no connection to the server was made. */
const UNREACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Timeouts before the server greeted us: no mail transaction had begun. */
const BEFORE_TRANSACTION = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT']);

export async function sendEmail(mailer: Transporter, email: Email): Promise<ProviderOutcome> {
  try {
    await mailer.sendMail({
      from: email.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      messageId: email.messageId,
      // nodemailer's `list` option writes one List-Unsubscribe header per URL; RFC 8058 wants one.
      headers: { 'List-Unsubscribe': email.listUnsubscribe, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    return { kind: 'sent', providerId: email.messageId };
  } catch (error) {
    return smtpFailure(error as SmtpError);
  }
}

/**
 * Which SMTP failures prove the server did not take the message. A reply code is an answer: 5xx
 * refuses (for the recipient: a hard bounce), 4xx asks to retry. No reply is proof only when no
 * connection was made, or nodemailer refused before talking to the server. Any other silence (a
 * timeout, a connection closed while the message or its final reply was in flight) may follow a
 * message the server kept, RFC 1047's duplicate case, so it is reported as unknown and not resent.
 */
export function smtpFailure(e: SmtpError): ProviderOutcome {
  const code = e.responseCode;
  const said = `smtp ${code ?? e.originalCode ?? e.code ?? 'error'}${e.command ? ` at ${e.command}` : ''}: ${(e.response ?? e.message ?? '').slice(0, 200)}`;
  if (code !== undefined && code >= 500) {
    return e.command === 'RCPT TO'
      ? { kind: 'rejected', status: 'bounced', reason: said, suppress: 'bounced' }
      : { kind: 'rejected', status: 'failed', reason: said };
  }
  if (code !== undefined && code >= 400) return { kind: 'retry', reason: said };
  // Refused by nodemailer itself (no recipient, an oversized message): it will not get better.
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return { kind: 'rejected', status: 'failed', reason: said };
  const neverReached =
    e.command === 'API' || (e.originalCode !== undefined && UNREACHED.has(e.originalCode)) || (e.timeoutType !== undefined && BEFORE_TRANSACTION.has(e.timeoutType));
  return neverReached ? { kind: 'retry', reason: said } : { kind: 'unknown', reason: said };
}
