import { idempotencyHeader } from '../activities/channels/webhook.ts';
import { signatureHeader, timestampHeader, verifyWebhook } from '../activities/signature.ts';

export interface KeptWebhook {
  receivedAt: Date;
  /** Where the webhook would have gone. */
  url: string;
  idempotencyKey: string | null;
  /** Whether the signature header verifies with the engine's webhook secret, as a receiver would check. */
  signatureValid: boolean;
  body: string;
}

export interface WebhookSink {
  /** A `fetch` for the activities: keeps each request and answers 200, sending nothing. */
  fetch: typeof fetch;
  readonly requests: readonly KeptWebhook[];
}

/**
 * Keeps the webhooks an embedded run would send (churn warnings, webhook win-back steps), so that
 * `npm start` reaches no one: the default policy's hooks.example.com does not exist.
 */
export function createWebhookSink(secret: string, now: () => Date = () => new Date()): WebhookSink {
  const requests: KeptWebhook[] = [];
  const keep: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const body = await request.text();
    const header = (name: string) => request.headers.get(name);
    requests.push({
      receivedAt: now(),
      url: request.url,
      idempotencyKey: header(idempotencyHeader),
      signatureValid: verifyWebhook(secret, header(timestampHeader) ?? '', body, header(signatureHeader) ?? ''),
      body,
    });
    return new Response(null, { status: 200 });
  };
  return { fetch: keep, requests };
}
