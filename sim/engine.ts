import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { setTimeout as delay } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import type { Transporter } from 'nodemailer';
import { createActivities } from '../activities/index.ts';
import type { SendMessageDeps } from '../activities/channels/send-message.ts';
import { buildApi, type ApiDeps } from '../api/app.ts';
import type { ChannelRouteDeps } from '../api/channels/routes.ts';
import type { Database } from '../db/client.ts';
import { storePolicy } from '../db/policies.ts';
import { devServerExecutablePath } from '../devserver/index.ts';
import { eventKinds, isTriggerEvent, parsePolicy, type Policy } from '../rules/index.ts';
import { createTemporalWaker } from '../worker/temporal-waker.ts';
import { workflowsPath } from '../worker/create-worker.ts';
import { lifecycleWorkflowId, stateQuery, type LifecycleState } from '../workflows/user-lifecycle.ts';

export const webhookSecret = 'simulation-webhook-secret';
export const writeKey = 'simulation-write-key';
export const taskQueue = 'lifeline-simulation';

/**
 * At the first engine start, not on import: `lifeline` imports this module for every command, and
 * `lifeline dev` installs its own runtime.
 */
function installRuntime(): void {
  try {
    // No shutdown signals: Ctrl+C ends a simulation (and its devserver with it) instead of draining the worker.
    Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  } catch {
    // Installed already in this process (an earlier engine, or a test harness).
  }
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundling takes seconds: once per test process. */
export const workflowBundle = () => (bundle ??= bundleWorkflowCode({ workflowsPath, logger: quietLogger() }));

export interface SimulationEngine {
  env: TestWorkflowEnvironment;
  client: Client;
  url: string;
  worker: Worker;
  /** The policy the ingest API counts events by; tests that apply a new one set it too. */
  policy: { current: Policy };
  now(): Promise<Date>;
  /** Lets virtual time run to `instant` (epoch ms), firing every timer due before it; no-op if past. */
  advanceTo(instant: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole engine as production wires it — ingest API, Temporal waker, worker with real activities —
 * on the time-skipping devserver (launched through @temporalio/testing like any Temporal test) and
 * the given database.
 */
export async function startSimulationEngine(
  database: Database,
  options: {
    startTime: Date;
    policySource: string;
    /** Which events wake a user's workflow at once; the default is the production rule. */
    isTriggerEvent?: ApiDeps['isTriggerEvent'];
    /** History length from which the devserver suggests continue-as-new (Temporal's is 4,096). */
    suggestContinueAsNewAfter?: number;
    /**
     * Win-back delivery: sendMessage's deps and the provider webhook routes, both given the API's
     * address as their publicUrl. Sends are stamped with virtual time.
     */
    channels?: { send: Omit<SendMessageDeps, 'database' | 'publicUrl'>; routes: Omit<ChannelRouteDeps, 'database' | 'publicUrl'> };
    /** Where churn warnings by email go (the team's inbox); without it those warnings fail. */
    warningMailer?: Transporter;
  },
): Promise<SimulationEngine> {
  installRuntime();
  const policy = { current: parsePolicy(options.policySource) };
  await storePolicy(database, policy.current, options.policySource, { activate: true });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: {
      executable: { type: 'existing-path', path: devServerExecutablePath },
      extraArgs: [
        '--start-time',
        options.startTime.toISOString(),
        '--search-attribute',
        'LifecycleStage=Keyword',
        ...(options.suggestContinueAsNewAfter ? ['--suggest-continue-as-new-after', String(options.suggestContinueAsNewAfter)] : []),
      ],
    },
  });
  // The API listens first: its address is the publicUrl of the channels' links and callbacks.
  const routes = options.channels && { ...options.channels.routes, database, publicUrl: '' };
  const api = buildApi({
    database,
    writeKeys: [writeKey],
    eventKinds: () => eventKinds(policy.current),
    isTriggerEvent: options.isTriggerEvent ?? ((name, user) => isTriggerEvent(eventKinds(policy.current), name, user.stage)),
    waker: createTemporalWaker(env.client, taskQueue),
    ...(routes ? { channels: routes } : {}),
  });
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  if (routes) routes.publicUrl = url;
  // An activity's wall clock is real time; the devserver schedules each attempt at virtual time.
  const virtualNow = () => new Date(Context.current().info.currentAttemptScheduledTimestampMs);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    maxCachedWorkflows: workflowCacheSize(),
    // Workflow code is the simulation's bottleneck (one thread by default in reuse-context mode): use both cores.
    workflowThreadPoolSize: 2,
    workflowBundle: await workflowBundle(),
    activities: createActivities({
      database,
      webhookSecret,
      ...(options.warningMailer ? { mailer: options.warningMailer } : {}),
      ...(options.channels ? { channels: { now: virtualNow, ...options.channels.send, publicUrl: url } } : {}),
    }),
  });
  const running = worker.run();
  return {
    env,
    client: env.client,
    url,
    worker,
    policy,
    now: async () => new Date(await env.currentTimeMs()),
    advanceTo: async (instant) => {
      const wait = instant - (await env.currentTimeMs());
      if (wait > 0) await env.sleep(wait);
    },
    stop: async () => {
      await api.close();
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/**
 * The SDK sizes its workflow cache at ~1.7 MiB of heap per workflow; ours take more (each holds the
 * bundle's module state), and with thousands of users the heap filled and the
 * process spent its time in GC. A miss costs a fresh workflow context and a replay, which dominated
 * the workflow thread in a profile, so the cache is as large as the heap allows at 2.5 MiB each
 * (run with --max-old-space-size to cache more).
 */
function workflowCacheSize(): number {
  const heapMiB = getHeapStatistics().heap_size_limit / 2 ** 20;
  return Math.max(100, Math.floor((heapMiB - 1024) / 2.5));
}

/** Posts a Segment batch with the test write key; throws with the response body on anything but 200. */
export async function postBatch(url: string, batch: object[]): Promise<void> {
  const response = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
    body: JSON.stringify({ batch }),
  });
  if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
}

function quietLogger() {
  const ignore = () => undefined;
  return { log: ignore, trace: ignore, debug: ignore, info: ignore, warn: ignore, error: console.error };
}

/**
 * The user's lifecycle state once its workflow has finished reacting to everything sent so far: a
 * query is answered after the workflow's pending signals and timers are applied, but before the
 * activities they start complete, so we ask until it reports itself asleep.
 */
export async function settledState(client: Client, userId: string, timeoutMs = 30_000): Promise<LifecycleState> {
  const handle = client.workflow.getHandle(lifecycleWorkflowId(userId));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await handle.query(stateQuery);
    if (state.phase === 'sleeping') return state;
    if (Date.now() > deadline) throw new Error(`lifecycle of ${userId} still ${state.phase} after ${timeoutMs} ms`);
    await delay(10);
  }
}
