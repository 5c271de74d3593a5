import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { devServerExecutablePath } from '../../devserver/index.ts';
import { createConformanceActivities } from './activities.ts';

/**
 * One environment and one worker per test file. Against our devserver by default (launched by the
 * SDK as an executable, exactly as a Temporal user would launch the real test server); against a
 * real Temporal server when TEMPORAL_ADDRESS is set (then cases that need time skipping or the
 * devserver's accounting are left out).
 */
export const realServerAddress = process.env.TEMPORAL_ADDRESS || undefined;
export const onDevserver = realServerAddress === undefined;

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;
function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  return bundlePromise;
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message: string, meta?: unknown) => console.error(message, meta),
};

export interface Harness {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  attempts: Map<string, number>;
  /** Keeps the handle's history for the replay check at the end of the file. */
  track<T extends WorkflowHandle>(handle: T): T;
  id(prefix: string): string;
  /** Replays every tracked workflow's history with the same workflow code. */
  replayAll(): Promise<number>;
  close(): Promise<void>;
}

export type EnvironmentKind = 'timeSkipping' | 'local';

let runtimeInstalled = false;
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // Activity and workflow-task failures are part of the cases; keep their log lines out of the output.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
}

/** For a test file: one harness opened before its cases and closed after them. */
export function useHarness(...args: Parameters<typeof openHarness>): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    Object.assign(harness, await openHarness(...args));
  });
  afterAll(async () => {
    await harness.close?.();
  });
  return harness;
}

export async function openHarness(
  kind: EnvironmentKind,
  searchAttributes: Array<{ name: string; type: 'KEYWORD' | 'INT' | 'DATETIME' | 'BOOL' | 'TEXT' | 'DOUBLE' | 'KEYWORD_LIST' }> = [],
  /** Further devserver flags (createLocal only). */
  extraArgs: string[] = [],
): Promise<Harness> {
  installQuietRuntime();
  const executable = { type: 'existing-path' as const, path: devServerExecutablePath };
  let env: TestWorkflowEnvironment;
  if (realServerAddress) {
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: realServerAddress });
    for (const { name, type } of searchAttributes) {
      await env.connection.operatorService
        .addSearchAttributes({
          namespace: env.namespace ?? 'default',
          searchAttributes: { [name]: searchAttributeEnum(type) },
        })
        .catch(() => undefined);
    }
  } else if (kind === 'timeSkipping') {
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
  } else {
    const { defineSearchAttributeKey } = await import('@temporalio/common');
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        searchAttributes: searchAttributes.map(({ name, type }) => defineSearchAttributeKey(name, type)),
        extraArgs,
      },
    });
  }
  const taskQueue = `conformance-${randomUUID()}`;
  const attempts = new Map<string, number>();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createConformanceActivities(attempts),
  });
  const running = worker.run();
  const tracked: WorkflowHandle[] = [];
  return {
    env,
    taskQueue,
    attempts,
    track(handle) {
      tracked.push(handle);
      return handle;
    },
    id: (prefix) => `${prefix}-${randomUUID()}`,
    async replayAll() {
      const histories = await Promise.all(
        tracked.map(async (h) => ({ workflowId: h.workflowId, history: await h.fetchHistory() })),
      );
      let replayed = 0;
      for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
        if (result.error) throw new Error(`replay of ${result.workflowId} failed: ${String(result.error)}`);
        replayed++;
      }
      return replayed;
    },
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

function searchAttributeEnum(type: string): number {
  const order = ['TEXT', 'KEYWORD', 'INT', 'DOUBLE', 'BOOL', 'DATETIME', 'KEYWORD_LIST'];
  return order.indexOf(type) + 1;
}

/** The gRPC status code a call failed with, or undefined if it succeeded. */
export async function grpcCode(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: number }).code;
  }
}
