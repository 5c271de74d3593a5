import { fillRetryPolicy } from './activities.ts';
import { durationToMs, timestampToMs, type Msg } from './proto.ts';
import type { Run } from './run.ts';

/**
 * Whether a failed run is retried under the retry policy it was started with (a workflow retry
 * policy is opt-in: without one a failure is final), and after what backoff.
 */
export function workflowRetryDecision(run: Run, failure: Msg | undefined, now: number): { delayMs?: number; retryState: string } {
  const given = run.startAttributes.retryPolicy;
  if (!given) return { retryState: 'RETRY_STATE_RETRY_POLICY_NOT_SET' };
  const policy = fillRetryPolicy(given);
  const info = failure?.applicationFailureInfo;
  if (info?.nonRetryable || (info?.type && (policy.nonRetryableErrorTypes as string[]).includes(info.type))) {
    return { retryState: 'RETRY_STATE_NON_RETRYABLE_FAILURE' };
  }
  const attempt = Number(run.startAttributes.attempt ?? 1);
  const max = Number(policy.maximumAttempts ?? 0);
  if (max > 0 && attempt >= max) return { retryState: 'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED' };
  const initial = durationToMs(policy.initialInterval) ?? 1000;
  const maxInterval = durationToMs(policy.maximumInterval) ?? initial * 100;
  const explicit = durationToMs(info?.nextRetryDelay);
  const delayMs = explicit ?? Math.min(initial * Number(policy.backoffCoefficient) ** (attempt - 1), maxInterval);
  const expiration = timestampToMs(run.startAttributes.workflowExecutionExpirationTime);
  if (expiration !== undefined && now + delayMs >= expiration) return { retryState: 'RETRY_STATE_TIMEOUT' };
  return { delayMs, retryState: 'RETRY_STATE_IN_PROGRESS' };
}
