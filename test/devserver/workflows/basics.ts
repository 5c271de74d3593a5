import * as wf from '@temporalio/workflow';

export const setValue = wf.defineSignal<[string]>('setValue');
export const finish = wf.defineSignal('finish');
export const getValue = wf.defineQuery<string>('getValue');

export async function echoWorkflow(value: string): Promise<string> {
  return value;
}

export async function failingWorkflow(message: string): Promise<never> {
  throw wf.ApplicationFailure.create({ message, type: 'ConformanceFailure', nonRetryable: true });
}

/** Collects signals until `finish`; answers `getValue` with what it has. */
export async function signalCollector(): Promise<string> {
  let value = '';
  let finished = false;
  wf.setHandler(setValue, (v) => {
    value = value ? `${value},${v}` : v;
  });
  wf.setHandler(finish, () => {
    finished = true;
  });
  wf.setHandler(getValue, () => value);
  await wf.condition(() => finished);
  return value;
}

/** Waits for cancellation and reports it as its result. */
export async function cancellable(): Promise<string> {
  try {
    await wf.condition(() => false);
    return 'not cancelled';
  } catch (err) {
    if (wf.isCancellation(err)) return 'cancelled';
    throw err;
  }
}

export async function sleeper(ms: number): Promise<number> {
  const before = Date.now();
  await wf.sleep(ms);
  return Date.now() - before;
}

/** A timer that a signal cancels by satisfying the condition first. */
export async function conditionTimeout(timeoutMs: number): Promise<boolean> {
  let got = false;
  wf.setHandler(finish, () => {
    got = true;
  });
  return await wf.condition(() => got, timeoutMs);
}

export async function countdown(n: number): Promise<number> {
  if (n > 0) await wf.continueAsNew<typeof countdown>(n - 1);
  return wf.workflowInfo().continuedFromExecutionRunId ? 1000 + n : n;
}

/** Continues as new forever with a short sleep, so only an execution timeout ends it. */
export async function endlessContinuation(): Promise<void> {
  await wf.sleep('1 hour');
  await wf.continueAsNew<typeof endlessContinuation>();
}

export async function memoWorkflow(): Promise<void> {
  wf.upsertMemo({ stage: 'updated', extra: 42 });
  await wf.condition(() => false);
}

export async function patchedWorkflow(): Promise<boolean> {
  return wf.patched('conformance-patch');
}

/** Fails its first workflow task with a non-Temporal error; succeeds on the retry. */
export async function failsFirstTask(): Promise<string> {
  if (wf.workflowInfo().historyLength < 5) throw new Error('first task fails on purpose');
  return 'recovered';
}

export async function clockReader(): Promise<number> {
  return Date.now();
}

/** Takes signals until the server suggests continuing as new; returns the history length then. */
export async function untilContinueAsNewSuggested(): Promise<number> {
  let pending = 0;
  wf.setHandler(setValue, () => {
    pending++;
  });
  while (!wf.workflowInfo().continueAsNewSuggested) {
    await wf.condition(() => pending > 0);
    pending = 0;
  }
  return wf.workflowInfo().historyLength;
}

/** Fails (retryably) until the given workflow attempt; returns the attempt that succeeded. */
export async function succeedsOnAttempt(attempt: number): Promise<number> {
  const current = wf.workflowInfo().attempt;
  if (current < attempt) throw wf.ApplicationFailure.retryable(`attempt ${current} fails`, 'RetryMe');
  return current;
}
