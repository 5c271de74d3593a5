import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { local } from './local-activities.ts';
import type { SendResult } from '../activities/channels/schema.ts';
import { assignArm } from '../rules/assignment.ts';
import { armChannels, fallbackOrder } from '../rules/arm-channels.ts';
import type { Channel, QuietHours, Template } from '../rules/campaigns.ts';
import { durationMs } from '../rules/duration.ts';
import type { Policy } from '../rules/policy.ts';

export const rescueWorkflowId = (userId: string, campaign: string, n: number) => `rescue:${userId}:${campaign}:${n}`;

/** Ids only (no personal data in histories); versioned so the shape can change under running rescues. */
export interface RescueInput {
  v: 1;
  userId: string;
  campaign: string;
  /** The user's n-th rescue by this campaign. */
  n: number;
  /** The policy version whose trigger started it: its campaign definition is used throughout. */
  policyVersion: number;
}

export interface RescueSend {
  /** The ledger's step: 10 × the arm's step index + the attempt (0 the step's own channel, then fallbacks). */
  step: number;
  channel: Channel;
  status: SendResult['status'] | 'error';
  reason?: string;
}

export interface RescueState {
  rescueId: string;
  arm: string | null;
  holdout: boolean;
  /** Index of the arm step being worked on; equals the number of steps when they are all done. */
  stepIndex: number;
  sends: RescueSend[];
  outcome: 'rescued' | 'not_rescued' | null;
  returnedAt: string | null;
}

export type RescueResult = Pick<RescueState, 'rescueId' | 'arm' | 'holdout' | 'sends' | 'outcome' | 'returnedAt'>;

/** From the lifecycle workflow: the user's stage moved out of silent/churned. */
export const userReturnedSignal = defineSignal('userReturned');
export const rescueStateQuery = defineQuery<RescueState>('rescueState');

// Exactly-once lives in sendMessage's ledger, so retries are safe; a step still failing after a day is given up.
const delivery = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes' },
});

const DELIVERED = new Set<RescueSend['status']>(['sent', 'delivered']);

export async function rescue(input: RescueInput): Promise<RescueResult> {
  const rescueId = rescueWorkflowId(input.userId, input.campaign, input.n);
  const state: RescueState = { rescueId, arm: null, holdout: false, stepIndex: 0, sends: [], outcome: null, returnedAt: null };
  let signalled = false;
  setHandler(userReturnedSignal, () => {
    signalled = true;
  });
  setHandler(rescueStateQuery, () => state);

  const policy: Policy = await local.loadPolicy(input.policyVersion);
  const campaign = policy.campaigns?.find((c) => c.name === input.campaign);
  if (!campaign) {
    throw ApplicationFailure.nonRetryable(`policy version ${input.policyVersion} defines no campaign "${input.campaign}"`, 'UnknownCampaign');
  }

  const assignment = assignArm(input.userId, campaign);
  const now = Date.now();
  const recorded = await local.recordAssignment({
    rescueId,
    userId: input.userId,
    campaign: campaign.name,
    n: input.n,
    arm: assignment.arm,
    holdout: assignment.holdout,
    policyVersion: input.policyVersion,
    assignedAt: new Date(now).toISOString(),
    windowEndsAt: new Date(now + durationMs(campaign.window)).toISOString(),
  });
  state.arm = recorded.arm;
  state.holdout = assignment.holdout;
  const windowEndsAt = Date.parse(recorded.windowEndsAt);

  /** When the lifecycle says the user is back: did they meet the success definition within the window? */
  async function returned(): Promise<string | null> {
    signalled = false;
    const until = new Date(Math.min(Date.now(), windowEndsAt)).toISOString();
    const { returnedAt } = await local.checkReturn({
      userId: input.userId,
      since: recorded.assignedAt,
      until,
      success: campaign!.success,
      policyVersion: input.policyVersion,
    });
    return returnedAt;
  }

  /** Sleeps until `instant`, or until the user returns (then their return instant). */
  async function sleepUntil(instant: number): Promise<string | null> {
    for (;;) {
      const ms = instant - Date.now();
      const woken = ms > 0 ? await condition(() => signalled, ms) : signalled;
      if (!woken) return null;
      const at = await returned();
      if (at) return at;
    }
  }

  const arm = campaign.arms.find((a) => a.name === recorded.arm);
  const steps = assignment.holdout || !arm ? [] : arm.steps;
  const channels = arm ? armChannels(arm) : [];
  const dead = new Set<Channel>();
  const quietHours = campaign.quiet_hours ?? policy.quiet_hours;

  let returnedAt: string | null = null;
  for (; state.stepIndex < steps.length && !returnedAt; state.stepIndex++) {
    const step = steps[state.stepIndex]!;
    if (step.wait) {
      returnedAt = await sleepUntil(Date.now() + durationMs(step.wait));
      continue;
    }
    const send = step.send!;
    if (quietHours) {
      const allowed = await local.sendAllowedAt({ userId: input.userId, at: new Date().toISOString(), quietHours: quietHoursOf(quietHours) });
      returnedAt = await sleepUntil(Date.parse(allowed));
    } else {
      returnedAt = await sleepUntil(Date.now());
    }
    if (returnedAt || Date.now() >= windowEndsAt) break;
    const template = policy.templates[send.template]!;
    const order = fallbackOrder(send.channel, channels, template).filter((c) => !dead.has(c));
    for (const [attempt, channel] of order.entries()) {
      const outcome = await deliver(state.stepIndex * 10 + attempt, channel, template);
      state.sends.push(outcome.send);
      if (!outcome.permanent) break;
      dead.add(channel);
    }
  }

  if (!returnedAt) returnedAt = await sleepUntil(windowEndsAt);
  // A conversion event need not move the stage, so no signal may have come: look once more.
  if (!returnedAt) returnedAt = await returned();
  state.outcome = returnedAt ? 'rescued' : 'not_rescued';
  state.returnedAt = returnedAt;
  await local.recordOutcome({ rescueId, returnedAt, at: new Date().toISOString() });
  return { rescueId, arm: state.arm, holdout: state.holdout, sends: state.sends, outcome: state.outcome, returnedAt };

  async function deliver(step: number, channel: Channel, template: Template): Promise<{ send: RescueSend; permanent: boolean }> {
    const version = template[channel]!;
    try {
      const result = await delivery.sendMessage({
        rescueId,
        step,
        userId: input.userId,
        campaign: campaign!.name,
        channel,
        template: { body: version.body, ...('subject' in version && version.subject ? { subject: version.subject } : {}), ...('url' in version ? { url: version.url } : {}) },
        variables: campaign!.variables,
        ...(policy.frequency_cap ? { cap: { perDay: policy.frequency_cap.per_day, perWeek: policy.frequency_cap.per_week } } : {}),
      });
      const send: RescueSend = { step, channel, status: result.status, ...(result.reason ? { reason: result.reason } : {}) };
      return { send, permanent: !DELIVERED.has(result.status) && result.permanent === true };
    } catch (error) {
      // A non-retryable failure (channel not configured, a template variable the user lacks) will not
      // get better on this channel; a step that ran out of time might have been sent, so no fallback.
      const failure = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : undefined;
      const reason = failure ? `${failure.type ?? 'error'}: ${failure.message}` : error instanceof Error ? error.message : String(error);
      return { send: { step, channel, status: 'error', reason }, permanent: failure?.nonRetryable === true };
    }
  }
}

function quietHoursOf(q: QuietHours): { start: string; end: string; fallbackZone: string } {
  return { start: q.start, end: q.end, fallbackZone: q.fallback_zone };
}
