import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeader = 'x-lifeline-signature';
export const timestampHeader = 'x-lifeline-timestamp';

/** HMAC-SHA256 over `timestamp.body`, so a captured request cannot be replayed with a new timestamp. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function verifyWebhook(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
