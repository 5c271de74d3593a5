import type { Transporter } from 'nodemailer';
import twilio from 'twilio';
import { createMailTransport, type SmsProvider } from '../activities/channels/index.ts';
import type { SmtpSink } from '../sinks/smtp-sink.ts';
import type { WebhookSink } from '../sinks/webhook-sink.ts';
import type { Config } from './config.ts';

/** How win-back messages and team emails leave: SMTP, Twilio, and the URLs recipients come back on. */
export interface ChannelSettings {
  mailer?: Transporter;
  sms?: SmsProvider;
  twilioAuthToken?: string;
  emailFrom: string;
  publicUrl: string;
  unsubscribeSecret: string;
  /** The embedded SMTP sink, browsable at /dev/mail. */
  mailSink?: SmtpSink;
  /** The embedded webhook sink, browsable at /dev/webhooks: when set, no webhook leaves the process. */
  webhookSink?: WebhookSink;
}

/** Channels from the environment: SMTP_URL, TWILIO_* (production). */
export function channelsFromConfig(config: Config, unsubscribeSecret: string): ChannelSettings {
  const twilioClient =
    config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN ? twilio(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN) : undefined;
  return {
    mailer: config.SMTP_URL ? createMailTransport(config.SMTP_URL) : undefined,
    sms: twilioClient ? { client: twilioClient, from: config.TWILIO_FROM, messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID } : undefined,
    twilioAuthToken: config.TWILIO_AUTH_TOKEN,
    emailFrom: config.LIFELINE_EMAIL_FROM,
    publicUrl: config.LIFELINE_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`,
    unsubscribeSecret,
  };
}
