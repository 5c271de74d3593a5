import * as wf from '@temporalio/workflow';
import type { ConformanceActivities } from '../activities.ts';

const quick = wf.proxyActivities<ConformanceActivities>({ startToCloseTimeout: '10s' });

export async function activityEcho(value: string): Promise<string> {
  return await quick.echo(value);
}

/** Calls `flaky` which fails `failures` times; returns its result (the attempt that succeeded). */
export async function retried(key: string, failures: number): Promise<number> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 10 },
  });
  return await acts.flaky(key, failures);
}

export async function maxAttempts(key: string): Promise<string> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '100ms', maximumAttempts: 3 },
  });
  try {
    await acts.flaky(key, 100);
    return 'succeeded';
  } catch (err) {
    if (err instanceof wf.ActivityFailure) return `${err.retryState}:${(err.cause as Error).message}`;
    throw err;
  }
}

export async function nonRetryableType(key: string): Promise<string> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '100ms', maximumAttempts: 5, nonRetryableErrorTypes: ['Fatal'] },
  });
  try {
    await acts.failWithType(key, 'Fatal');
    return 'succeeded';
  } catch (err) {
    if (err instanceof wf.ActivityFailure && err.cause instanceof wf.ApplicationFailure) {
      return `${err.retryState}:${err.cause.type}`;
    }
    throw err;
  }
}

export async function explicitRetryDelay(key: string): Promise<number> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '1s', maximumAttempts: 2 },
  });
  const before = Date.now();
  await acts.delayedRetry(key);
  return Date.now() - before;
}

async function timeoutType(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'no timeout';
  } catch (err) {
    if (err instanceof wf.ActivityFailure && err.cause instanceof wf.TimeoutFailure) {
      return `${err.retryState}:${err.cause.timeoutType}`;
    }
    throw err;
  }
}

export async function startToCloseTimeout(): Promise<string> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '500ms',
    retry: { initialInterval: '100ms', maximumAttempts: 2 },
  });
  return timeoutType(() => acts.hang());
}

export async function heartbeatTimeout(): Promise<string> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '30s',
    heartbeatTimeout: '500ms',
    retry: { maximumAttempts: 1 },
  });
  return timeoutType(() => acts.hang());
}

export async function scheduleToCloseTimeout(): Promise<string> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '700ms',
  });
  return timeoutType(() => acts.hang());
}

export async function scheduleToStartTimeout(): Promise<string> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    taskQueue: 'no-worker-polls-this-queue',
    startToCloseTimeout: '10s',
    scheduleToStartTimeout: '500ms',
  });
  return timeoutType(() => acts.echo('never'));
}

export async function heartbeatDetails(key: string): Promise<string> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '100ms', maximumAttempts: 3 },
  });
  return await acts.resumeFromHeartbeat(key);
}

export async function cancelActivity(): Promise<string> {
  const acts = wf.proxyActivities<ConformanceActivities>({
    startToCloseTimeout: '60s',
    heartbeatTimeout: '1s',
    cancellationType: wf.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  try {
    await wf.CancellationScope.cancellable(async () => {
      const scope = wf.CancellationScope.current();
      const running = acts.heartbeatUntilCancelled();
      await wf.sleep(200);
      scope.cancel();
      await running;
    });
    return 'completed';
  } catch (err) {
    if (wf.isCancellation(err)) return 'cancelled';
    throw err;
  }
}

export async function localActivities(value: string): Promise<string> {
  const local = wf.proxyLocalActivities<ConformanceActivities>({ startToCloseTimeout: '10s' });
  const a = await local.echo(`${value}-1`);
  const b = await local.echo(`${value}-2`);
  return `${a}+${b}`;
}

/** One signal, one timer and one activity: the benchmark's and the accounting test's unit of work. */
export async function signalTimerActivity(): Promise<string> {
  let value = '';
  wf.setHandler(wf.defineSignal<[string]>('setValue'), (v) => {
    value = v;
  });
  await wf.condition(() => value !== '');
  await wf.sleep('1 minute');
  return await quick.echo(value);
}

export async function heartbeats(count: number): Promise<number> {
  const acts = wf.proxyActivities<ConformanceActivities>({ startToCloseTimeout: '10s', heartbeatTimeout: '1s' });
  return await acts.heartbeatTimes(count);
}
