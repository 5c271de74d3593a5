import { randomUUID } from 'node:crypto';
import { ActivityState, fillRetryPolicy } from './activities.ts';
import type { Engine } from './engine.ts';
import { invalidArgument, RpcError } from './errors.ts';
import { duration, durationToMs, type Msg } from './proto.ts';
import { answerQuery } from './queries.ts';
import type { Run } from './run.ts';
import { runSettings } from './run-settings.ts';

const CLOSING_COMMANDS = new Set([
  'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION',
  'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION',
]);

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** RespondWorkflowTaskCompleted for a run whose task is started. */
export function completeWorkflowTask(engine: Engine, run: Run, req: Msg): Msg {
  const commands: Msg[] = req.commands ?? [];
  const identity: string | undefined = req.identity;
  answerAttachedQueries(run, req.queryResults ?? {});

  // A run may not close while events it has not seen are waiting (real server: UNHANDLED_COMMAND).
  // The real server fails the task, schedules a new one, and answers INVALID_ARGUMENT "UnhandledCommand",
  // on which sdk-core evicts the run (its cached state assumed the commands were applied).
  if (run.buffered.length > 0 && commands.some((c) => CLOSING_COMMANDS.has(c.commandType))) {
    engine.tasks.failWorkflowTask(run, 'WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND', undefined, identity);
    throw invalidArgument('UnhandledCommand');
  }

  const badAttributes = invalidSearchAttributes(engine, commands);
  if (badAttributes) {
    engine.tasks.failWorkflowTask(run, 'WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES', { message: badAttributes }, identity);
    throw invalidArgument(badAttributes);
  }

  const completed = engine.append(run, 'WORKFLOW_TASK_COMPLETED', 'workflowTaskCompletedEventAttributes', {
    scheduledEventId: run.wt.scheduledEventId,
    startedEventId: run.wt.startedEventId,
    identity,
    binaryChecksum: req.binaryChecksum,
    sdkMetadata: req.sdkMetadata,
    meteringMetadata: req.meteringMetadata,
    workerVersion: req.workerVersionStamp,
  });
  run.lastCompletedStartedEventId = run.wt.startedEventId;
  const sticky = req.stickyAttributes?.workerTaskQueue?.name;
  run.sticky = sticky
    ? { queue: sticky, scheduleToStartMs: durationToMs(req.stickyAttributes.scheduleToStartTimeout) ?? 5000 }
    : undefined;
  const leftover = engine.tasks.endWorkflowTask(run);
  run.pendingQueries.unshift(...leftover);

  const ctx: CommandContext = { engine, run, completedEventId: completed.eventId, identity, after: [], newTask: false };
  let localActivities = 0;
  for (const command of commands) {
    if (!run.isOpen) break;
    if (
      command.commandType === 'COMMAND_TYPE_RECORD_MARKER' &&
      command.recordMarkerCommandAttributes?.markerName === LOCAL_ACTIVITY_MARKER
    ) {
      localActivities++;
    }
    applyCommand(ctx, command);
  }
  if (localActivities > 0) engine.accounting.record(run.workflowId, 'localActivities');

  engine.tasks.flushBuffered(run, ctx.newTask || !!req.forceCreateNewWorkflowTask);
  for (const effect of ctx.after) effect();
  engine.queries.dispatchPendingQueries(run);
  return {};
}

/** Checked before anything is written, so a bad command leaves no half-applied task behind. */
function invalidSearchAttributes(engine: Engine, commands: Msg[]): string | undefined {
  for (const c of commands) {
    const fields =
      c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes?.indexedFields ??
      c.continueAsNewWorkflowExecutionCommandAttributes?.searchAttributes?.indexedFields ??
      c.startChildWorkflowExecutionCommandAttributes?.searchAttributes?.indexedFields;
    try {
      engine.searchAttributes.stamp(fields);
    } catch (err) {
      if (err instanceof RpcError) return err.message;
      throw err;
    }
  }
  return undefined;
}

function answerAttachedQueries(run: Run, results: Record<string, Msg>): void {
  const unanswered = [];
  for (const q of run.wt.queries) {
    const result = results[q.id];
    if (result) answerQuery(q, result);
    else unanswered.push(q);
  }
  run.wt.queries = unanswered;
}

interface CommandContext {
  engine: Engine;
  run: Run;
  completedEventId: number;
  identity?: string;
  /** Effects on other runs or queues, applied once this task's events are written. */
  after: Array<() => void>;
  /** The workflow must see a new event written during command handling (e.g. an activity cancelled at once). */
  newTask: boolean;
}

function applyCommand(ctx: CommandContext, command: Msg): void {
  const { engine, run } = ctx;
  const wtc = ctx.completedEventId;
  switch (command.commandType) {
    case 'COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK': {
      const a = command.scheduleActivityTaskCommandAttributes;
      const scheduleToClose = durationToMs(a.scheduleToCloseTimeout);
      const startToClose = durationToMs(a.startToCloseTimeout) ?? scheduleToClose;
      const attributes: Msg = {
        activityId: a.activityId,
        activityType: a.activityType,
        taskQueue: { name: a.taskQueue?.name || run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
        header: a.header,
        input: a.input,
        scheduleToCloseTimeout: a.scheduleToCloseTimeout,
        scheduleToStartTimeout: a.scheduleToStartTimeout ?? a.scheduleToCloseTimeout,
        startToCloseTimeout: startToClose ? duration(startToClose) : undefined,
        heartbeatTimeout: a.heartbeatTimeout,
        workflowTaskCompletedEventId: wtc,
        retryPolicy: fillRetryPolicy(a.retryPolicy),
        priority: a.priority,
      };
      const event = engine.append(run, 'ACTIVITY_TASK_SCHEDULED', 'activityTaskScheduledEventAttributes', attributes);
      const activity = new ActivityState(engine, run, event.eventId, attributes);
      run.activities.set(event.eventId, activity);
      ctx.after.push(() => {
        if (run.isOpen && run.activities.get(event.eventId) === activity) activity.enqueue();
      });
      return;
    }
    case 'COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK': {
      const scheduledEventId = Number(command.requestCancelActivityTaskCommandAttributes.scheduledEventId);
      const event = engine.append(run, 'ACTIVITY_TASK_CANCEL_REQUESTED', 'activityTaskCancelRequestedEventAttributes', {
        scheduledEventId,
        workflowTaskCompletedEventId: wtc,
      });
      const activity = run.activities.get(scheduledEventId);
      if (activity && activity.requestCancel(event.eventId)) ctx.newTask = true;
      return;
    }
    case 'COMMAND_TYPE_START_TIMER': {
      const a = command.startTimerCommandAttributes;
      const event = engine.append(run, 'TIMER_STARTED', 'timerStartedEventAttributes', {
        timerId: a.timerId,
        startToFireTimeout: a.startToFireTimeout,
        workflowTaskCompletedEventId: wtc,
      });
      engine.accounting.record(run.workflowId, 'timerStarted');
      const startedEventId = event.eventId as number;
      const handle = engine.clock.after(durationToMs(a.startToFireTimeout) ?? 0, () => {
        const timer = run.timers.get(a.timerId);
        if (!timer || timer.startedEventId !== startedEventId) return;
        timer.fire = () => {
          run.timers.delete(a.timerId);
          engine.append(run, 'TIMER_FIRED', 'timerFiredEventAttributes', { timerId: a.timerId, startedEventId });
        };
        engine.addExternalEvent(run, timer.fire);
      });
      run.timers.set(a.timerId, { startedEventId, handle });
      return;
    }
    case 'COMMAND_TYPE_CANCEL_TIMER': {
      const timerId = command.cancelTimerCommandAttributes.timerId;
      const timer = run.timers.get(timerId);
      if (!timer) return;
      timer.handle.cancel();
      run.timers.delete(timerId);
      // Fired while the task that cancels it was started: like the real server, the cancel wins and
      // the held-back TimerFired is dropped, or the worker would see a timer both fire and cancel.
      const held = timer.fire ? run.buffered.indexOf(timer.fire) : -1;
      if (held >= 0) run.buffered.splice(held, 1);
      engine.append(run, 'TIMER_CANCELED', 'timerCanceledEventAttributes', {
        timerId,
        startedEventId: timer.startedEventId,
        workflowTaskCompletedEventId: wtc,
        identity: ctx.identity,
      });
      return;
    }
    case 'COMMAND_TYPE_RECORD_MARKER': {
      const a = command.recordMarkerCommandAttributes;
      engine.append(run, 'MARKER_RECORDED', 'markerRecordedEventAttributes', {
        markerName: a.markerName,
        details: a.details,
        workflowTaskCompletedEventId: wtc,
        header: a.header,
        failure: a.failure,
      });
      return;
    }
    case 'COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES': {
      const fields = engine.searchAttributes.stamp(
        command.upsertWorkflowSearchAttributesCommandAttributes.searchAttributes?.indexedFields,
      );
      engine.append(run, 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'upsertWorkflowSearchAttributesEventAttributes', {
        workflowTaskCompletedEventId: wtc,
        searchAttributes: { indexedFields: fields },
      });
      mergePayloads(run.searchAttributes, fields);
      engine.accounting.record(run.workflowId, 'searchAttributeUpsert');
      return;
    }
    case 'COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES': {
      const memo = command.modifyWorkflowPropertiesCommandAttributes.upsertedMemo;
      engine.append(run, 'WORKFLOW_PROPERTIES_MODIFIED', 'workflowPropertiesModifiedEventAttributes', {
        workflowTaskCompletedEventId: wtc,
        upsertedMemo: memo,
      });
      mergePayloads(run.memo, memo?.fields ?? {});
      return;
    }
    case 'COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION':
      engine.close(run, 'Completed', 'WORKFLOW_EXECUTION_COMPLETED', 'workflowExecutionCompletedEventAttributes', {
        result: command.completeWorkflowExecutionCommandAttributes?.result,
        workflowTaskCompletedEventId: wtc,
      });
      return;
    case 'COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION':
      engine.failRun(run, command.failWorkflowExecutionCommandAttributes?.failure, wtc);
      return;
    case 'COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION':
      engine.close(run, 'Canceled', 'WORKFLOW_EXECUTION_CANCELED', 'workflowExecutionCanceledEventAttributes', {
        details: command.cancelWorkflowExecutionCommandAttributes?.details,
        workflowTaskCompletedEventId: wtc,
      });
      return;
    case 'COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION':
      continueAsNew(ctx, command.continueAsNewWorkflowExecutionCommandAttributes);
      return;
    case 'COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION':
      startChild(ctx, command.startChildWorkflowExecutionCommandAttributes);
      return;
    case 'COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION':
      signalExternal(ctx, command.signalExternalWorkflowExecutionCommandAttributes);
      return;
    case 'COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION':
      cancelExternal(ctx, command.requestCancelExternalWorkflowExecutionCommandAttributes);
      return;
    default:
      console.warn(`devserver: unsupported command ${command.commandType} ignored`);
  }
}

function mergePayloads(target: Record<string, Msg>, upserted: Record<string, Msg>): void {
  for (const [key, payload] of Object.entries(upserted)) {
    const data: Buffer | undefined = payload.data;
    const text = data ? Buffer.from(data).toString('utf8').trim() : '';
    if (text === '' || text === 'null' || text === '[]') delete target[key];
    else target[key] = payload;
  }
}

function continueAsNew(ctx: CommandContext, a: Msg): void {
  const { engine, run } = ctx;
  const newRunId = randomUUID();
  const previous = run.startAttributes;
  const taskQueue = a.taskQueue?.name || run.taskQueue;
  const workflowType = a.workflowType?.name || run.workflowType;
  const runTimeout = a.workflowRunTimeout ?? previous.workflowRunTimeout;
  const taskTimeout = a.workflowTaskTimeout ?? previous.workflowTaskTimeout;
  const searchAttributes = a.searchAttributes?.indexedFields
    ? engine.searchAttributes.stamp(a.searchAttributes.indexedFields)
    : run.searchAttributes;
  const memo = a.memo ?? { fields: run.memo };
  engine.close(
    run,
    'ContinuedAsNew',
    'WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
    'workflowExecutionContinuedAsNewEventAttributes',
    {
      newExecutionRunId: newRunId,
      workflowType: { name: workflowType },
      taskQueue: { name: taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      input: a.input,
      workflowRunTimeout: runTimeout,
      workflowTaskTimeout: taskTimeout,
      workflowTaskCompletedEventId: ctx.completedEventId,
      backoffStartInterval: a.backoffStartInterval,
      initiator: a.initiator ?? 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW',
      failure: a.failure,
      lastCompletionResult: a.lastCompletionResult,
      header: a.header,
      memo,
      searchAttributes: { indexedFields: searchAttributes },
    },
  );
  engine.accounting.record(run.workflowId, 'continueAsNew');
  ctx.after.push(() => {
    engine.startRun(
      {
        namespace: run.namespace,
        workflowId: run.workflowId,
        workflowType,
        taskQueue,
        input: a.input,
        header: a.header,
        memo,
        searchAttributes,
        runTimeoutMs: durationToMs(runTimeout),
        taskTimeoutMs: durationToMs(taskTimeout),
        retryPolicy: a.retryPolicy ?? previous.retryPolicy,
        parent: run.parent,
        startDelayMs: durationToMs(a.backoffStartInterval),
        continued: {
          run,
          initiator: a.initiator ?? 'CONTINUE_AS_NEW_INITIATOR_WORKFLOW',
          lastCompletionResult: a.lastCompletionResult,
          failure: a.failure,
        },
      },
      undefined,
      newRunId,
    );
  });
}

function startChild(ctx: CommandContext, a: Msg): void {
  const { engine, run } = ctx;
  const namespace = a.namespace || run.namespace;
  const event = engine.append(
    run,
    'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
    'startChildWorkflowExecutionInitiatedEventAttributes',
    { ...a, namespace, workflowTaskCompletedEventId: ctx.completedEventId },
  );
  const initiatedEventId = event.eventId as number;
  engine.accounting.record(run.workflowId, 'childWorkflowStarted');
  const child = {
    namespace,
    workflowId: a.workflowId,
    workflowType: a.workflowType?.name,
    initiatedEventId,
    parentClosePolicy: a.parentClosePolicy || 'PARENT_CLOSE_POLICY_TERMINATE',
    closed: false,
  };
  engine.registerChild(run, child);
  ctx.after.push(() => {
    if (!run.isOpen) return;
    let childRun: Run;
    try {
      const { existing } = engine.checkStart(namespace, a.workflowId, undefined, a.workflowIdReusePolicy, undefined);
      if (existing) throw new RpcError(6, 'already started');
      childRun = engine.startRun({
        namespace,
        workflowId: a.workflowId,
        workflowType: a.workflowType?.name,
        taskQueue: a.taskQueue?.name || run.taskQueue,
        ...runSettings(engine, a),
        parent: { namespace: run.namespace, workflowId: run.workflowId, runId: run.runId, initiatedEventId },
      });
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      child.closed = true;
      engine.addExternalEvent(run, () =>
        engine.append(run, 'START_CHILD_WORKFLOW_EXECUTION_FAILED', 'startChildWorkflowExecutionFailedEventAttributes', {
          namespace,
          workflowId: a.workflowId,
          workflowType: a.workflowType,
          cause: 'START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS',
          control: a.control,
          initiatedEventId,
          workflowTaskCompletedEventId: ctx.completedEventId,
        }),
      );
      return;
    }
    engine.accounting.record(childRun.workflowId, 'workflowStarted');
    Object.assign(child, { runId: childRun.runId });
    engine.addExternalEvent(run, () => {
      const started = engine.append(
        run,
        'CHILD_WORKFLOW_EXECUTION_STARTED',
        'childWorkflowExecutionStartedEventAttributes',
        {
          namespace,
          initiatedEventId,
          workflowExecution: childRun.execution,
          workflowType: a.workflowType,
          header: a.header,
        },
      );
      Object.assign(child, { startedEventId: started.eventId });
    });
  });
}

function signalExternal(ctx: CommandContext, a: Msg): void {
  const { engine, run } = ctx;
  const namespace = a.namespace || run.namespace;
  const execution = a.execution ?? {};
  const event = engine.append(
    run,
    'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
    'signalExternalWorkflowExecutionInitiatedEventAttributes',
    {
      workflowTaskCompletedEventId: ctx.completedEventId,
      namespace,
      workflowExecution: execution,
      signalName: a.signalName,
      input: a.input,
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      header: a.header,
    },
  );
  const initiatedEventId = event.eventId;
  engine.accounting.record(run.workflowId, 'signal');
  ctx.after.push(() => {
    const target = engine.currentRunOrUndefined(namespace, execution.workflowId, execution.runId);
    if (target && target.isOpen) {
      engine.signal(target, a.signalName, a.input, a.header, `workflow:${run.workflowId}`);
      engine.addExternalEvent(run, () =>
        engine.append(run, 'EXTERNAL_WORKFLOW_EXECUTION_SIGNALED', 'externalWorkflowExecutionSignaledEventAttributes', {
          initiatedEventId,
          namespace,
          workflowExecution: { workflowId: target.workflowId, runId: target.runId },
          control: a.control,
        }),
      );
    } else {
      engine.addExternalEvent(run, () =>
        engine.append(
          run,
          'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
          'signalExternalWorkflowExecutionFailedEventAttributes',
          {
            cause: 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND',
            workflowTaskCompletedEventId: ctx.completedEventId,
            namespace,
            workflowExecution: execution,
            initiatedEventId,
            control: a.control,
          },
        ),
      );
    }
  });
}

function cancelExternal(ctx: CommandContext, a: Msg): void {
  const { engine, run } = ctx;
  const namespace = a.namespace || run.namespace;
  const execution = { workflowId: a.workflowId, runId: a.runId };
  const event = engine.append(
    run,
    'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
    'requestCancelExternalWorkflowExecutionInitiatedEventAttributes',
    {
      workflowTaskCompletedEventId: ctx.completedEventId,
      namespace,
      workflowExecution: execution,
      control: a.control,
      childWorkflowOnly: a.childWorkflowOnly,
      reason: a.reason,
    },
  );
  const initiatedEventId = event.eventId;
  ctx.after.push(() => {
    const target = engine.currentRunOrUndefined(namespace, a.workflowId, a.runId);
    if (target && target.isOpen) {
      engine.requestCancel(target, a.reason, `workflow:${run.workflowId}`, {
        initiatedEventId,
        execution: run.execution,
      });
      engine.addExternalEvent(run, () =>
        engine.append(
          run,
          'EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED',
          'externalWorkflowExecutionCancelRequestedEventAttributes',
          { initiatedEventId, namespace, workflowExecution: { workflowId: target.workflowId, runId: target.runId } },
        ),
      );
    } else {
      engine.addExternalEvent(run, () =>
        engine.append(
          run,
          'REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED',
          'requestCancelExternalWorkflowExecutionFailedEventAttributes',
          {
            cause: 'CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND',
            workflowTaskCompletedEventId: ctx.completedEventId,
            namespace,
            workflowExecution: execution,
            initiatedEventId,
            control: a.control,
          },
        ),
      );
    }
  });
}
