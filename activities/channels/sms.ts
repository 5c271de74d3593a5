import type twilio from 'twilio';
import type { ProviderOutcome } from './outcome.ts';

export interface SmsProvider {
  client: twilio.Twilio;
  /** Sender number, or leave empty and give a Messaging Service. */
  from?: string;
  messagingServiceSid?: string;
}

export interface Sms {
  to: string;
  body: string;
  statusCallback?: string;
}

/** Twilio errors that will never succeed for this recipient. */
const PERMANENT: Record<number, string> = {
  21610: 'twilio 21610: recipient unsubscribed (replied STOP)',
  21211: "twilio 21211: invalid 'To' number",
  21614: "twilio 21614: 'To' is not a mobile number",
  21408: 'twilio 21408: region not enabled',
};

export async function sendSms(provider: SmsProvider, sms: Sms): Promise<ProviderOutcome> {
  try {
    const message = await provider.client.messages.create({
      to: sms.to,
      body: sms.body,
      ...(provider.messagingServiceSid ? { messagingServiceSid: provider.messagingServiceSid } : { from: provider.from! }),
      ...(sms.statusCallback ? { statusCallback: sms.statusCallback } : {}),
    });
    return { kind: 'sent', providerId: message.sid };
  } catch (error) {
    return twilioFailure(error as TwilioError);
  }
}

interface TwilioError {
  status?: number;
  code?: number | string;
  message?: string;
}

/**
 * An HTTP answer is proof: Twilio creates nothing when it answers 4xx, 5xx or 429. Without an
 * answer only a refused connection proves nothing was created; a timeout or a reset may come
 * after Twilio created the message, so the outcome is unknown (its status callback may settle it).
 */
export function twilioFailure(e: TwilioError): ProviderOutcome {
  const status = typeof e.status === 'number' ? e.status : undefined;
  const code = typeof e.code === 'number' ? e.code : undefined;
  if (code !== undefined && PERMANENT[code]) {
    return { kind: 'rejected', status: 'failed', reason: PERMANENT[code], ...(code === 21610 ? { suppress: 'sms_stop' as const } : {}) };
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    return { kind: 'rejected', status: 'failed', reason: `twilio ${code ?? status}: ${e.message ?? ''}`.trim() };
  }
  const reason = `twilio ${code ?? status ?? e.code ?? 'network'}: ${e.message ?? ''}`.trim();
  if (status !== undefined || e.code === 'ECONNREFUSED') return { kind: 'retry', reason };
  return { kind: 'unknown', reason };
}
