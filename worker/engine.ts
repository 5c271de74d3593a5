import { Client, Connection } from '@temporalio/client';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { buildApi } from '../api/app.ts';
import { isTriggerEvent } from '../rules/index.ts';
import type { Database } from '../db/client.ts';
import type { ChannelSettings } from './channels.ts';
import type { Config } from './config.ts';
import { createWorker } from './create-worker.ts';
import { createTemporalWaker } from './temporal-waker.ts';
import { watchActivePolicy } from './active-policy.ts';
import { startReconciler } from './reconcile.ts';

export interface EngineOptions {
  config: Config;
  database: Database;
  temporalAddress: string;
  run: { worker: boolean; api: boolean };
  webhookSecret: string;
  writeKeys: readonly string[];
  /** Bearer keys for the operator routes (policy preview and apply); none → those routes are off. */
  adminKeys: readonly string[];
  channels: ChannelSettings;
  workflowBundle?: WorkflowBundleOption;
}

export interface Engine {
  /** The API's address when it runs, e.g. http://127.0.0.1:8080 */
  url?: string;
  client: Client;
  stop(): Promise<void>;
}

/** Starts the worker and/or the HTTP API against one database and one Temporal namespace. */
export async function startEngine(options: EngineOptions): Promise<Engine> {
  const { config, database } = options;
  const connection = await Connection.connect({ address: options.temporalAddress });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const stops: Array<() => Promise<void>> = [async () => connection.close()];
  const engine: Engine = { client, stop: async () => void (await Promise.allSettled(stops.reverse().map((stop) => stop()))) };

  try {
    if (options.run.worker) {
      const { channels } = options;
      const { worker, connection: workerConnection } = await createWorker({
        address: options.temporalAddress,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.LIFELINE_TASK_QUEUE,
        activities: createActivities({
          database,
          webhookSecret: options.webhookSecret,
          fetch: channels.webhookSink?.fetch,
          mailer: channels.mailer,
          teamSender: config.LIFELINE_TEAM_SENDER,
          channels: {
            mailer: channels.mailer,
            sms: channels.sms,
            emailFrom: channels.emailFrom,
            publicUrl: channels.publicUrl,
            unsubscribeSecret: channels.unsubscribeSecret,
          },
        }),
        workflowBundle: options.workflowBundle,
        maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
        maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      });
      const running = worker.run();
      const stopReconciler = config.LIFELINE_RECONCILE_SECONDS
        ? startReconciler(database, createTemporalWaker(client, config.LIFELINE_TASK_QUEUE), config.LIFELINE_RECONCILE_SECONDS * 1000, (line) =>
            console.warn(line),
          )
        : () => undefined;
      stops.push(async () => {
        stopReconciler();
        worker.shutdown();
        await running;
        await workerConnection.close();
        channels.mailer?.close();
      });
    }
    if (options.run.api) {
      const policy = await watchActivePolicy(database);
      const api = buildApi({
        database,
        writeKeys: options.writeKeys,
        eventKinds: policy.eventKinds,
        isTriggerEvent: (name, user) => isTriggerEvent(policy.eventKinds(), name, user.stage),
        waker: createTemporalWaker(client, config.LIFELINE_TASK_QUEUE),
        operator: options.adminKeys.length ? { adminKeys: options.adminKeys, onPolicyActivated: () => void policy.refresh() } : undefined,
        channels: {
          database,
          publicUrl: options.channels.publicUrl,
          unsubscribeSecret: options.channels.unsubscribeSecret,
          twilioAuthToken: options.channels.twilioAuthToken,
          mailSink: options.channels.mailSink,
          webhookSink: options.channels.webhookSink,
        },
      });
      engine.url = await api.listen({ host: config.HOST, port: config.PORT });
      stops.push(async () => {
        policy.stop();
        await api.close();
      });
    }
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return engine;
}
