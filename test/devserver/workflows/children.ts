import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import { cancellable, echoWorkflow, failingWorkflow, setValue, signalCollector } from './basics.ts';

export async function parentOfEcho(value: string): Promise<string> {
  return await wf.executeChild(echoWorkflow, { args: [`child:${value}`] });
}

export async function parentOfFailure(): Promise<string> {
  try {
    await wf.executeChild(failingWorkflow, { args: ['child broke'] });
    return 'no failure';
  } catch (err) {
    if (err instanceof wf.ChildWorkflowFailure && err.cause instanceof wf.ApplicationFailure) {
      return `${err.cause.type}:${err.cause.message}`;
    }
    throw err;
  }
}

export async function parentCancelsChild(): Promise<string> {
  try {
    await wf.CancellationScope.cancellable(async () => {
      const child = await wf.startChild(signalCollector, {});
      wf.CancellationScope.current().cancel();
      await child.result();
    });
    return 'child completed';
  } catch (err) {
    if (err instanceof wf.ChildWorkflowFailure && wf.isCancellation(err.cause)) return 'child cancelled';
    if (wf.isCancellation(err)) return 'cancelled';
    throw err;
  }
}

/** Starts a child that waits forever and returns at once, leaving the parent close policy to act. */
export async function parentWithPolicy(childId: string, policy: 'TERMINATE' | 'REQUEST_CANCEL' | 'ABANDON'): Promise<string> {
  const child = await wf.startChild(cancellable, {
    workflowId: childId,
    parentClosePolicy: wf.ParentClosePolicy[`PARENT_CLOSE_POLICY_${policy}`],
  });
  return child.firstExecutionRunId;
}

export async function duplicateChild(childId: string): Promise<string> {
  await wf.startChild(signalCollector, { workflowId: childId });
  try {
    await wf.startChild(signalCollector, { workflowId: childId });
    return 'started twice';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already started';
    throw err;
  } finally {
    await wf.getExternalWorkflowHandle(childId).signal(setValue, 'x');
  }
}

export async function signalOther(targetId: string, value: string): Promise<string> {
  await wf.getExternalWorkflowHandle(targetId).signal(setValue, value);
  return 'sent';
}

export async function signalMissing(targetId: string): Promise<string> {
  try {
    await wf.getExternalWorkflowHandle(targetId).signal(setValue, 'nobody');
    return 'sent';
  } catch (err) {
    return err instanceof Error ? err.name : 'unknown';
  }
}

export async function cancelOther(targetId: string): Promise<string> {
  await wf.getExternalWorkflowHandle(targetId).cancel();
  return 'requested';
}
