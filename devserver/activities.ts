import type { TimerHandle } from './clock.ts';
import type { Engine } from './engine.ts';
import { duration, durationToMs, timestamp, type Msg } from './proto.ts';
import type { Run } from './run.ts';

/** Temporal's default activity retry policy, filled in by the server when the command leaves it out. */
export function fillRetryPolicy(policy: Msg | undefined): Msg {
  return {
    initialInterval: policy?.initialInterval && durationToMs(policy.initialInterval) ? policy.initialInterval : duration(1000),
    backoffCoefficient: policy?.backoffCoefficient && policy.backoffCoefficient >= 1 ? policy.backoffCoefficient : 2,
    maximumInterval:
      policy?.maximumInterval && durationToMs(policy.maximumInterval)
        ? policy.maximumInterval
        : duration(100 * (durationToMs(policy?.initialInterval) ?? 1000)),
    maximumAttempts: policy?.maximumAttempts ?? 0,
    nonRetryableErrorTypes: policy?.nonRetryableErrorTypes ?? [],
  };
}

type Phase = 'scheduled' | 'started' | 'backoff' | 'done';

/**
 * One scheduled activity across its attempts. Only the final attempt's ActivityTaskStarted is
 * written, together with the closing event, as the real server does with retry policies.
 */
export class ActivityState {
  phase: Phase = 'scheduled';
  attempt = 1;
  readonly scheduledTime: number;
  currentAttemptScheduledTime: number;
  startedTime = 0;
  heartbeatDetails?: Msg;
  lastHeartbeatTime?: number;
  lastFailure?: Msg;
  lastIdentity?: string;
  cancelRequested = false;
  private locked = false;
  private timers: TimerHandle[] = [];
  private attemptTimers: TimerHandle[] = [];
  readonly retryPolicy: Msg;
  readonly scheduleToCloseMs?: number;
  readonly scheduleToStartMs?: number;
  readonly startToCloseMs: number;
  readonly heartbeatMs?: number;

  constructor(
    private readonly engine: Engine,
    readonly run: Run,
    readonly scheduledEventId: number,
    readonly attributes: Msg,
  ) {
    this.scheduledTime = engine.now();
    this.currentAttemptScheduledTime = this.scheduledTime;
    this.retryPolicy = attributes.retryPolicy;
    this.scheduleToCloseMs = durationToMs(attributes.scheduleToCloseTimeout);
    this.scheduleToStartMs = durationToMs(attributes.scheduleToStartTimeout);
    this.startToCloseMs = durationToMs(attributes.startToCloseTimeout) ?? this.scheduleToCloseMs ?? 10_000;
    this.heartbeatMs = durationToMs(attributes.heartbeatTimeout);
  }

  get activityId(): string {
    return this.attributes.activityId;
  }

  get taskQueue(): string {
    return this.attributes.taskQueue?.name || this.run.taskQueue;
  }

  /** Queues the current attempt on its task queue; each attempt is a billable action, started or not. */
  enqueue(): void {
    this.phase = 'scheduled';
    this.setLocked(true);
    this.engine.accounting.record(this.run.workflowId, 'activityAttempt');
    const attempt = this.attempt;
    if (this.scheduleToCloseMs && this.attempt === 1) {
      this.timers.push(
        this.engine.clock.at(this.scheduledTime + this.scheduleToCloseMs, () =>
          this.timedOut('TIMEOUT_TYPE_SCHEDULE_TO_CLOSE', undefined),
        ),
      );
    }
    if (this.scheduleToStartMs) {
      this.attemptTimers.push(
        this.engine.clock.after(this.scheduleToStartMs, () => {
          if (this.phase === 'scheduled' && this.attempt === attempt) this.timedOut('TIMEOUT_TYPE_SCHEDULE_TO_START', attempt);
        }),
      );
    }
    this.engine.activityTasks.add(this.engine.queueKey(this.run.namespace, this.taskQueue), (poll) =>
      this.start(attempt, poll.identity),
    );
  }

  private start(attempt: number, identity: string): Msg | undefined {
    if (this.phase !== 'scheduled' || this.attempt !== attempt || !this.run.isOpen) return undefined;
    const engine = this.engine;
    this.phase = 'started';
    this.lastIdentity = identity;
    this.startedTime = engine.now();
    this.clearAttemptTimers();
    this.attemptTimers.push(
      engine.clock.after(this.startToCloseMs, () => this.timedOut('TIMEOUT_TYPE_START_TO_CLOSE', attempt)),
    );
    this.armHeartbeatTimeout();
    const a = this.attributes;
    return {
      taskToken: this.run.newTaskToken('act', this.scheduledEventId, attempt),
      workflowNamespace: this.run.namespace,
      workflowType: { name: this.run.workflowType },
      workflowExecution: this.run.execution,
      activityType: a.activityType,
      activityId: a.activityId,
      header: a.header,
      input: a.input,
      heartbeatDetails: this.heartbeatDetails,
      scheduledTime: timestamp(this.scheduledTime),
      currentAttemptScheduledTime: timestamp(this.currentAttemptScheduledTime),
      startedTime: timestamp(this.startedTime),
      attempt,
      // Zero means "no timeout"; the SDK wants the field present.
      scheduleToCloseTimeout: duration(this.scheduleToCloseMs ?? 0),
      startToCloseTimeout: duration(this.startToCloseMs),
      heartbeatTimeout: duration(this.heartbeatMs ?? 0),
      retryPolicy: this.retryPolicy,
      priority: a.priority,
    };
  }

  heartbeat(details: Msg | undefined): boolean {
    if (details) this.heartbeatDetails = details;
    this.lastHeartbeatTime = this.engine.now();
    this.armHeartbeatTimeout();
    this.engine.accounting.record(this.run.workflowId, 'heartbeat');
    return this.cancelRequested;
  }

  private armHeartbeatTimeout(): void {
    if (!this.heartbeatMs) return;
    const attempt = this.attempt;
    const at = this.engine.now() + this.heartbeatMs;
    this.attemptTimers.push(
      this.engine.clock.at(at, () => {
        if (this.phase !== 'started' || this.attempt !== attempt) return;
        if ((this.lastHeartbeatTime ?? this.startedTime) + this.heartbeatMs! > this.engine.now()) return;
        this.timedOut('TIMEOUT_TYPE_HEARTBEAT', attempt);
      }),
    );
  }

  completed(result: Msg | undefined, identity: string | undefined): void {
    this.finish(identity, 'ACTIVITY_TASK_COMPLETED', 'activityTaskCompletedEventAttributes', { result });
  }

  failed(failure: Msg | undefined, lastHeartbeatDetails: Msg | undefined, identity: string | undefined): void {
    if (lastHeartbeatDetails) this.heartbeatDetails = lastHeartbeatDetails;
    const info = failure?.applicationFailureInfo;
    const decision = this.retryDecision(failure, info?.nonRetryable || this.isNonRetryableType(info?.type));
    if (decision.delayMs !== undefined) {
      const explicit = durationToMs(info?.nextRetryDelay);
      this.retry(failure, explicit ?? decision.delayMs);
      return;
    }
    this.finish(identity, 'ACTIVITY_TASK_FAILED', 'activityTaskFailedEventAttributes', {
      failure,
      identity,
      retryState: decision.retryState,
    });
  }

  canceled(details: Msg | undefined, identity: string | undefined): void {
    this.finish(identity, 'ACTIVITY_TASK_CANCELED', 'activityTaskCanceledEventAttributes', {
      details,
      latestCancelRequestedEventId: this.cancelRequestedEventId,
      identity,
    });
  }

  cancelRequestedEventId?: number;

  /** REQUEST_CANCEL_ACTIVITY_TASK: cancels at once unless a worker holds it. Returns true if it closed now. */
  requestCancel(cancelRequestedEventId: number): boolean {
    this.cancelRequestedEventId = cancelRequestedEventId;
    this.cancelRequested = true;
    if (this.phase === 'started') return false;
    this.dispose();
    this.run.activities.delete(this.scheduledEventId);
    this.engine.append(this.run, 'ACTIVITY_TASK_CANCELED', 'activityTaskCanceledEventAttributes', {
      scheduledEventId: this.scheduledEventId,
      startedEventId: 0,
      latestCancelRequestedEventId: cancelRequestedEventId,
    });
    return true;
  }

  private isNonRetryableType(type: string | undefined): boolean {
    return !!type && (this.retryPolicy.nonRetryableErrorTypes ?? []).includes(type);
  }

  private retryDecision(failure: Msg | undefined, nonRetryable: boolean): { delayMs?: number; retryState: string } {
    if (nonRetryable) return { retryState: 'RETRY_STATE_NON_RETRYABLE_FAILURE' };
    const max = Number(this.retryPolicy.maximumAttempts ?? 0);
    if (max > 0 && this.attempt >= max) return { retryState: 'RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED' };
    const initial = durationToMs(this.retryPolicy.initialInterval) ?? 1000;
    const maxInterval = durationToMs(this.retryPolicy.maximumInterval) ?? initial * 100;
    const coefficient = Number(this.retryPolicy.backoffCoefficient ?? 2);
    const explicit = durationToMs(failure?.applicationFailureInfo?.nextRetryDelay);
    const delayMs = explicit ?? Math.min(initial * coefficient ** (this.attempt - 1), maxInterval);
    if (this.scheduleToCloseMs && this.engine.now() + delayMs >= this.scheduledTime + this.scheduleToCloseMs) {
      return { retryState: 'RETRY_STATE_TIMEOUT' };
    }
    return { delayMs, retryState: 'RETRY_STATE_IN_PROGRESS' };
  }

  private retry(failure: Msg | undefined, delayMs: number): void {
    this.clearAttemptTimers();
    this.lastFailure = failure;
    this.phase = 'backoff';
    // Waiting out a retry backoff lets time skip.
    this.setLocked(false);
    this.attempt++;
    const attempt = this.attempt;
    this.timers.push(
      this.engine.clock.after(delayMs, () => {
        if (this.phase !== 'backoff' || this.attempt !== attempt || !this.run.isOpen) return;
        this.currentAttemptScheduledTime = this.engine.now();
        this.enqueue();
      }),
    );
  }

  private timedOut(timeoutType: string, attempt: number | undefined): void {
    if (this.phase === 'done' || (attempt !== undefined && attempt !== this.attempt)) return;
    const failure: Msg = {
      message: `activity ${timeoutType.replace('TIMEOUT_TYPE_', '').toLowerCase()} timeout`,
      source: 'Server',
      timeoutFailureInfo: { timeoutType, lastHeartbeatDetails: this.heartbeatDetails },
    };
    const retryable = timeoutType === 'TIMEOUT_TYPE_START_TO_CLOSE' || timeoutType === 'TIMEOUT_TYPE_HEARTBEAT';
    if (retryable) {
      const decision = this.retryDecision(undefined, false);
      if (decision.delayMs !== undefined) {
        this.retry(failure, decision.delayMs);
        return;
      }
      this.finish(undefined, 'ACTIVITY_TASK_TIMED_OUT', 'activityTaskTimedOutEventAttributes', {
        failure,
        retryState: decision.retryState,
      });
      return;
    }
    this.finish(undefined, 'ACTIVITY_TASK_TIMED_OUT', 'activityTaskTimedOutEventAttributes', {
      failure,
      retryState: 'RETRY_STATE_TIMEOUT',
    });
  }

  /** Closes the activity: writes the (last attempt's) started event and the closing event. */
  private finish(identity: string | undefined, eventType: string, field: string, attributes: Msg): void {
    const wasStarted = this.phase === 'started';
    const attempt = this.attempt;
    const lastFailure = this.lastFailure;
    this.dispose();
    this.run.activities.delete(this.scheduledEventId);
    const engine = this.engine;
    const run = this.run;
    engine.addExternalEvent(run, () => {
      let startedEventId = 0;
      if (wasStarted) {
        startedEventId = engine.append(run, 'ACTIVITY_TASK_STARTED', 'activityTaskStartedEventAttributes', {
          scheduledEventId: this.scheduledEventId,
          identity: identity ?? this.lastIdentity,
          requestId: `${this.scheduledEventId}-${attempt}`,
          attempt,
          lastFailure,
        }).eventId;
      }
      engine.append(run, eventType, field, { ...attributes, scheduledEventId: this.scheduledEventId, startedEventId });
    });
  }

  /** Stops every timer and releases the clock; the activity is over. */
  dispose(): void {
    this.phase = 'done';
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.clearAttemptTimers();
    this.setLocked(false);
  }

  private clearAttemptTimers(): void {
    for (const t of this.attemptTimers) t.cancel();
    this.attemptTimers = [];
  }

  private setLocked(locked: boolean): void {
    if (locked === this.locked) return;
    this.locked = locked;
    if (locked) this.engine.clock.lock();
    else this.engine.clock.unlock();
  }

  pendingInfo(): Msg {
    return {
      activityId: this.activityId,
      activityType: this.attributes.activityType,
      state:
        this.phase === 'started'
          ? this.cancelRequested
            ? 'PENDING_ACTIVITY_STATE_CANCEL_REQUESTED'
            : 'PENDING_ACTIVITY_STATE_STARTED'
          : 'PENDING_ACTIVITY_STATE_SCHEDULED',
      heartbeatDetails: this.heartbeatDetails,
      lastHeartbeatTime: this.lastHeartbeatTime === undefined ? undefined : timestamp(this.lastHeartbeatTime),
      lastStartedTime: this.startedTime ? timestamp(this.startedTime) : undefined,
      attempt: this.attempt,
      maximumAttempts: Number(this.retryPolicy.maximumAttempts ?? 0),
      scheduledTime: timestamp(this.scheduledTime),
      lastFailure: this.lastFailure,
      lastWorkerIdentity: this.lastIdentity,
    };
  }
}
