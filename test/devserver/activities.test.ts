import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { readActions, readWorkflowActions } from '../../devserver/index.ts';
import { onDevserver, useHarness } from './harness.ts';
import * as workflows from './workflows/index.ts';

const EventType = temporal.api.enums.v1.EventType;
const itSkipping = onDevserver ? it : undefined;

const h = useHarness('timeSkipping');

const start = <A extends unknown[]>(workflow: (...args: A) => Promise<unknown>, args: A, workflowId = h.id(workflow.name)) =>
  h.env.client.workflow.start(workflow, { args, taskQueue: h.taskQueue, workflowId }).then(h.track);

async function eventTypes(workflowId: string) {
  const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map((e) => e.eventType);
}

describe('devserver conformance: activities', () => {
  it('runs an activity and returns its result', async () => {
    const handle = await start(workflows.activityEcho, ['hi']);
    expect(await handle.result()).toBe('echo:hi');
    const types = await eventTypes(handle.workflowId);
    expect(types).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    expect(types).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  });

  it('retries a failing activity until it succeeds', async () => {
    const key = h.id('flaky');
    const handle = await start(workflows.retried, [key, 2]);
    expect(await handle.result()).toBe(3);
    expect(h.attempts.get(key)).toBe(3);
    const history = await handle.fetchHistory();
    const started = history.events?.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(3);
  });

  it('stops at the maximum attempts', async () => {
    const key = h.id('max');
    const handle = await start(workflows.maxAttempts, [key]);
    expect(await handle.result()).toBe('MAXIMUM_ATTEMPTS_REACHED:flaky failure 3');
    expect(h.attempts.get(key)).toBe(3);
  });

  it('does not retry non-retryable error types', async () => {
    const key = h.id('fatal');
    const handle = await start(workflows.nonRetryableType, [key]);
    expect(await handle.result()).toBe('NON_RETRYABLE_FAILURE:Fatal');
    expect(h.attempts.get(key)).toBe(1);
  });

  itSkipping?.('honours an explicit next retry delay', async () => {
    const key = h.id('delay');
    const handle = await start(workflows.explicitRetryDelay, [key]);
    expect(await handle.result()).toBeGreaterThanOrEqual(3600 * 1000);
    expect(h.attempts.get(key)).toBe(2);
  });

  it('times out an attempt after start-to-close and retries it', async () => {
    const handle = await start(workflows.startToCloseTimeout, []);
    expect(await handle.result()).toBe('MAXIMUM_ATTEMPTS_REACHED:START_TO_CLOSE');
    const history = await handle.fetchHistory();
    const started = history.events?.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
  });

  it('times out an activity that stops heartbeating', async () => {
    const handle = await start(workflows.heartbeatTimeout, []);
    expect(await handle.result()).toBe('MAXIMUM_ATTEMPTS_REACHED:HEARTBEAT');
  });

  it('times out an activity after schedule-to-close', async () => {
    const handle = await start(workflows.scheduleToCloseTimeout, []);
    const result = await handle.result();
    expect(result).toMatch(/:SCHEDULE_TO_CLOSE$/);
  });

  it('times out an activity no worker picks up (schedule-to-start)', async () => {
    const handle = await start(workflows.scheduleToStartTimeout, []);
    expect(await handle.result()).toMatch(/:SCHEDULE_TO_START$/);
  });

  it('hands heartbeat details to the next attempt', async () => {
    const key = h.id('resume');
    const handle = await start(workflows.heartbeatDetails, [key]);
    expect(await handle.result()).toBe('attempt 2 resumed from progress-1');
  });

  it('cancels a running activity', async () => {
    const handle = await start(workflows.cancelActivity, []);
    expect(await handle.result()).toBe('cancelled');
    const types = await eventTypes(handle.workflowId);
    expect(types).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED);
    expect(types).toContain(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED);
  });

  it('runs local activities and records markers', async () => {
    const handle = await start(workflows.localActivities, ['la']);
    expect(await handle.result()).toBe('echo:la-1+echo:la-2');
    const history = await handle.fetchHistory();
    const markers = history.events?.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED) ?? [];
    expect(markers.map((m) => m.markerRecordedEventAttributes?.markerName)).toEqual([
      'core_local_activity',
      'core_local_activity',
    ]);
  });
});

describe('devserver conformance: child and external workflows', () => {
  it('returns a child workflow result', async () => {
    const handle = await start(workflows.parentOfEcho, ['v']);
    expect(await handle.result()).toBe('child:v');
    const types = await eventTypes(handle.workflowId);
    expect(types).toContain(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED);
    expect(types).toContain(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
  });

  it('propagates a child failure', async () => {
    const handle = await start(workflows.parentOfFailure, []);
    expect(await handle.result()).toBe('ConformanceFailure:child broke');
  });

  it('cancels a child workflow', async () => {
    const handle = await start(workflows.parentCancelsChild, []);
    expect(await handle.result()).toBe('child cancelled');
    expect(await eventTypes(handle.workflowId)).toContain(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED);
  });

  it('fails to start a child whose id is taken', async () => {
    const childId = h.id('dup-child');
    const handle = await start(workflows.duplicateChild, [childId]);
    expect(await handle.result()).toBe('already started');
    h.track(h.env.client.workflow.getHandle(childId));
  });

  for (const [policy, expected] of [
    ['TERMINATE', 'TERMINATED'],
    ['REQUEST_CANCEL', 'COMPLETED'],
    ['ABANDON', 'RUNNING'],
  ] as const) {
    it(`applies parent close policy ${policy}`, async () => {
      const childId = h.id(`child-${policy}`);
      const parent = await start(workflows.parentWithPolicy, [childId, policy]);
      await parent.result();
      const child = h.track(h.env.client.workflow.getHandle(childId));
      if (policy === 'REQUEST_CANCEL') expect(await child.result()).toBe('cancelled');
      expect((await child.describe()).status.name).toBe(expected);
      if (policy === 'ABANDON') await child.terminate();
    });
  }

  it('signals an external workflow', async () => {
    const target = await start(workflows.signalCollector, []);
    const sender = await start(workflows.signalOther, [target.workflowId, 'from-workflow']);
    expect(await sender.result()).toBe('sent');
    await target.signal(workflows.finish);
    expect(await target.result()).toBe('from-workflow');
    expect(await eventTypes(sender.workflowId)).toContain(EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED);
  });

  it('fails a signal to a workflow that does not exist', async () => {
    const sender = await start(workflows.signalMissing, [h.id('nobody')]);
    expect(await sender.result()).not.toBe('sent');
    expect(await eventTypes(sender.workflowId)).toContain(
      EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED,
    );
  });

  it('requests cancellation of an external workflow', async () => {
    const target = await start(workflows.cancellable, []);
    const canceller = await start(workflows.cancelOther, [target.workflowId]);
    expect(await canceller.result()).toBe('requested');
    expect(await target.result()).toBe('cancelled');
  });

  it('a child that fails makes the parent fail when not caught', async () => {
    const handle = await start(workflows.parentOfEcho, ['ok']);
    await expect(handle.result()).resolves.toBe('child:ok');
    const failing = await start(workflows.failingWorkflow, ['direct']);
    await expect(failing.result()).rejects.toBeInstanceOf(WorkflowFailedError);
  });
});

describe('devserver billable-action accounting', () => {
  const itDev = onDevserver ? it : undefined;
  const actions = (workflowId: string) => readWorkflowActions(h.env.address, workflowId);

  itDev?.('counts start, signal, timer and activity attempt', async () => {
    const handle = await start(workflows.signalTimerActivity, []);
    await handle.signal('setValue', 'v');
    expect(await handle.result()).toBe('echo:v');
    const counts = await actions(handle.workflowId);
    expect(counts.byKind).toMatchObject({ workflowStarted: 1, signal: 1, timerStarted: 1, activityAttempt: 1 });
    expect(counts.total).toBe(4);
  });

  itDev?.('counts every activity attempt', async () => {
    const handle = await start(workflows.retried, [h.id('acct'), 2]);
    await handle.result();
    expect((await actions(handle.workflowId)).byKind.activityAttempt).toBe(3);
  });

  itDev?.('counts queries', async () => {
    const handle = await start(workflows.signalCollector, []);
    await handle.query(workflows.getValue);
    await handle.query(workflows.getValue);
    await handle.signal(workflows.finish);
    await handle.result();
    expect((await actions(handle.workflowId)).byKind).toMatchObject({ query: 2, signal: 1, workflowStarted: 1 });
  });

  itDev?.('counts a child start twice (parent command and child start)', async () => {
    const handle = await start(workflows.parentOfEcho, ['acct']);
    await handle.result();
    const parent = await actions(handle.workflowId);
    expect(parent.byKind.childWorkflowStarted).toBe(1);
    const { executions } = await h.env.connection.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowType = 'echoWorkflow' AND ExecutionStatus = 'Completed'`,
    });
    const child = executions.find((e) => e.parentExecution?.workflowId === handle.workflowId);
    expect(child).toBeDefined();
    expect((await actions(child!.execution!.workflowId!)).byKind.workflowStarted).toBe(1);
  });

  itDev?.('counts continue-as-new', async () => {
    const handle = await start(workflows.countdown, [2]);
    await handle.result();
    expect((await actions(handle.workflowId)).byKind).toMatchObject({ workflowStarted: 1, continueAsNew: 2 });
  });

  itDev?.('counts heartbeats that reach the server', async () => {
    const handle = await start(workflows.heartbeats, [2]);
    expect(await handle.result()).toBe(2);
    expect((await actions(handle.workflowId)).byKind.heartbeat).toBe(2);
  });

  itDev?.('counts the local activities of one workflow task once', async () => {
    const handle = await start(workflows.localActivities, ['acct']);
    await handle.result();
    const counts = await actions(handle.workflowId);
    const history = await handle.fetchHistory();
    const completedTasks = history.events?.filter(
      (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    ).length;
    // Two local activities; core may report them in one task or two.
    expect(counts.byKind.localActivities).toBeGreaterThanOrEqual(1);
    expect(counts.byKind.localActivities).toBeLessThanOrEqual(Math.min(2, completedTasks ?? 0));
  });

  itDev?.('sums per-workflow counts into the total', async () => {
    const snapshot = await readActions(h.env.address);
    const sum = Object.values(snapshot.byWorkflow).reduce((acc, c) => acc + c.total, 0);
    expect(snapshot.total).toBe(sum);
    expect(snapshot.total).toBeGreaterThan(0);
  });
});

it('every recorded history replays', async () => {
  expect(await h.replayAll()).toBeGreaterThan(15);
});
