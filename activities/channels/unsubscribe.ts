import { createHmac, timingSafeEqual } from 'node:crypto';
import { SUPPRESSION_CHANNELS } from '../../db/schema.ts';

export type SuppressibleChannel = (typeof SUPPRESSION_CHANNELS)[number];

const sign = (secret: string, userId: string, channel: string) =>
  createHmac('sha256', secret).update(`unsubscribe\0${userId}\0${channel}`).digest('base64url');

/** `<user id>.<channel>.<hmac>`: the user id is opaque, so the link carries no personal data. */
export function unsubscribeToken(secret: string, userId: string, channel: SuppressibleChannel): string {
  return `${Buffer.from(userId).toString('base64url')}.${channel}.${sign(secret, userId, channel)}`;
}

export function verifyUnsubscribeToken(
  secret: string,
  token: string,
): { userId: string; channel: SuppressibleChannel } | undefined {
  const [encodedUser, channel, signature, ...rest] = token.split('.');
  if (!encodedUser || !channel || !signature || rest.length) return undefined;
  if (!(SUPPRESSION_CHANNELS as readonly string[]).includes(channel)) return undefined;
  const userId = Buffer.from(encodedUser, 'base64url').toString('utf8');
  const expected = Buffer.from(sign(secret, userId, channel));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  return { userId, channel: channel as SuppressibleChannel };
}

export interface UnsubscribeLinks {
  url: string;
  /** One `List-Unsubscribe` header value: https for one-click (RFC 8058), then mailto. */
  header: string;
}

export function unsubscribeLinks(
  options: { publicUrl: string; secret: string; mailbox: string },
  userId: string,
  channel: SuppressibleChannel,
): UnsubscribeLinks {
  const token = unsubscribeToken(options.secret, userId, channel);
  const url = `${options.publicUrl.replace(/\/+$/, '')}/v1/unsubscribe?token=${token}`;
  const mailto = `mailto:${options.mailbox}?subject=unsubscribe%20${token}`;
  return { url, header: `<${url}>, <${mailto}>` };
}
