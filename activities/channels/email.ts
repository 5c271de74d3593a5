import { createHash } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { ProviderOutcome } from './outcome.ts';

/**
 * A pooled SMTP transport for sendMessage. `maxRequeues: 0`: nodemailer's pool would otherwise
 * resend a message on its own when a connection closes mid-delivery; Temporal owns retries.
 */
export function createMailTransport(url: string, options: { maxConnections?: number } = {}): Transporter {
  const parsed = new URL(url);
  return nodemailer.createTransport({
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    maxRequeues: 0,
    host: parsed.hostname,
    port: Number(parsed.port || (parsed.protocol === 'smtps:' ? 465 : 587)),
    secure: parsed.protocol === 'smtps:',
    ignoreTLS: parsed.searchParams.get('ignoreTLS') === 'true',
    auth: parsed.username ? { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } : undefined,
  });
}

/**
 * The Message-ID for an idempotency key: a resent message carries the same id, so receivers that
 * de-duplicate on Message-ID show it once.
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
  message?: string;
}

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
    const e = error as SmtpError;
    const code = e.responseCode;
    const said = `smtp ${code ?? e.code ?? 'error'}${e.command ? ` at ${e.command}` : ''}: ${(e.response ?? e.message ?? '').slice(0, 200)}`;
    if (code !== undefined && code >= 500) {
      // A 5xx for the recipient is a hard bounce; any other 5xx (content, policy) fails this message only.
      return e.command === 'RCPT TO'
        ? { kind: 'rejected', status: 'bounced', reason: said, suppress: 'bounced' }
        : { kind: 'rejected', status: 'failed', reason: said };
    }
    // A 4xx reply means the server did not take it; a dropped connection may have. The same Message-ID is sent again either way.
    return { kind: 'retry', reason: said, notSent: code !== undefined };
  }
}
