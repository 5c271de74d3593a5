import { invalidArgument } from './errors.ts';
import type { Msg } from './proto.ts';
import type { Engine } from './engine.ts';
import { timestamp } from './proto.ts';
import type { PendingQuery, Run } from './run.ts';

/** Answers a pending QueryWorkflow call from a worker's query result (attached or legacy). */
export function answerQuery(pending: PendingQuery, result: Msg): void {
  const failed =
    result.resultType === 'QUERY_RESULT_TYPE_FAILED' || result.completedType === 'QUERY_RESULT_TYPE_FAILED';
  if (failed) {
    // The real server answers a failed query with INVALID_ARGUMENT (QueryFailed).
    pending.reject(invalidArgument(result.errorMessage || result.failure?.message || 'query failed'));
    return;
  }
  pending.resolve({ queryResult: result.answer ?? result.queryResult });
}

/** Queries: attached to the next workflow task, or handed to a worker as a legacy query task. */
export class QueryDispatcher {
  constructor(private readonly engine: Engine) {}

  /** Attaches the query to the next workflow task, or hands it to a worker as a legacy query task. */
  query(run: Run, query: Msg): Promise<Msg> {
    const pending = run.newQuery(query);
    if (run.isOpen && run.wt.state !== 'none') run.pendingQueries.push(pending);
    else this.dispatchLegacyQuery(run, pending);
    return pending.promise;
  }

  dispatchPendingQueries(run: Run): void {
    if (run.isOpen && run.wt.state !== 'none') return;
    for (const q of run.pendingQueries.splice(0)) this.dispatchLegacyQuery(run, q);
  }

  private dispatchLegacyQuery(run: Run, pending: PendingQuery): void {
    this.engine.legacyQueries.set(pending.id, pending);
    pending.promise.then(
      () => this.engine.legacyQueries.delete(pending.id),
      () => this.engine.legacyQueries.delete(pending.id),
    );
    this.engine.workflowTasks.add(this.engine.queueKey(run.namespace, run.taskQueue), () => {
      if (!this.engine.legacyQueries.has(pending.id)) return undefined;
      if (run.isOpen && run.wt.state !== 'none') {
        // A workflow task got scheduled meanwhile: ride along with it instead.
        this.engine.legacyQueries.delete(pending.id);
        run.pendingQueries.push(pending);
        return undefined;
      }
      return {
        taskToken: Buffer.from(JSON.stringify({ k: 'q', id: pending.id })),
        workflowExecution: run.execution,
        workflowType: { name: run.workflowType },
        previousStartedEventId: run.lastCompletedStartedEventId,
        startedEventId: 0,
        attempt: 1,
        history: { events: run.history.events },
        query: pending.query,
        workflowExecutionTaskQueue: { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
        scheduledTime: timestamp(this.engine.now()),
        startedTime: timestamp(this.engine.now()),
      };
    });
  }
}
