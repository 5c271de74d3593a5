import { randomUUID } from 'node:crypto';
import type { Engine, PollContext } from './engine.ts';
import { duration, timestamp, type Msg } from './proto.ts';
import type { PendingQuery, Run } from './run.ts';

/**
 * Workflow tasks of every run: scheduling (normal or sticky queue), starting, completion
 * bookkeeping, failure and timeout with retry. An outstanding task holds the clock (time skipping).
 */
export class WorkflowTasks {
  constructor(private readonly engine: Engine) {}

  scheduleWorkflowTask(run: Run, attempt = 1): void {
    if (!run.isOpen) return;
    if (run.wt.state === 'started') {
      run.wt.needsAnother = true;
      return;
    }
    if (run.wt.state === 'scheduled') return;
    const event = this.engine.append(run, 'WORKFLOW_TASK_SCHEDULED', 'workflowTaskScheduledEventAttributes', {
      taskQueue: { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      startToCloseTimeout: duration(run.workflowTaskTimeoutMs),
      attempt,
    });
    Object.assign(run.wt, {
      state: 'scheduled',
      scheduledEventId: event.eventId,
      startedEventId: 0,
      attempt,
      scheduledTime: this.engine.now(),
      needsAnother: false,
      queries: [],
    });
    // An outstanding workflow task holds time still (time skipping).
    this.engine.clock.lock();
    this.dispatchWorkflowTask(run);
  }

  /**
   * Queues the scheduled task: on the worker's sticky queue with only the new events when the run
   * is sticky, otherwise on the normal queue with the full history. A sticky task nobody takes
   * within its schedule-to-start timeout moves to the normal queue, as on the real server.
   */
  private dispatchWorkflowTask(run: Run): void {
    const generation = ++run.wt.dispatch;
    const scheduledEventId = run.wt.scheduledEventId;
    const sticky = run.sticky;
    run.wt.stickyTimeout?.cancel();
    run.wt.stickyTimeout = undefined;
    this.engine.workflowTasks.add(this.engine.queueKey(run.namespace, sticky ? sticky.queue : run.taskQueue), (poll) =>
      run.wt.dispatch === generation ? this.startWorkflowTask(run, scheduledEventId, poll, !!sticky) : undefined,
    );
    if (sticky) {
      run.wt.stickyTimeout = this.engine.clock.after(sticky.scheduleToStartMs, () => {
        if (!run.isOpen || run.wt.state !== 'scheduled' || run.wt.dispatch !== generation) return;
        run.sticky = undefined;
        this.dispatchWorkflowTask(run);
      });
    }
  }

  /** The worker dropped its cache for these runs (shutdown, ResetStickyTaskQueue): full histories again. */
  unstick(runs: Iterable<Run>): void {
    for (const run of runs) {
      if (!run.sticky) continue;
      run.sticky = undefined;
      if (run.isOpen && run.wt.state === 'scheduled') this.dispatchWorkflowTask(run);
    }
  }

  unstickQueue(namespace: string, stickyQueue: string): void {
    this.unstick([...this.engine.allRuns()].filter((r) => r.namespace === namespace && r.sticky?.queue === stickyQueue));
  }

  private startWorkflowTask(run: Run, scheduledEventId: number, poll: PollContext, sticky: boolean): Msg | undefined {
    if (!run.isOpen || run.wt.state !== 'scheduled' || run.wt.scheduledEventId !== scheduledEventId) return undefined;
    run.wt.stickyTimeout?.cancel();
    run.wt.stickyTimeout = undefined;
    const now = this.engine.now();
    const event = this.engine.append(run, 'WORKFLOW_TASK_STARTED', 'workflowTaskStartedEventAttributes', {
      scheduledEventId,
      identity: poll.identity,
      requestId: randomUUID(),
      historySizeBytes: 0,
      // Counting the WorkflowTaskStarted event itself, as the server does.
      suggestContinueAsNew: run.history.length + 1 >= this.engine.suggestContinueAsNewAfterEvents,
    });
    run.wt.state = 'started';
    run.wt.startedEventId = event.eventId;
    run.wt.startedTime = now;
    run.wt.queries = run.pendingQueries.splice(0);
    const startedEventId = event.eventId as number;
    run.wt.timeout = this.engine.clock.after(run.workflowTaskTimeoutMs, () => this.workflowTaskTimedOut(run, startedEventId));
    const queries: Record<string, Msg> = {};
    for (const q of run.wt.queries) queries[q.id] = q.query;
    return {
      taskToken: run.newTaskToken('wt', scheduledEventId, run.wt.attempt),
      workflowExecution: run.execution,
      workflowType: { name: run.workflowType },
      previousStartedEventId: run.lastCompletedStartedEventId,
      startedEventId,
      attempt: run.wt.attempt,
      backlogCountHint: 0,
      // sdk-core: a sticky task's history is exactly the events after previousStartedEventId.
      history: { events: sticky ? run.history.events.slice(run.lastCompletedStartedEventId) : run.history.events },
      workflowExecutionTaskQueue: { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      scheduledTime: timestamp(run.wt.scheduledTime),
      startedTime: timestamp(now),
      queries,
    };
  }

  /** Moves the task to 'none' and releases its clock lock; returns the queries it carried. */
  endWorkflowTask(run: Run): PendingQuery[] {
    if (run.wt.state === 'none') return [];
    run.wt.timeout?.cancel();
    run.wt.timeout = undefined;
    run.wt.stickyTimeout?.cancel();
    run.wt.stickyTimeout = undefined;
    run.wt.state = 'none';
    const queries = run.wt.queries;
    run.wt.queries = [];
    this.engine.clock.unlock();
    return queries;
  }

  /** Writes the events held back during the task; schedules a new task if any or if asked. */
  flushBuffered(run: Run, forceNewTask: boolean): void {
    const buffered = run.buffered.splice(0);
    const needsAnother = run.wt.needsAnother;
    run.wt.needsAnother = false;
    if (!run.isOpen) return;
    for (const write of buffered) write();
    if (buffered.length > 0 || needsAnother || forceNewTask) this.scheduleWorkflowTask(run);
  }

  failWorkflowTask(run: Run, cause: string, failure: Msg | undefined, identity: string | undefined): void {
    // The worker drops a run whose task failed from its cache: send it the full history again.
    run.sticky = undefined;
    this.engine.append(run, 'WORKFLOW_TASK_FAILED', 'workflowTaskFailedEventAttributes', {
      scheduledEventId: run.wt.scheduledEventId,
      startedEventId: run.wt.startedEventId,
      cause,
      failure,
      identity,
    });
    const attempt = run.wt.attempt;
    run.pendingQueries.unshift(...this.endWorkflowTask(run));
    run.buffered.splice(0).forEach((write) => write());
    run.wt.needsAnother = false;
    this.scheduleWorkflowTask(run, cause === 'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND' ? 1 : attempt + 1);
  }

  private workflowTaskTimedOut(run: Run, startedEventId: number): void {
    if (!run.isOpen || run.wt.state !== 'started' || run.wt.startedEventId !== startedEventId) return;
    run.sticky = undefined;
    this.engine.append(run, 'WORKFLOW_TASK_TIMED_OUT', 'workflowTaskTimedOutEventAttributes', {
      scheduledEventId: run.wt.scheduledEventId,
      startedEventId,
      timeoutType: 'TIMEOUT_TYPE_START_TO_CLOSE',
    });
    const attempt = run.wt.attempt;
    run.pendingQueries.unshift(...this.endWorkflowTask(run));
    run.buffered.splice(0).forEach((write) => write());
    run.wt.needsAnother = false;
    this.scheduleWorkflowTask(run, attempt + 1);
  }
}
