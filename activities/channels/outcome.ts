import type { SuppressionReason } from './suppressions.ts';

/** What one provider call came to, decided by the channel and acted on by sendMessage. */
export type ProviderOutcome =
  | { kind: 'sent'; providerId?: string }
  /** The provider refused for good: record it, maybe suppress the channel, and let the workflow fall back. */
  | { kind: 'rejected'; status: 'failed' | 'bounced'; reason: string; suppress?: SuppressionReason }
  /**
   * Worth retrying. `notSent` means the provider certainly did not take the message (a 5xx answer),
   * so the retry may send afresh; otherwise the outcome is unknown.
   */
  | { kind: 'retry'; reason: string; notSent: boolean };
