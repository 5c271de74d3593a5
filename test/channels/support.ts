import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Transporter } from 'nodemailer';
import twilio from 'twilio';
import { createMailTransport } from '../../activities/channels/email.ts';
import { createSendMessage, type SendMessageDeps } from '../../activities/channels/send-message.ts';
import type { SendMessageInput } from '../../activities/channels/schema.ts';
import { recordEmailBounce } from '../../activities/channels/suppressions.ts';
import { buildApi } from '../../api/app.ts';
import type { ChannelRouteDeps } from '../../api/channels/routes.ts';
import type { Database } from '../../db/client.ts';
import { startSmtpSink, type SmtpSink } from '../../sinks/smtp-sink.ts';
import { startTwilioSink, type TwilioSink } from '../../sinks/twilio-sink.ts';
import { openTestDatabase } from '../support/database.ts';

export const FROM_EMAIL = 'Lifeline <hello@winback.test>';
export const FROM_PHONE = '+15005550006';
export const UNSUBSCRIBE_SECRET = 'unsubscribe-secret-for-tests';
export const WEBHOOK_SECRET = 'webhook-secret-for-tests';
export const BOUNCE_SECRET = 'bounce-secret-for-tests';

/** Real parts wired as in production: database, SMTP sink, Twilio sink with the real client, the API on a socket. */
export interface Rig {
  database: Database;
  smtp: SmtpSink;
  sms: TwilioSink;
  mailer: Transporter;
  twilioClient: twilio.Twilio;
  api: FastifyInstance;
  apiUrl: string;
  deps: SendMessageDeps;
  sendMessage: ReturnType<typeof createSendMessage>;
  /** A sendMessage with some deps replaced (a crashing transport, a shifted clock). */
  withDeps(overrides: Partial<SendMessageDeps>): ReturnType<typeof createSendMessage>;
  close(): Promise<void>;
}

export async function startRig(): Promise<Rig> {
  const database = await openTestDatabase();
  const smtp = await startSmtpSink({ onBounce: (bounce) => recordEmailBounce(database, { messageId: bounce.messageId, kind: 'bounce' }) });
  const sms = await startTwilioSink();
  const twilioClient = twilio(sms.accountSid, sms.authToken, { autoRetry: false, timeout: 5_000 });
  twilioClient.api.baseUrl = sms.url;
  const mailer = createMailTransport(smtp.url, { maxConnections: 2 });

  const channels: ChannelRouteDeps = {
    database,
    publicUrl: 'http://127.0.0.1:0',
    unsubscribeSecret: UNSUBSCRIBE_SECRET,
    twilioAuthToken: sms.authToken,
    bounceSecret: BOUNCE_SECRET,
    mailSink: smtp,
  };
  const api = buildApi({
    database,
    writeKeys: ['wk_channels'],
    eventKinds: () => ({ isActivity: () => true, isPayment: () => false }),
    isTriggerEvent: () => false,
    waker: { wake: async () => {} },
    channels,
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  const apiUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  channels.publicUrl = apiUrl;

  const deps: SendMessageDeps = {
    database,
    mailer,
    emailFrom: FROM_EMAIL,
    sms: { client: twilioClient, from: FROM_PHONE },
    publicUrl: apiUrl,
    unsubscribeSecret: UNSUBSCRIBE_SECRET,
    webhookSecret: WEBHOOK_SECRET,
  };
  return {
    database,
    smtp,
    sms,
    mailer,
    twilioClient,
    api,
    apiUrl,
    deps,
    sendMessage: createSendMessage(deps),
    withDeps: (overrides) => createSendMessage({ ...deps, ...overrides }),
    close: async () => {
      mailer.close();
      await api.close();
      await sms.close();
      await smtp.close();
      await database.close();
    },
  };
}

export async function addUser(database: Database, id: string, traits: Record<string, unknown>): Promise<void> {
  await database.query(`insert into users (id, traits, first_seen_at) values ($1, $2::text::jsonb, now())`, [id, JSON.stringify(traits)]);
}

export interface LedgerRow {
  status: string;
  reason: string | null;
  provider_id: string | null;
  attempts: number;
}

export async function ledger(database: Database, rescueId: string, step = 0): Promise<LedgerRow | undefined> {
  const [row] = await database.query<LedgerRow>(
    `select status, reason, provider_id, attempts from messages where rescue_id = $1 and step = $2`,
    [rescueId, step],
  );
  return row;
}

export async function suppressionsOf(database: Database, userId: string): Promise<{ channel: string; reason: string }[]> {
  return database.query(`select channel, reason from suppressions where user_id = $1 order by channel`, [userId]);
}

export function emailInput(userId: string, rescueId: string, overrides: Partial<SendMessageInput> = {}): SendMessageInput {
  return {
    rescueId,
    step: 0,
    userId,
    campaign: 'winback',
    channel: 'email',
    template: { subject: 'We miss you', body: 'Come back for {{offer}}. Unsubscribe: {{unsubscribe_url}}' },
    variables: { offer: '20% off' },
    ...overrides,
  };
}

export function smsInput(userId: string, rescueId: string, overrides: Partial<SendMessageInput> = {}): SendMessageInput {
  return {
    rescueId,
    step: 0,
    userId,
    campaign: 'winback',
    channel: 'sms',
    template: { body: 'Hi, {{offer}} is waiting. Reply STOP to opt out.' },
    variables: { offer: '20% off' },
    ...overrides,
  };
}

/** A promise with its resolver, for transports that stop at a chosen point. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
