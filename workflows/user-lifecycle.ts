import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { classify } from '../rules/classify.ts';
import { triggersFor } from '../rules/triggers.ts';
import type { Policy } from '../rules/policy.ts';

export const lifecycleWorkflowId = (userId: string) => `lifecycle:${userId}`;
export const lifecycleStageKey = defineSearchAttributeKey('LifecycleStage', SearchAttributeType.KEYWORD);

/** Versioned so a running workflow's continue-as-new input can change shape safely. */
export interface LifecycleInput {
  v: 1;
  userId: string;
  stage?: string | null;
  stageSince?: string | null;
}

export interface LifecycleState {
  userId: string;
  stage: string | null;
  stageSince: string | null;
  rule: string | null;
  policyVersion: number | null;
  nextCheckAt: string | null;
  checks: number;
  /** 'checking' from a wake until the workflow sleeps again: what callers wait on to see a settled stage. */
  phase: 'checking' | 'sleeping';
}

export const wakeSignal = defineSignal('wake');
export const stateQuery = defineQuery<LifecycleState>('state');

// Local activities: every one a workflow task runs counts as a single billable action.
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

const warnings = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // A warning still undelivered after a day is stale news; the activity records the failure.
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 12 },
});

export async function userLifecycle(input: LifecycleInput): Promise<void> {
  const state: LifecycleState = {
    userId: input.userId,
    stage: input.stage ?? null,
    stageSince: input.stageSince ?? null,
    rule: null,
    policyVersion: null,
    nextCheckAt: null,
    checks: 0,
    phase: 'checking',
  };
  let woken = false;
  setHandler(wakeSignal, () => {
    woken = true;
  });
  setHandler(stateQuery, () => state);

  let policy: { version: number; body: Policy } | undefined;
  const pending = new Set<Promise<unknown>>();

  for (;;) {
    woken = false;
    state.phase = 'checking';
    const now = new Date();
    const { facts, policyVersion } = await local.loadFacts({ userId: input.userId, at: now.toISOString() });
    if (policy?.version !== policyVersion) policy = { version: policyVersion, body: await local.loadPolicy(policyVersion) };
    const result = classify(facts, policy.body, now);
    state.checks++;
    state.rule = result.rule;
    state.policyVersion = policyVersion;

    if (result.stage !== state.stage) {
      const from = state.stage;
      const at = now.toISOString();
      const recorded = await local.recordTransition({
        userId: input.userId,
        fromStage: from,
        toStage: result.stage,
        at,
        policyVersion,
        rule: result.rule,
        facts,
      });
      // Events arrived while we decided: classify again on the fresh facts.
      if (recorded === 'stale') continue;
      state.stage = result.stage;
      state.stageSince = at;
      upsertSearchAttributes([{ key: lifecycleStageKey, value: result.stage }]);
      for (const target of triggersFor(policy.body, from, result.stage).warnings) {
        const warning = warnings
          .sendChurnWarning({
            transitionKey: `${input.userId}:${at}`,
            userId: input.userId,
            fromStage: from,
            toStage: result.stage,
            at,
            policyVersion,
            target,
          })
          // A warning that never gets through is recorded by the activity; the lifecycle goes on.
          .catch(() => undefined)
          .finally(() => pending.delete(warning));
        pending.add(warning);
      }
    }

    state.nextCheckAt = result.nextChangeAt ? new Date(result.nextChangeAt).toISOString() : null;
    const sleepMs = result.nextChangeAt === null ? undefined : Math.max(1, +new Date(result.nextChangeAt) - Date.now());
    state.phase = 'sleeping';
    await condition(() => woken, sleepMs);

    if (workflowInfo().continueAsNewSuggested) {
      await Promise.all(pending);
      await continueAsNew<typeof userLifecycle>({ v: 1, userId: input.userId, stage: state.stage, stageSince: state.stageSince });
    }
  }
}
