import type { Client } from '@temporalio/client';
import type { UserWake, Waker } from '../api/ingest/deps.ts';
import { lifecycleWorkflowId, userLifecycle, wakeSignal } from '../workflows/user-lifecycle.ts';

/**
 * Wakes lifecycle workflows with signalWithStart whatever the wake's kind: it costs the same single
 * action as a plain signal and also (re)starts a workflow that is missing.
 */
export function createTemporalWaker(client: Client, taskQueue: string, parallelism = 32): Waker {
  const wakeOne = (wake: UserWake) =>
    client.workflow.signalWithStart(userLifecycle, {
      workflowId: lifecycleWorkflowId(wake.userId),
      taskQueue,
      args: [{ v: 1, userId: wake.userId }],
      signal: wakeSignal,
    });
  return {
    async wake(wakes) {
      const queue = [...wakes];
      const errors: unknown[] = [];
      const lanes = Array.from({ length: Math.min(parallelism, queue.length) }, async () => {
        for (let wake = queue.shift(); wake; wake = queue.shift()) {
          await wakeOne(wake).catch((error: unknown) => errors.push(error));
        }
      });
      await Promise.all(lanes);
      if (errors.length) throw new AggregateError(errors, `${errors.length} of ${wakes.length} wakes failed`);
    },
  };
}
