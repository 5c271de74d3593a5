import { randomUUID } from 'node:crypto';
import type { Engine } from './engine.ts';
import { commandsHandlers } from './worker-handlers.ts';
import { invalidArgument, requireField } from './errors.ts';
import type { Handler } from './grpc-handlers.ts';
import { getHistory } from './history-fetch.ts';
import { duration, durationToMs, type Msg } from './proto.ts';
import { STATUS_ENUM, type Run } from './run.ts';
import { runSettings } from './run-settings.ts';
import { countWorkflows, listWorkflows } from './visibility-service.ts';

export const SERVER_VERSION = '1.24.0-devserver';

function executionOf(req: Msg, field = 'workflowExecution'): { workflowId: string; runId?: string } {
  const execution = req[field] ?? {};
  return { workflowId: requireField<string>(execution.workflowId, 'WorkflowId'), runId: execution.runId || undefined };
}

function startParams(engine: Engine, namespace: string, req: Msg) {
  const workflowId = requireField<string>(req.workflowId, 'WorkflowId');
  const workflowType = requireField<string>(req.workflowType?.name, 'WorkflowType');
  const taskQueue = requireField<string>(req.taskQueue?.name, 'TaskQueue');
  if (workflowId.length > 1000) throw invalidArgument('WorkflowId exceeds length limit.');
  return {
    namespace,
    workflowId,
    workflowType,
    taskQueue,
    ...runSettings(engine, req),
    identity: req.identity,
    requestId: req.requestId || randomUUID(),
    startDelayMs: durationToMs(req.workflowStartDelay),
  };
}

function describe(run: Run): Msg {
  return {
    executionConfig: {
      taskQueue: { name: run.taskQueue, kind: 'TASK_QUEUE_KIND_NORMAL' },
      workflowExecutionTimeout: run.startAttributes.workflowExecutionTimeout,
      workflowRunTimeout: run.startAttributes.workflowRunTimeout,
      defaultWorkflowTaskTimeout: duration(run.workflowTaskTimeoutMs),
    },
    workflowExecutionInfo: run.info(),
    pendingActivities: [...run.activities.values()].map((a) => a.pendingInfo()),
    pendingChildren: [...run.children.values()]
      .filter((c) => !c.closed)
      .map((c) => ({
        workflowId: c.workflowId,
        runId: c.runId,
        workflowTypeName: c.workflowType,
        initiatedId: c.initiatedEventId,
        parentClosePolicy: c.parentClosePolicy,
      })),
  };
}

/** The client-facing WorkflowService RPCs. */
export function workflowServiceHandlers(engine: Engine): Record<string, Handler> {
  const ns = (req: Msg) => engine.requireNamespace(req.namespace);
  return {
    GetSystemInfo: () => ({
      serverVersion: SERVER_VERSION,
      capabilities: {
        signalAndQueryHeader: true,
        internalErrorDifferentiation: true,
        activityFailureIncludeHeartbeat: true,
        supportsSchedules: false,
        encodedFailureAttributes: true,
        upsertMemo: true,
        eagerWorkflowStart: false,
        sdkMetadata: true,
        countGroupByExecutionStatus: true,
      },
    }),

    DescribeNamespace: (req) => {
      const name = req.namespace || req.id || '';
      engine.requireNamespace(name);
      return {
        namespaceInfo: { name, state: 'NAMESPACE_STATE_REGISTERED', id: name, description: 'in-memory devserver' },
        config: { workflowExecutionRetentionTtl: duration(24 * 3600 * 1000) },
        isGlobalNamespace: false,
      };
    },

    ListNamespaces: () => ({
      namespaces: [...engine.namespaces].map((name) => ({
        namespaceInfo: { name, state: 'NAMESPACE_STATE_REGISTERED', id: name },
        config: { workflowExecutionRetentionTtl: duration(24 * 3600 * 1000) },
      })),
    }),

    GetSearchAttributes: () => ({
      keys: Object.fromEntries(
        [...engine.searchAttributes.queryable()].map(([name, type]) => [name, `INDEXED_VALUE_TYPE_${snake(type)}`]),
      ),
    }),

    StartWorkflowExecution: (req) => {
      const namespace = ns(req);
      const params = startParams(engine, namespace, req);
      const { existing } = engine.checkStart(
        namespace,
        params.workflowId,
        params.requestId,
        req.workflowIdReusePolicy,
        req.workflowIdConflictPolicy,
      );
      if (existing) return { runId: existing.runId, started: false };
      const run = engine.startRun(params);
      engine.accounting.record(run.workflowId, 'workflowStarted');
      return { runId: run.runId, started: true };
    },

    SignalWorkflowExecution: (req) => {
      const namespace = ns(req);
      const { workflowId, runId } = executionOf(req);
      const signalName = requireField<string>(req.signalName, 'SignalName');
      const run = engine.getRun(namespace, workflowId, runId);
      engine.signal(run, signalName, req.input, req.header, req.identity);
      engine.accounting.record(workflowId, 'signal');
      return {};
    },

    SignalWithStartWorkflowExecution: (req) => {
      const namespace = ns(req);
      const params = startParams(engine, namespace, req);
      const signalName = requireField<string>(req.signalName, 'SignalName');
      const current = engine.currentRun(namespace, params.workflowId);
      engine.accounting.record(params.workflowId, 'signalWithStart');
      if (current?.isOpen && req.workflowIdConflictPolicy !== 'WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING') {
        engine.signal(current, signalName, req.signalInput, req.header, req.identity);
        return { runId: current.runId, started: false };
      }
      engine.checkStart(namespace, params.workflowId, undefined, req.workflowIdReusePolicy, req.workflowIdConflictPolicy);
      const run = engine.startRun(params, (r) =>
        engine.append(r, 'WORKFLOW_EXECUTION_SIGNALED', 'workflowExecutionSignaledEventAttributes', {
          signalName,
          input: req.signalInput,
          identity: req.identity,
          header: req.header,
        }),
      );
      return { runId: run.runId, started: true };
    },

    QueryWorkflow: async (req) => {
      const namespace = ns(req);
      const { workflowId, runId } = executionOf(req, 'execution');
      requireField(req.query?.queryType, 'QueryType');
      const run = engine.getRun(namespace, workflowId, runId);
      const reject =
        (req.queryRejectCondition === 'QUERY_REJECT_CONDITION_NOT_OPEN' && !run.isOpen) ||
        (req.queryRejectCondition === 'QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY' &&
          !run.isOpen &&
          run.status !== 'Completed');
      if (reject) return { queryRejected: { status: STATUS_ENUM[run.status] } };
      engine.accounting.record(workflowId, 'query');
      return engine.queries.query(run, req.query);
    },

    DescribeWorkflowExecution: (req) => {
      const namespace = ns(req);
      const { workflowId, runId } = executionOf(req, 'execution');
      return describe(engine.getRun(namespace, workflowId, runId));
    },

    TerminateWorkflowExecution: (req) => {
      const namespace = ns(req);
      const { workflowId, runId } = executionOf(req);
      const run = engine.getRun(namespace, workflowId, runId);
      engine.terminate(run, req.reason, req.details, req.identity);
      return {};
    },

    RequestCancelWorkflowExecution: (req) => {
      const namespace = ns(req);
      const { workflowId, runId } = executionOf(req);
      const run = engine.getRun(namespace, workflowId, runId);
      engine.requestCancel(run, req.reason, req.identity);
      return {};
    },

    GetWorkflowExecutionHistory: (req, onCancel) => {
      const namespace = ns(req);
      const { workflowId, runId } = executionOf(req, 'execution');
      return getHistory(engine.getRun(namespace, workflowId, runId), req, onCancel);
    },

    ListWorkflowExecutions: (req) => listWorkflows(engine, ns(req), req),
    ScanWorkflowExecutions: (req) => listWorkflows(engine, ns(req), req),
    CountWorkflowExecutions: (req) => countWorkflows(engine, ns(req), req),

    ResetStickyTaskQueue: (req) => {
      const namespace = ns(req);
      const { workflowId, runId } = executionOf(req, 'execution');
      engine.tasks.unstick([engine.getRun(namespace, workflowId, runId)]);
      return {};
    },

    ...commandsHandlers(engine),
  };
}

function snake(type: string): string {
  return type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

