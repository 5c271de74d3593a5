import { status as grpcStatus } from '@grpc/grpc-js';
import {
  QueryNotRegisteredError,
  QueryRejectedError,
  WorkflowClient,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ApplicationFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { grpcCode, onDevserver, useHarness } from './harness.ts';
import * as workflows from './workflows/index.ts';

const DAY = 24 * 3600 * 1000;
const EventType = temporal.api.enums.v1.EventType;
/** Cases that need the virtual clock run only against the devserver. */
const itSkipping = onDevserver ? it : undefined;

const h = useHarness('timeSkipping');

const start = <A extends unknown[]>(workflow: (...args: A) => Promise<unknown>, args: A, prefix = workflow.name) =>
  h.env.client.workflow.start(workflow, { args, taskQueue: h.taskQueue, workflowId: h.id(prefix) }).then(h.track);

async function eventTypes(handle: { fetchHistory(): Promise<temporal.api.history.v1.IHistory> }) {
  const history = await handle.fetchHistory();
  return (history.events ?? []).map((e) => e.eventType);
}

describe('devserver conformance: system, start, signals, queries', () => {
  it('GetSystemInfo advertises SDK metadata support', async () => {
    const info = await h.env.connection.workflowService.getSystemInfo({});
    expect(info.capabilities?.sdkMetadata).toBe(true);
    expect(info.serverVersion).toBeTruthy();
  });

  it('DescribeNamespace knows default and answers NOT_FOUND for others', async () => {
    const ns = await h.env.connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(ns.namespaceInfo?.name).toBe('default');
    expect(await grpcCode(h.env.connection.workflowService.describeNamespace({ namespace: 'no-such-ns' }))).toBe(
      grpcStatus.NOT_FOUND,
    );
  });

  it('starts a workflow and returns its result', async () => {
    const handle = await start(workflows.echoWorkflow, ['hello']);
    expect(await handle.result()).toBe('hello');
  });

  it('rejects a second start of a running workflow id', async () => {
    const handle = await start(workflows.signalCollector, []);
    await expect(
      h.env.client.workflow.start(workflows.signalCollector, { taskQueue: h.taskQueue, workflowId: handle.workflowId }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await handle.signal(workflows.finish);
    await handle.result();
  });

  it('applies id reuse policies to closed workflows', async () => {
    const first = await start(workflows.echoWorkflow, ['one']);
    await first.result();
    const options = { taskQueue: h.taskQueue, workflowId: first.workflowId, args: ['two'] as [string] };
    await expect(
      h.env.client.workflow.start(workflows.echoWorkflow, { ...options, workflowIdReusePolicy: 'REJECT_DUPLICATE' }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    await expect(
      h.env.client.workflow.start(workflows.echoWorkflow, { ...options, workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    const second = h.track(await h.env.client.workflow.start(workflows.echoWorkflow, options));
    expect(second.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
    expect(await second.result()).toBe('two');
  });

  it('allows a failed-only reuse after a failure', async () => {
    const first = await start(workflows.failingWorkflow, ['boom']);
    await expect(first.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const second = h.track(
      await h.env.client.workflow.start(workflows.echoWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: first.workflowId,
        args: ['again'],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      }),
    );
    expect(await second.result()).toBe('again');
  });

  it('USE_EXISTING conflict policy returns the running run', async () => {
    const first = await start(workflows.signalCollector, []);
    const second = await h.env.client.workflow.start(workflows.signalCollector, {
      taskQueue: h.taskQueue,
      workflowId: first.workflowId,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    await first.signal(workflows.finish);
    await first.result();
  });

  it('delivers signals in order', async () => {
    const handle = await start(workflows.signalCollector, []);
    await handle.signal(workflows.setValue, 'a');
    await handle.signal(workflows.setValue, 'b');
    await handle.signal(workflows.finish);
    expect(await handle.result()).toBe('a,b');
  });

  it('signalWithStart starts once, then signals the running workflow', async () => {
    const workflowId = h.id('sws');
    const options = { taskQueue: h.taskQueue, workflowId, signal: workflows.setValue };
    const first = h.track(await h.env.client.workflow.signalWithStart(workflows.signalCollector, { ...options, signalArgs: ['x'] }));
    const second = await h.env.client.workflow.signalWithStart(workflows.signalCollector, { ...options, signalArgs: ['y'] });
    expect(second.signaledRunId).toBe(first.signaledRunId);
    await first.signal(workflows.finish);
    expect(await first.result()).toBe('x,y');
  });

  it('answers queries on a running workflow', async () => {
    const handle = await start(workflows.signalCollector, []);
    await handle.signal(workflows.setValue, 'q1');
    expect(await handle.query(workflows.getValue)).toBe('q1');
    await handle.signal(workflows.finish);
    await handle.result();
  });

  it('answers queries on a closed workflow', async () => {
    const handle = await start(workflows.signalCollector, []);
    await handle.signal(workflows.setValue, 'done');
    await handle.signal(workflows.finish);
    await handle.result();
    expect(await handle.query(workflows.getValue)).toBe('done');
  });

  it('rejects a query on a closed workflow when asked to (queryRejectCondition)', async () => {
    const handle = await start(workflows.signalCollector, []);
    await handle.signal(workflows.finish);
    await handle.result();
    const client = new WorkflowClient({ connection: h.env.connection, queryRejectCondition: 'NOT_OPEN' });
    await expect(client.getHandle(handle.workflowId).query(workflows.getValue)).rejects.toBeInstanceOf(QueryRejectedError);
  });

  it('maps an unknown query type to QueryNotRegisteredError', async () => {
    const handle = await start(workflows.signalCollector, []);
    await expect(handle.query('noSuchQuery')).rejects.toBeInstanceOf(QueryNotRegisteredError);
    await handle.signal(workflows.finish);
    await handle.result();
  });

  it('describes running and closed executions', async () => {
    const handle = h.track(
      await h.env.client.workflow.start(workflows.signalCollector, {
        taskQueue: h.taskQueue,
        workflowId: h.id('describe'),
        memo: { owner: 'conformance' },
      }),
    );
    const running = await handle.describe();
    expect(running.status.name).toBe('RUNNING');
    expect(running.type).toBe('signalCollector');
    expect(running.taskQueue).toBe(h.taskQueue);
    expect(running.memo).toEqual({ owner: 'conformance' });
    await handle.signal(workflows.finish);
    await handle.result();
    const closed = await handle.describe();
    expect(closed.status.name).toBe('COMPLETED');
    expect(closed.closeTime).toBeInstanceOf(Date);
  });

  it('terminates a workflow', async () => {
    const handle = await start(workflows.signalCollector, []);
    await handle.terminate('enough');
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    expect((await handle.describe()).status.name).toBe('TERMINATED');
  });

  it('delivers cancellation to the workflow', async () => {
    const handle = await start(workflows.cancellable, []);
    await handle.cancel();
    expect(await handle.result()).toBe('cancelled');
    expect(await eventTypes(handle)).toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  });

  it('reports a workflow failure with its cause', async () => {
    const handle = await start(workflows.failingWorkflow, ['it broke']);
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe('ConformanceFailure');
    expect(cause.message).toBe('it broke');
  });

  it('answers NOT_FOUND for unknown workflows', async () => {
    const handle = h.env.client.workflow.getHandle('no-such-workflow');
    await expect(handle.signal(workflows.finish)).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('answers INVALID_ARGUMENT for a start without a workflow id', async () => {
    const code = await grpcCode(
      h.env.connection.workflowService.startWorkflowExecution({
        namespace: 'default',
        workflowType: { name: 'echoWorkflow' },
        taskQueue: { name: h.taskQueue },
        requestId: h.id('req'),
      }),
    );
    expect(code).toBe(grpcStatus.INVALID_ARGUMENT);
  });
});

describe('devserver conformance: history', () => {
  it('pages history with contiguous event ids', async () => {
    const handle = await start(workflows.signalCollector, []);
    for (const v of ['1', '2', '3']) await handle.signal(workflows.setValue, v);
    await handle.signal(workflows.finish);
    await handle.result();
    const all = (await handle.fetchHistory()).events ?? [];
    const paged = [];
    let nextPageToken: Uint8Array | undefined;
    let pages = 0;
    do {
      const page = await h.env.connection.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId: handle.workflowId },
        maximumPageSize: 3,
        nextPageToken,
      });
      paged.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      pages++;
    } while (nextPageToken);
    expect(pages).toBeGreaterThan(2);
    expect(paged.map((e) => Number(e.eventId))).toEqual(all.map((_, i) => i + 1));
  });

  it('long-polls for new events', async () => {
    const handle = await start(workflows.signalCollector, []);
    const first = await h.env.connection.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: handle.workflowId },
      waitNewEvent: true,
    });
    expect(first.nextPageToken?.length).toBeGreaterThan(0);
    const seen = first.history?.events?.length ?? 0;
    const waiting = h.env.connection.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: handle.workflowId },
      waitNewEvent: true,
      nextPageToken: first.nextPageToken,
    });
    await handle.signal(workflows.finish);
    const next = await waiting;
    expect(Number(next.history?.events?.[0]?.eventId)).toBeGreaterThan(seen);
    await handle.result();
  });

  it('returns only the close event with the CLOSE_EVENT filter', async () => {
    const handle = await start(workflows.echoWorkflow, ['close']);
    await handle.result();
    const res = await h.env.connection.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: handle.workflowId },
      historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    });
    expect(res.history?.events?.map((e) => e.eventType)).toEqual([EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]);
  });
});

describe('devserver conformance: timers and time', () => {
  itSkipping?.('sleeps 30 days of virtual time', async () => {
    const before = await h.env.currentTimeMs();
    const handle = await start(workflows.sleeper, [30 * DAY]);
    const slept = await handle.result();
    expect(slept).toBeGreaterThanOrEqual(30 * DAY);
    expect((await h.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(30 * DAY);
  });

  itSkipping?.('env.sleep advances the clock', async () => {
    const before = await h.env.currentTimeMs();
    await h.env.sleep(2 * 3600 * 1000);
    expect((await h.env.currentTimeMs()) - before).toBeGreaterThanOrEqual(2 * 3600 * 1000);
  });

  it('fires a timer', async () => {
    const handle = await start(workflows.sleeper, [500]);
    expect(await handle.result()).toBeGreaterThanOrEqual(500);
    const types = await eventTypes(handle);
    expect(types).toContain(EventType.EVENT_TYPE_TIMER_STARTED);
    expect(types).toContain(EventType.EVENT_TYPE_TIMER_FIRED);
  });

  it('cancels a timer when a condition is met first', async () => {
    const handle = await start(workflows.conditionTimeout, [3600 * 1000]);
    await handle.signal(workflows.finish);
    expect(await handle.result()).toBe(true);
    expect(await eventTypes(handle)).toContain(EventType.EVENT_TYPE_TIMER_CANCELED);
  });

  itSkipping?.('times out a run (workflow run timeout)', async () => {
    const handle = h.track(
      await h.env.client.workflow.start(workflows.signalCollector, {
        taskQueue: h.taskQueue,
        workflowId: h.id('runTimeout'),
        workflowRunTimeout: '1 day',
      }),
    );
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TimeoutFailure);
    expect((await handle.describe()).status.name).toBe('TIMED_OUT');
  });

  itSkipping?.('times out an execution across continue-as-new (execution timeout)', async () => {
    const handle = h.track(
      await h.env.client.workflow.start(workflows.endlessContinuation, {
        taskQueue: h.taskQueue,
        workflowId: h.id('executionTimeout'),
        workflowExecutionTimeout: '3 hours',
      }),
    );
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(TimeoutFailure);
    const { executions } = await h.env.connection.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowId = '${handle.workflowId}'`,
    });
    expect(executions.length).toBeGreaterThanOrEqual(3);
  });
});

describe('devserver conformance: continue-as-new, memo, markers, task retries', () => {
  it('follows continue-as-new to the last run', async () => {
    const handle = await start(workflows.countdown, [3]);
    expect(await handle.result()).toBe(1000);
    const first = await h.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
  });

  it('keeps memo from start and upserts', async () => {
    const handle = h.track(
      await h.env.client.workflow.start(workflows.memoWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: h.id('memo'),
        memo: { stage: 'initial', owner: 'me' },
      }),
    );
    await h.env.client.workflow.getHandle(handle.workflowId).query('__stack_trace');
    expect((await handle.describe()).memo).toEqual({ stage: 'updated', owner: 'me', extra: 42 });
    await handle.terminate();
  });

  it('records patch markers', async () => {
    const handle = await start(workflows.patchedWorkflow, []);
    expect(await handle.result()).toBe(true);
    const history = await handle.fetchHistory();
    const markers = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED);
    expect(markers.map((m) => m.markerRecordedEventAttributes?.markerName)).toEqual(['core_patch']);
  });

  it('retries a failed run under its workflow retry policy', async () => {
    const handle = h.track(
      await h.env.client.workflow.start(workflows.succeedsOnAttempt, {
        args: [2],
        taskQueue: h.taskQueue,
        workflowId: h.id('wfRetry'),
        retry: { initialInterval: '1s', maximumAttempts: 3 },
      }),
    );
    expect(await handle.result()).toBe(2);
    const first = await h.env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('FAILED');
  });

  it('stops retrying a run at the maximum attempts', async () => {
    const handle = h.track(
      await h.env.client.workflow.start(workflows.succeedsOnAttempt, {
        args: [5],
        taskQueue: h.taskQueue,
        workflowId: h.id('wfRetryMax'),
        retry: { initialInterval: '1s', maximumAttempts: 2 },
      }),
    );
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).retryState).toBe('MAXIMUM_ATTEMPTS_REACHED');
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).message).toBe('attempt 2 fails');
  });

  it('retries a failed workflow task', async () => {
    const handle = await start(workflows.failsFirstTask, []);
    expect(await handle.result()).toBe('recovered');
    expect(await eventTypes(handle)).toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
  });
});

describe('devserver conformance: workflow tasks seen from a raw worker', () => {
  const ns = 'default';
  const service = () => h.env.connection.workflowService;
  async function startRaw(taskTimeout?: string) {
    const taskQueue = h.id('raw');
    const handle = await h.env.client.workflow.start('rawWorkflow', {
      taskQueue,
      workflowId: h.id('raw'),
      workflowTaskTimeout: taskTimeout,
    });
    const poll = () => service().pollWorkflowTaskQueue({ namespace: ns, taskQueue: { name: taskQueue }, identity: 'raw' });
    return { handle, poll };
  }
  const types = async (workflowId: string) =>
    ((await h.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).map((e) => e.eventType);

  it('delivers a task whose history ends with its WorkflowTaskStarted', async () => {
    const { handle, poll } = await startRaw();
    const task = await poll();
    const events = task.history?.events ?? [];
    expect(Number(task.startedEventId)).toBe(events.length);
    expect(events.at(-1)?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    await handle.terminate();
  });

  it('holds back events that arrive while a task is started', async () => {
    const { handle, poll } = await startRaw();
    const task = await poll();
    await handle.signal('late');
    await service().respondWorkflowTaskCompleted({ namespace: ns, taskToken: task.taskToken, commands: [] });
    expect((await types(handle.workflowId)).slice(2)).toEqual([
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    ]);
    await handle.terminate();
  });

  it('rejects completing a run over an unseen signal (UNHANDLED_COMMAND)', async () => {
    const { handle, poll } = await startRaw();
    const task = await poll();
    await handle.signal('late');
    const completing = service().respondWorkflowTaskCompleted({
      namespace: ns,
      taskToken: task.taskToken,
      commands: [
        {
          commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
          completeWorkflowExecutionCommandAttributes: {},
        },
      ],
    });
    await expect(completing).rejects.toMatchObject({ code: grpcStatus.INVALID_ARGUMENT, details: 'UnhandledCommand' });
    const history = await h.env.client.workflow.getHandle(handle.workflowId).fetchHistory();
    const failed = history.events?.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    expect(failed?.workflowTaskFailedEventAttributes?.cause).toBe(
      temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    );
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate();
  });

  itSkipping?.('drops a held-back TimerFired when the task in flight cancels the timer', async () => {
    const { handle, poll } = await startRaw();
    const first = await poll();
    await service().respondWorkflowTaskCompleted({
      namespace: ns,
      taskToken: first.taskToken,
      commands: [
        {
          commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_START_TIMER,
          startTimerCommandAttributes: { timerId: 't1', startToFireTimeout: msToTs(1000) },
        },
      ],
    });
    await handle.signal('wake');
    const second = await poll();
    // The started task holds the clock; this returns once a virtual (here: wall) second has passed.
    await h.env.sleep(1500);
    await service().respondWorkflowTaskCompleted({
      namespace: ns,
      taskToken: second.taskToken,
      commands: [
        {
          commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_CANCEL_TIMER,
          cancelTimerCommandAttributes: { timerId: 't1' },
        },
      ],
    });
    const seen = await types(handle.workflowId);
    expect(seen).toContain(EventType.EVENT_TYPE_TIMER_CANCELED);
    expect(seen).not.toContain(EventType.EVENT_TYPE_TIMER_FIRED);
    await handle.terminate();
  });

  it('sends new events only to a sticky worker, and the full history once the sticky queue lapses', async () => {
    const { handle, poll } = await startRaw();
    const stickyName = h.id('sticky');
    const stickyAttributes = {
      workerTaskQueue: { name: stickyName, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY },
      scheduleToStartTimeout: msToTs(1000),
    };
    const pollSticky = () =>
      service().pollWorkflowTaskQueue({
        namespace: ns,
        taskQueue: { name: stickyName, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY },
        identity: 'raw',
      });
    const first = await poll();
    await service().respondWorkflowTaskCompleted({ namespace: ns, taskToken: first.taskToken, commands: [], stickyAttributes });
    await handle.signal('one');
    const partial = await pollSticky();
    const events = partial.history?.events ?? [];
    expect(Number(events[0]?.eventId)).toBe(Number(partial.previousStartedEventId) + 1);
    expect(events.map((e) => e.eventType)).toContain(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
    await service().respondWorkflowTaskCompleted({ namespace: ns, taskToken: partial.taskToken, commands: [], stickyAttributes });
    await handle.signal('two');
    // Nobody polls the sticky queue: after its schedule-to-start timeout the task moves to the normal queue.
    const full = await poll();
    expect(Number(full.history?.events?.[0]?.eventId)).toBe(1);
    await handle.terminate();
  });

  it('retries a workflow task that timed out', async () => {
    const { handle, poll } = await startRaw('1s');
    const first = await poll();
    expect(first.attempt).toBe(1);
    const second = await poll();
    expect(second.attempt).toBe(2);
    expect(await types(handle.workflowId)).toContain(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
    await handle.terminate();
  });

  it('answers NOT_FOUND for a task token already used', async () => {
    const { handle, poll } = await startRaw();
    const task = await poll();
    await service().respondWorkflowTaskCompleted({ namespace: ns, taskToken: task.taskToken, commands: [] });
    expect(
      await grpcCode(service().respondWorkflowTaskCompleted({ namespace: ns, taskToken: task.taskToken, commands: [] })),
    ).toBe(grpcStatus.NOT_FOUND);
    await handle.terminate();
  });
});

it('every recorded history replays', async () => {
  expect(await h.replayAll()).toBeGreaterThan(20);
});
