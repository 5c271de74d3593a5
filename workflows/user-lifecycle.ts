import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { local } from './local-activities.ts';
import { classify } from '../rules/classify.ts';
import { triggersFor } from '../rules/triggers.ts';
import type { Policy } from '../rules/policy.ts';
import { rescue, rescueWorkflowId, userReturnedSignal } from './rescue.ts';

export const lifecycleWorkflowId = (userId: string) => `lifecycle:${userId}`;
export const lifecycleStageKey = defineSearchAttributeKey('LifecycleStage', SearchAttributeType.KEYWORD);

/** Versioned so a running workflow's continue-as-new input can change shape safely. */
export interface LifecycleInput {
  v: 1;
  userId: string;
  stage?: string | null;
  stageSince?: string | null;
  /** Per campaign, how many rescues the user has had: the next one is numbered one more. */
  rescues?: Record<string, number>;
  /** Per campaign, the rescue an earlier run started that may still be running. */
  running?: Record<string, string>;
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
  /** Per campaign, the rescue believed to be running. */
  rescues: Record<string, string>;
}

export const wakeSignal = defineSignal('wake');
export const stateQuery = defineQuery<LifecycleState>('state');

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
    rescues: { ...input.running },
  };
  const counters: Record<string, number> = { ...input.rescues };
  /** Rescues started by this run: their completion is seen here; earlier runs' are looked up. */
  const watched = new Set<string>();
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
    const loaded = await local.loadFacts({ userId: input.userId, at: now.toISOString() });
    if (loaded.facts === null) {
      // Nothing to classify yet: wait for the first event's time, or for the ingest that brings one.
      state.phase = 'sleeping';
      await condition(() => woken, loaded.firstEventAt ? Math.max(1, Date.parse(loaded.firstEventAt) - Date.now()) : undefined);
      continue;
    }
    const { facts, policyVersion } = loaded;
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
      const fired = triggersFor(policy.body, from, result.stage);
      if (from !== null && AWAY.has(from) && !AWAY.has(result.stage)) await signalReturn();
      await startRescues(fired.rescues, policyVersion, policy.body);
      for (const target of fired.warnings) {
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
      await continueAsNew<typeof userLifecycle>({
        v: 1,
        userId: input.userId,
        stage: state.stage,
        stageSince: state.stageSince,
        rescues: counters,
        running: state.rescues,
      });
    }
  }

  /** Forgets rescues started by earlier runs that have recorded their outcome since. */
  async function forgetClosed(): Promise<void> {
    const inherited = Object.values(state.rescues).filter((id) => !watched.has(id));
    if (!inherited.length) return;
    const closed = new Set(await local.closedRescues(inherited));
    for (const [campaign, id] of Object.entries(state.rescues)) if (closed.has(id)) delete state.rescues[campaign];
  }

  /** The user's stage moved out of silent/churned: each running rescue checks its success definition. */
  async function signalReturn(): Promise<void> {
    await forgetClosed();
    for (const id of Object.values(state.rescues)) {
      // A rescue that closed meanwhile cannot be signalled; that is fine.
      await getExternalWorkflowHandle(id).signal(userReturnedSignal).catch(() => undefined);
    }
  }

  /** One rescue per campaign and user at a time; it outlives this run's continue-as-new (ABANDON). */
  async function startRescues(campaigns: string[], policyVersion: number, body: Policy): Promise<void> {
    // A stored policy from before campaigns existed may name one it does not define.
    const defined = campaigns.filter((name) => body.campaigns?.some((c) => c.name === name));
    if (!defined.length) return;
    await forgetClosed();
    for (const campaign of defined) {
      if (state.rescues[campaign]) continue;
      const n = (counters[campaign] ?? 0) + 1;
      counters[campaign] = n;
      const workflowId = rescueWorkflowId(input.userId, campaign, n);
      state.rescues[campaign] = workflowId;
      let child;
      try {
        child = await startChild(rescue, {
          workflowId,
          args: [{ v: 1, userId: input.userId, campaign, n, policyVersion }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      } catch (error) {
        // Started already (by a run whose counter was lost): it counts as running until it records an outcome.
        if (error instanceof WorkflowExecutionAlreadyStartedError) continue;
        throw error;
      }
      watched.add(workflowId);
      void child
        .result()
        .catch(() => undefined)
        .then(() => {
          watched.delete(workflowId);
          if (state.rescues[campaign] === workflowId) delete state.rescues[campaign];
        });
    }
  }
}

/** Stages a rescue tries to bring users back from. */
const AWAY = new Set(['silent', 'churned']);
