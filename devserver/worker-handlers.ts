import type { ActivityState } from './activities.ts';
import { completeWorkflowTask } from './commands.ts';
import type { Engine } from './engine.ts';
import { invalidArgument, notFound, requireField } from './errors.ts';
import type { Handler } from './grpc-handlers.ts';
import type { Msg } from './proto.ts';
import { answerQuery } from './queries.ts';
import type { Run } from './run.ts';

interface TaskToken {
  k: 'wt' | 'act' | 'q';
  ns?: string;
  w?: string;
  r?: string;
  id: number | string;
  a?: number;
}

function parseToken(raw: Buffer | undefined): TaskToken {
  try {
    return JSON.parse(Buffer.from(requireField(raw, 'TaskToken')).toString('utf8')) as TaskToken;
  } catch {
    throw invalidArgument('Error deserializing task token.');
  }
}

function workflowTaskRun(engine: Engine, raw: Buffer | undefined): Run {
  const token = parseToken(raw);
  const run = token.r ? engine.runById(token.r) : undefined;
  if (!run || !run.isOpen || run.wt.state !== 'started' || run.wt.scheduledEventId !== token.id) {
    throw notFound('Workflow task not found.');
  }
  return run;
}

function activityFromToken(engine: Engine, raw: Buffer | undefined): ActivityState {
  const token = parseToken(raw);
  const run = token.r ? engine.runById(token.r) : undefined;
  const activity = run?.activities.get(Number(token.id));
  if (!run || !run.isOpen || !activity || activity.attempt !== token.a || activity.phase !== 'started') {
    throw notFound('Activity task not found.');
  }
  return activity;
}

function activityById(engine: Engine, req: Msg): ActivityState {
  const namespace = engine.requireNamespace(req.namespace);
  const run = engine.getRun(namespace, requireField<string>(req.workflowId, 'WorkflowId'), req.runId);
  const activityId = requireField<string>(req.activityId, 'ActivityId');
  const activity = [...run.activities.values()].find((a) => a.activityId === activityId);
  if (!run.isOpen || !activity || activity.phase !== 'started') throw notFound('Activity task not found.');
  return activity;
}

/** The worker-facing RPCs: polls, task completions, heartbeats, shutdown. */
export function commandsHandlers(engine: Engine): Record<string, Handler> {
  return {
    PollWorkflowTaskQueue: async (req, onCancel) => {
      const namespace = engine.requireNamespace(req.namespace);
      const name = requireField<string>(req.taskQueue?.name, 'TaskQueue');
      const task = await engine.workflowTasks.poll(
        engine.queueKey(namespace, name),
        { identity: req.identity ?? '' },
        onCancel,
      );
      return task ?? {};
    },

    PollActivityTaskQueue: async (req, onCancel) => {
      const namespace = engine.requireNamespace(req.namespace);
      const name = requireField<string>(req.taskQueue?.name, 'TaskQueue');
      const task = await engine.activityTasks.poll(
        engine.queueKey(namespace, name),
        { identity: req.identity ?? '' },
        onCancel,
      );
      return task ?? {};
    },

    RespondWorkflowTaskCompleted: (req) => completeWorkflowTask(engine, workflowTaskRun(engine, req.taskToken), req),

    RespondWorkflowTaskFailed: (req) => {
      const run = workflowTaskRun(engine, req.taskToken);
      engine.tasks.failWorkflowTask(run, req.cause || 'WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED', req.failure, req.identity);
      return {};
    },

    RespondQueryTaskCompleted: (req) => {
      const token = parseToken(req.taskToken);
      const pending = engine.legacyQueries.get(String(token.id));
      if (!pending) throw notFound('query not found');
      answerQuery(pending, req);
      return {};
    },

    RespondActivityTaskCompleted: (req) => {
      activityFromToken(engine, req.taskToken).completed(req.result, req.identity);
      return {};
    },
    RespondActivityTaskFailed: (req) => {
      activityFromToken(engine, req.taskToken).failed(req.failure, req.lastHeartbeatDetails, req.identity);
      return {};
    },
    RespondActivityTaskCanceled: (req) => {
      activityFromToken(engine, req.taskToken).canceled(req.details, req.identity);
      return {};
    },
    RecordActivityTaskHeartbeat: (req) => ({
      cancelRequested: activityFromToken(engine, req.taskToken).heartbeat(req.details),
    }),

    RespondActivityTaskCompletedById: (req) => {
      activityById(engine, req).completed(req.result, req.identity);
      return {};
    },
    RespondActivityTaskFailedById: (req) => {
      activityById(engine, req).failed(req.failure, req.lastHeartbeatDetails, req.identity);
      return {};
    },
    RespondActivityTaskCanceledById: (req) => {
      activityById(engine, req).canceled(req.details, req.identity);
      return {};
    },
    RecordActivityTaskHeartbeatById: (req) => ({
      cancelRequested: activityById(engine, req).heartbeat(req.details),
    }),

    ShutdownWorker: (req) => {
      const namespace = engine.requireNamespace(req.namespace);
      if (req.stickyTaskQueue) {
        engine.tasks.unstickQueue(namespace, req.stickyTaskQueue);
        engine.workflowTasks.release(engine.queueKey(namespace, req.stickyTaskQueue));
      }
      return {};
    },
  };
}
