import { randomUUID } from 'node:crypto';
import type { Accounting } from './accounting.ts';
import type { Clock } from './clock.ts';
import { namespaceNotFound, notFound, workflowAlreadyStarted, workflowNotFound } from './errors.ts';
import { duration, durationToMs, timestamp, type Msg } from './proto.ts';
import { QueryDispatcher } from './queries.ts';
import { workflowRetryDecision } from './workflow-retry.ts';
import { WorkflowTasks } from './workflow-tasks.ts';
import { Run, type ChildRecord, type ParentInfo, type PendingQuery, type RunStatus } from './run.ts';
import type { SearchAttributeRegistry } from './search-attributes.ts';
import { TaskQueues } from './task-queues.ts';

export interface PollContext {
  identity: string;
}

export interface EngineOptions {
  clock: Clock;
  accounting: Accounting;
  searchAttributes: SearchAttributeRegistry;
  namespaces: string[];
  /** History length from which workflow tasks carry suggestContinueAsNew (Temporal's default: 4,096). */
  suggestContinueAsNewAfterEvents?: number;
}

/** What a start needs, normalised from StartWorkflowExecution, SignalWithStart, child starts and continue-as-new. */
export interface StartParams {
  namespace: string;
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  input?: Msg;
  header?: Msg;
  memo?: Msg;
  /** Already validated and stamped with types. */
  searchAttributes?: Record<string, Msg>;
  executionTimeoutMs?: number;
  runTimeoutMs?: number;
  taskTimeoutMs?: number;
  retryPolicy?: Msg;
  cronSchedule?: string;
  identity?: string;
  requestId?: string;
  parent?: ParentInfo;
  startDelayMs?: number;
  /** Continue-as-new: the run it continues and what carries over. */
  continued?: { run: Run; initiator: string; lastCompletionResult?: Msg; failure?: Msg };
  /** Workflow retry attempt (1 for a fresh start). */
  attempt?: number;
}

const DEFAULT_TASK_TIMEOUT_MS = 10_000;
const FAILED_STATUSES: RunStatus[] = ['Failed', 'Canceled', 'Terminated', 'TimedOut'];

export const CLOSE_EVENT_FIELDS: Record<string, RunStatus> = {
  workflowExecutionCompletedEventAttributes: 'Completed',
  workflowExecutionFailedEventAttributes: 'Failed',
  workflowExecutionCanceledEventAttributes: 'Canceled',
  workflowExecutionTerminatedEventAttributes: 'Terminated',
  workflowExecutionTimedOutEventAttributes: 'TimedOut',
  workflowExecutionContinuedAsNewEventAttributes: 'ContinuedAsNew',
};

/** The namespace store and the workflow-execution state machine shared by all RPCs. */
export class Engine {
  readonly clock: Clock;
  readonly accounting: Accounting;
  readonly searchAttributes: SearchAttributeRegistry;
  readonly namespaces: Set<string>;
  readonly suggestContinueAsNewAfterEvents: number;
  readonly workflowTasks = new TaskQueues<Msg, PollContext>();
  readonly activityTasks = new TaskQueues<Msg, PollContext>();
  /** Runs of each workflow id, oldest first; the last is the current one. */
  private executions = new Map<string, Run[]>();
  private runs = new Map<string, Run>();
  readonly legacyQueries = new Map<string, PendingQuery>();
  readonly tasks = new WorkflowTasks(this);
  readonly queries = new QueryDispatcher(this);
  private taskCounter = 1;
  readonly taskIds = { next: () => this.taskCounter++ };

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.accounting = options.accounting;
    this.searchAttributes = options.searchAttributes;
    this.namespaces = new Set(options.namespaces);
    this.suggestContinueAsNewAfterEvents = options.suggestContinueAsNewAfterEvents ?? 4096;
  }

  now(): number {
    return this.clock.now();
  }

  requireNamespace(namespace: string | undefined): string {
    const ns = namespace || '';
    if (!this.namespaces.has(ns)) throw namespaceNotFound(ns);
    return ns;
  }

  queueKey(namespace: string, taskQueue: string): string {
    return `${namespace}\u0000${taskQueue}`;
  }

  allRuns(): IterableIterator<Run> {
    return this.runs.values();
  }

  runById(runId: string): Run | undefined {
    return this.runs.get(runId);
  }

  currentRun(namespace: string, workflowId: string): Run | undefined {
    const runs = this.executions.get(`${namespace}/${workflowId}`);
    return runs?.[runs.length - 1];
  }

  currentRunOrUndefined(namespace: string, workflowId: string, runId?: string | null): Run | undefined {
    try {
      return this.getRun(namespace, workflowId, runId);
    } catch {
      return undefined;
    }
  }

  /** The named run, or the current run of the workflow id; NOT_FOUND otherwise. */
  getRun(namespace: string, workflowId: string, runId?: string | null): Run {
    if (runId) {
      const run = this.runs.get(runId);
      if (!run || run.workflowId !== workflowId || run.namespace !== namespace) {
        throw workflowNotFound(workflowId, runId);
      }
      return run;
    }
    const run = this.currentRun(namespace, workflowId);
    if (!run) throw workflowNotFound(workflowId);
    return run;
  }

  /** Applies the id-reuse and id-conflict policies; returns the run to reuse or undefined to start. */
  checkStart(
    namespace: string,
    workflowId: string,
    requestId: string | undefined,
    reusePolicy: string | undefined,
    conflictPolicy: string | undefined,
  ): { existing?: Run } {
    const current = this.currentRun(namespace, workflowId);
    if (!current) return {};
    if (current.isOpen) {
      if (requestId && current.requestIds.has(requestId)) return { existing: current };
      switch (conflictPolicy) {
        case 'WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING':
          return { existing: current };
        case 'WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING':
          this.terminate(current, 'terminated by a new start (TERMINATE_EXISTING)', undefined, 'devserver');
          return {};
        default:
          if (reusePolicy === 'WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING') {
            this.terminate(current, 'terminated by a new start (TERMINATE_IF_RUNNING)', undefined, 'devserver');
            return {};
          }
          throw workflowAlreadyStarted(workflowId, current.runId, requestId ?? '');
      }
    }
    if (requestId && current.requestIds.has(requestId)) return { existing: current };
    switch (reusePolicy) {
      case 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE':
        throw workflowAlreadyStarted(workflowId, current.runId, requestId ?? '');
      case 'WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY':
        if (!FAILED_STATUSES.includes(current.status)) {
          throw workflowAlreadyStarted(workflowId, current.runId, requestId ?? '');
        }
        return {};
      default:
        return {};
    }
  }

  /** Creates a run, writes WorkflowExecutionStarted, and schedules its first workflow task. */
  startRun(p: StartParams, beforeFirstTask?: (run: Run) => void, runId: string = randomUUID()): Run {
    const now = this.now();
    const previous = p.continued?.run;
    const firstRunId = previous?.firstRunId ?? runId;
    const executionExpiration =
      previous?.startAttributes.workflowExecutionExpirationTime ??
      (p.executionTimeoutMs ? timestamp(now + p.executionTimeoutMs) : undefined);
    const taskTimeoutMs = Math.min(p.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS, 120_000);
    const startDelayMs = p.startDelayMs ?? 0;
    const attributes: Msg = {
      workflowType: { name: p.workflowType },
      parentWorkflowNamespace: p.parent?.namespace,
      parentWorkflowExecution: p.parent ? { workflowId: p.parent.workflowId, runId: p.parent.runId } : undefined,
      parentInitiatedEventId: p.parent?.initiatedEventId,
      taskQueue: { name: p.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      input: p.input,
      workflowExecutionTimeout: p.executionTimeoutMs ? duration(p.executionTimeoutMs) : undefined,
      workflowRunTimeout: p.runTimeoutMs ? duration(p.runTimeoutMs) : undefined,
      workflowTaskTimeout: duration(taskTimeoutMs),
      continuedExecutionRunId: previous?.runId,
      initiator: p.continued?.initiator,
      continuedFailure: p.continued?.failure,
      lastCompletionResult: p.continued?.lastCompletionResult,
      originalExecutionRunId: runId,
      identity: p.identity,
      firstExecutionRunId: firstRunId,
      retryPolicy: p.retryPolicy,
      attempt: p.attempt ?? 1,
      workflowExecutionExpirationTime: executionExpiration,
      cronSchedule: p.cronSchedule,
      firstWorkflowTaskBackoff: startDelayMs > 0 ? duration(startDelayMs) : undefined,
      memo: p.memo,
      searchAttributes: p.searchAttributes ? { indexedFields: p.searchAttributes } : undefined,
      header: p.header,
      workflowId: p.workflowId,
    };
    const run = new Run(
      p.namespace,
      p.workflowId,
      runId,
      firstRunId,
      p.workflowType,
      p.taskQueue,
      now,
      now + startDelayMs,
      attributes,
      this.taskIds,
      p.parent,
    );
    run.workflowTaskTimeoutMs = taskTimeoutMs;
    if (p.requestId) run.requestIds.add(p.requestId);
    run.history.append(now, 'WORKFLOW_EXECUTION_STARTED', 'workflowExecutionStartedEventAttributes', attributes);
    const key = `${p.namespace}/${p.workflowId}`;
    const runs = this.executions.get(key) ?? [];
    runs.push(run);
    this.executions.set(key, runs);
    this.runs.set(runId, run);

    if (p.runTimeoutMs) {
      run.runTimeout = this.clock.at(now + p.runTimeoutMs, () => this.timeOut(run));
    }
    if (executionExpiration) {
      const at = Number(executionExpiration.seconds) * 1000 + Math.floor(Number(executionExpiration.nanos) / 1e6);
      run.executionTimeout = this.clock.at(at, () => this.timeOut(run));
    }
    beforeFirstTask?.(run);
    if (startDelayMs > 0) this.clock.after(startDelayMs, () => this.tasks.scheduleWorkflowTask(run));
    else this.tasks.scheduleWorkflowTask(run);
    return run;
  }

  // ---- events from outside the workflow -------------------------------------------------------

  /**
   * Writes an event that the workflow must see (signal, timer fired, activity result…) and makes
   * sure a workflow task follows. While a task is started the event is held back (sdk-core
   * requires the task's history to end at its WorkflowTaskStarted).
   */
  addExternalEvent(run: Run, write: () => void): boolean {
    if (!run.isOpen) return false;
    if (run.wt.state === 'started') {
      run.buffered.push(write);
      run.wt.needsAnother = true;
      return true;
    }
    write();
    this.tasks.scheduleWorkflowTask(run);
    return true;
  }

  append(run: Run, eventType: string, field: string, attributes: Msg): Msg {
    return run.history.append(this.now(), eventType, field, attributes);
  }

  signal(run: Run, signalName: string, input: Msg | undefined, header: Msg | undefined, identity: string | undefined) {
    if (!run.isOpen) throw notFound('workflow execution already completed');
    this.addExternalEvent(run, () =>
      this.append(run, 'WORKFLOW_EXECUTION_SIGNALED', 'workflowExecutionSignaledEventAttributes', {
        signalName,
        input,
        identity,
        header,
      }),
    );
  }

  requestCancel(run: Run, reason: string | undefined, identity: string | undefined, external?: Msg): void {
    if (!run.isOpen) throw notFound('workflow execution already completed');
    if (run.cancelRequested) return;
    run.cancelRequested = true;
    this.addExternalEvent(run, () =>
      this.append(run, 'WORKFLOW_EXECUTION_CANCEL_REQUESTED', 'workflowExecutionCancelRequestedEventAttributes', {
        cause: reason,
        identity,
        externalInitiatedEventId: external?.initiatedEventId,
        externalWorkflowExecution: external?.execution,
      }),
    );
  }

  terminate(run: Run, reason: string | undefined, details: Msg | undefined, identity: string | undefined): void {
    if (!run.isOpen) throw notFound('workflow execution already completed');
    this.forceCloseWorkflowTask(run, identity);
    this.close(run, 'Terminated', 'WORKFLOW_EXECUTION_TERMINATED', 'workflowExecutionTerminatedEventAttributes', {
      reason,
      details,
      identity,
    });
  }

  private timeOut(run: Run): void {
    if (!run.isOpen) return;
    this.forceCloseWorkflowTask(run, 'devserver');
    this.close(run, 'TimedOut', 'WORKFLOW_EXECUTION_TIMED_OUT', 'workflowExecutionTimedOutEventAttributes', {
      retryState: 'RETRY_STATE_TIMEOUT',
    });
  }

  /** As the real server does when a run is closed from outside while its task is started. */
  private forceCloseWorkflowTask(run: Run, identity: string | undefined): void {
    if (run.wt.state !== 'started') return;
    this.append(run, 'WORKFLOW_TASK_FAILED', 'workflowTaskFailedEventAttributes', {
      scheduledEventId: run.wt.scheduledEventId,
      startedEventId: run.wt.startedEventId,
      cause: 'WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND',
      identity,
    });
    this.tasks.endWorkflowTask(run);
  }

  // ---- closing -------------------------------------------------------------------------------------

  /** `successor`: a new run follows (retry), so a parent is not told the child closed. */
  close(run: Run, status: RunStatus, eventType: string, field: string, attributes: Msg, successor = false): void {
    if (!run.isOpen) return;
    const event = this.append(run, eventType, field, attributes);
    run.status = status;
    run.closeTime = this.now();
    run.closeEvent = event;
    run.newExecutionRunId = attributes.newExecutionRunId;
    for (const timer of run.timers.values()) timer.handle.cancel();
    run.timers.clear();
    run.runTimeout?.cancel();
    run.executionTimeout?.cancel();
    run.pendingQueries.unshift(...this.tasks.endWorkflowTask(run));
    run.buffered = [];
    for (const activity of run.activities.values()) activity.dispose();
    run.activities.clear();
    run.history.wake();
    if (status !== 'ContinuedAsNew' && !successor) this.notifyParent(run, event);
    this.applyParentClosePolicy(run);
    this.queries.dispatchPendingQueries(run);
  }

  /** FAIL_WORKFLOW_EXECUTION: closes the run, and starts the next attempt if its retry policy allows. */
  failRun(run: Run, failure: Msg | undefined, workflowTaskCompletedEventId: number): void {
    const decision = workflowRetryDecision(run, failure, this.now());
    if (decision.delayMs === undefined) {
      this.close(run, 'Failed', 'WORKFLOW_EXECUTION_FAILED', 'workflowExecutionFailedEventAttributes', {
        failure,
        retryState: decision.retryState,
        workflowTaskCompletedEventId,
      });
      return;
    }
    const newRunId = randomUUID();
    const a = run.startAttributes;
    this.close(
      run,
      'Failed',
      'WORKFLOW_EXECUTION_FAILED',
      'workflowExecutionFailedEventAttributes',
      { failure, retryState: decision.retryState, workflowTaskCompletedEventId, newExecutionRunId: newRunId },
      true,
    );
    this.startRun(
      {
        namespace: run.namespace,
        workflowId: run.workflowId,
        workflowType: run.workflowType,
        taskQueue: run.taskQueue,
        input: a.input,
        header: a.header,
        memo: { fields: run.memo },
        searchAttributes: run.searchAttributes,
        runTimeoutMs: durationToMs(a.workflowRunTimeout),
        taskTimeoutMs: run.workflowTaskTimeoutMs,
        retryPolicy: a.retryPolicy,
        parent: run.parent,
        startDelayMs: decision.delayMs,
        attempt: Number(a.attempt ?? 1) + 1,
        continued: { run, initiator: 'CONTINUE_AS_NEW_INITIATOR_RETRY', failure },
      },
      undefined,
      newRunId,
    );
  }

  private notifyParent(run: Run, closeEvent: Msg): void {
    if (!run.parent) return;
    const parent = this.runs.get(run.parent.runId);
    if (!parent || !parent.isOpen) return;
    const child = parent.children.get(run.parent.initiatedEventId);
    if (!child || child.closed) return;
    child.closed = true;
    const common = {
      namespace: run.namespace,
      workflowExecution: run.execution,
      workflowType: { name: run.workflowType },
      initiatedEventId: child.initiatedEventId,
      startedEventId: child.startedEventId,
    };
    const write = (type: string, field: string, extra: Msg) => () =>
      this.append(parent, type, field, { ...common, ...extra });
    const c = closeEvent;
    let writer: () => void;
    switch (run.status) {
      case 'Completed':
        writer = write('CHILD_WORKFLOW_EXECUTION_COMPLETED', 'childWorkflowExecutionCompletedEventAttributes', {
          result: c.workflowExecutionCompletedEventAttributes.result,
        });
        break;
      case 'Failed':
        writer = write('CHILD_WORKFLOW_EXECUTION_FAILED', 'childWorkflowExecutionFailedEventAttributes', {
          failure: c.workflowExecutionFailedEventAttributes.failure,
          retryState: c.workflowExecutionFailedEventAttributes.retryState ?? 'RETRY_STATE_NON_RETRYABLE_FAILURE',
        });
        break;
      case 'Canceled':
        writer = write('CHILD_WORKFLOW_EXECUTION_CANCELED', 'childWorkflowExecutionCanceledEventAttributes', {
          details: c.workflowExecutionCanceledEventAttributes.details,
        });
        break;
      case 'Terminated':
        writer = write('CHILD_WORKFLOW_EXECUTION_TERMINATED', 'childWorkflowExecutionTerminatedEventAttributes', {});
        break;
      default:
        writer = write('CHILD_WORKFLOW_EXECUTION_TIMED_OUT', 'childWorkflowExecutionTimedOutEventAttributes', {
          retryState: 'RETRY_STATE_TIMEOUT',
        });
    }
    this.addExternalEvent(parent, writer);
  }

  private applyParentClosePolicy(run: Run): void {
    for (const child of run.children.values()) {
      if (child.closed || !child.runId) continue;
      child.closed = true;
      const target = this.currentRun(child.namespace, child.workflowId);
      if (!target || !target.isOpen || target.parent?.runId !== run.runId) continue;
      if (child.parentClosePolicy === 'PARENT_CLOSE_POLICY_ABANDON') continue;
      if (child.parentClosePolicy === 'PARENT_CLOSE_POLICY_REQUEST_CANCEL') {
        this.requestCancel(target, 'by parent close policy', 'devserver');
      } else {
        this.terminate(target, 'by parent close policy', undefined, 'devserver');
      }
    }
  }

  registerChild(parent: Run, child: ChildRecord): void {
    parent.children.set(child.initiatedEventId, child);
  }

  closeEventOf(run: Run): Msg | undefined {
    return run.closeEvent;
  }
}
