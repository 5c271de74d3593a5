import type { SuppressionReason } from './suppressions.ts';

/** What one provider call came to, decided by the channel and acted on by sendMessage. */
export type ProviderOutcome =
  | { kind: 'sent'; providerId?: string }
  /** The provider refused for good: record it, maybe suppress the channel, and let the workflow fall back. */
  | { kind: 'rejected'; status: 'failed' | 'bounced'; reason: string; suppress?: SuppressionReason }
  /** The provider certainly did not take the message (it answered with an error, or was never reached): retry afresh. */
  | { kind: 'retry'; reason: string }
  /**
   * No answer after the message may have left (a timeout, a connection dropped mid-call): the
   * provider may have taken it. Email and SMS record `unknown_outcome` and never send it again;
   * webhooks resend under the same Idempotency-Key.
   */
  | { kind: 'unknown'; reason: string };
