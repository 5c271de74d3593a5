import { signatureHeader, signWebhook, timestampHeader } from '../signature.ts';
import type { ProviderOutcome } from './outcome.ts';

export const idempotencyHeader = 'idempotency-key';

/** POSTs a signed JSON payload; receivers de-duplicate on the Idempotency-Key header. */
export async function postWebhook(
  send: typeof fetch,
  options: { secret: string; timeoutMs: number },
  url: string,
  key: string,
  payload: object,
): Promise<ProviderOutcome> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  let response: Response;
  try {
    response = await send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [idempotencyHeader]: key,
        [timestampHeader]: timestamp,
        [signatureHeader]: signWebhook(options.secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    return { kind: 'unknown', reason: `webhook ${url}: ${error instanceof Error ? error.message : String(error)}` };
  }
  await response.body?.cancel();
  if (response.ok) return { kind: 'sent' };
  const reason = `webhook ${url} answered ${response.status}`;
  // A 4xx other than timeout or rate limit will not get better by retrying.
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    return { kind: 'rejected', status: 'failed', reason };
  }
  // The receiver may have acted before failing: resent under the same Idempotency-Key.
  return { kind: 'unknown', reason };
}
