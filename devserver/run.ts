import { randomUUID } from 'node:crypto';
import type { ActivityState } from './activities.ts';
import type { TimerHandle } from './clock.ts';
import { History } from './history.ts';
import { duration, timestamp, type Msg } from './proto.ts';
import type { VisibilityRecord } from './visibility/index.ts';

export type RunStatus = VisibilityRecord['status'];

export const STATUS_ENUM: Record<RunStatus, string> = {
  Running: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
  Completed: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
  Failed: 'WORKFLOW_EXECUTION_STATUS_FAILED',
  Canceled: 'WORKFLOW_EXECUTION_STATUS_CANCELED',
  Terminated: 'WORKFLOW_EXECUTION_STATUS_TERMINATED',
  ContinuedAsNew: 'WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW',
  TimedOut: 'WORKFLOW_EXECUTION_STATUS_TIMED_OUT',
};

export interface ParentInfo {
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
}

export interface ChildRecord {
  namespace: string;
  workflowId: string;
  workflowType: string;
  runId?: string;
  initiatedEventId: number;
  startedEventId?: number;
  parentClosePolicy: string;
  closed: boolean;
}

export interface PendingQuery {
  id: string;
  query: Msg;
  resolve(response: Msg): void;
  reject(err: Error): void;
  promise: Promise<Msg>;
  dispatched: boolean;
}

export type WorkflowTaskState = 'none' | 'scheduled' | 'started';

export interface WorkflowTask {
  state: WorkflowTaskState;
  scheduledEventId: number;
  startedEventId: number;
  attempt: number;
  scheduledTime: number;
  startedTime: number;
  /** Another task is due once the started one completes (new events arrived meanwhile). */
  needsAnother: boolean;
  timeout?: TimerHandle;
  /** Queries attached to the started task (answered in its completion). */
  queries: PendingQuery[];
  /** Bumped on every dispatch, so a task queued earlier (e.g. on a sticky queue) goes stale. */
  dispatch: number;
  stickyTimeout?: TimerHandle;
}

/** The worker's sticky queue for this run (it caches the run): tasks there carry only new events. */
export interface Stickiness {
  queue: string;
  scheduleToStartMs: number;
}

/** One run of a workflow execution: its history and the state the server tracks for it. */
export class Run {
  readonly history: History;
  status: RunStatus = 'Running';
  closeTime?: number;
  closeEvent?: Msg;
  /** Set on the close event of a run that continued (as new). */
  newExecutionRunId?: string;
  readonly wt: WorkflowTask = {
    state: 'none',
    scheduledEventId: 0,
    startedEventId: 0,
    attempt: 1,
    scheduledTime: 0,
    startedTime: 0,
    needsAnother: false,
    queries: [],
    dispatch: 0,
  };
  sticky?: Stickiness;
  /** The startedEventId of the last completed workflow task (previousStartedEventId for the next). */
  lastCompletedStartedEventId = 0;
  /** Events that arrived while a workflow task was started, written once it completes. */
  buffered: Array<() => void> = [];
  /** `fire` is set once the timer fired while a workflow task was started and its event waits in `buffered`. */
  readonly timers = new Map<string, { startedEventId: number; handle: TimerHandle; fire?: () => void }>();
  readonly activities = new Map<number, ActivityState>();
  readonly children = new Map<number, ChildRecord>();
  readonly pendingQueries: PendingQuery[] = [];
  memo: Record<string, Msg>;
  searchAttributes: Record<string, Msg>;
  cancelRequested = false;
  runTimeout?: TimerHandle;
  executionTimeout?: TimerHandle;
  workflowTaskTimeoutMs: number;
  requestIds = new Set<string>();

  constructor(
    readonly namespace: string,
    readonly workflowId: string,
    readonly runId: string,
    readonly firstRunId: string,
    readonly workflowType: string,
    readonly taskQueue: string,
    readonly startTime: number,
    readonly executionTime: number,
    readonly startAttributes: Msg,
    taskIds: { next(): number },
    readonly parent?: ParentInfo,
  ) {
    this.history = new History(taskIds);
    this.memo = { ...(startAttributes.memo?.fields ?? {}) };
    this.searchAttributes = { ...(startAttributes.searchAttributes?.indexedFields ?? {}) };
    this.workflowTaskTimeoutMs = 10_000;
  }

  get isOpen(): boolean {
    return this.status === 'Running';
  }

  get execution(): Msg {
    return { workflowId: this.workflowId, runId: this.runId };
  }

  newTaskToken(kind: string, id: number | string, attempt: number): Buffer {
    return Buffer.from(
      JSON.stringify({ k: kind, ns: this.namespace, w: this.workflowId, r: this.runId, id, a: attempt }),
    );
  }

  info(): Msg {
    return {
      execution: this.execution,
      type: { name: this.workflowType },
      startTime: timestamp(this.startTime),
      closeTime: this.closeTime === undefined ? undefined : timestamp(this.closeTime),
      status: STATUS_ENUM[this.status],
      historyLength: this.history.length,
      parentExecution: this.parent ? { workflowId: this.parent.workflowId, runId: this.parent.runId } : undefined,
      parentNamespaceId: this.parent?.namespace,
      executionTime: timestamp(this.executionTime),
      memo: { fields: this.memo },
      searchAttributes: { indexedFields: this.searchAttributes },
      taskQueue: this.taskQueue,
      stateTransitionCount: this.history.length,
      historySizeBytes: 0,
      firstRunId: this.firstRunId,
      executionDuration:
        this.closeTime === undefined ? undefined : duration(Math.max(0, this.closeTime - this.executionTime)),
    };
  }

  newQuery(query: Msg): PendingQuery {
    let resolve!: (r: Msg) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Msg>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { id: randomUUID(), query, resolve, reject, promise, dispatched: false };
  }
}
