/**
 * One worker process for the fault acceptance test (faults.test.ts), which SIGKILLs it mid-flight
 * and starts another. The real worker: createActivities with its real deps (PostgreSQL, a pooled
 * SMTP transport, the twilio client) and createWorker, against the test's devserver, sinks and API.
 * Sends are stamped with the devserver's virtual time, as in sim/engine.ts.
 * Settings come as JSON in FAULT_WORKER (see WorkerSettings); it exits when the test process goes.
 */
import { Context } from '@temporalio/activity';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import twilio from 'twilio';
import { createActivities } from '../../activities/index.ts';
import { createMailTransport } from '../../activities/channels/email.ts';
import { openDatabase } from '../../db/client.ts';
import { createWorker } from '../../worker/create-worker.ts';

export interface FaultWorkerSettings {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  /** A workflow bundle written by the test (bundling in every new process would take seconds). */
  bundlePath: string;
  smtpUrl: string;
  twilio: { url: string; accountSid: string; authToken: string; from: string };
  emailFrom: string;
  publicUrl: string;
  unsubscribeSecret: string;
  webhookSecret: string;
  /** The providers' client timeouts: how long a silent provider is waited for. */
  providerTimeoutMs: number;
}

const settings = JSON.parse(process.env.FAULT_WORKER ?? 'null') as FaultWorkerSettings | null;
if (!settings) throw new Error('FAULT_WORKER is not set: this script is started by test/rescue/faults.test.ts');
// The test process is our parent: when it goes (or drops the IPC channel), so do we.
process.on('disconnect', () => process.exit(1));

// Slow workflow tasks and failed attempts are expected here (the test kills workers and providers fail).
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
const database = await openDatabase({ url: settings.databaseUrl, max: 16 });
const mailer = createMailTransport(settings.smtpUrl, { maxConnections: 4, timeoutMs: settings.providerTimeoutMs });
const client = twilio(settings.twilio.accountSid, settings.twilio.authToken, { autoRetry: false, timeout: settings.providerTimeoutMs });
client.api.baseUrl = settings.twilio.url;

const { worker } = await createWorker({
  address: settings.temporalAddress,
  namespace: 'default',
  taskQueue: settings.taskQueue,
  workflowBundle: { codePath: settings.bundlePath },
  activities: createActivities({
    database,
    webhookSecret: settings.webhookSecret,
    channels: {
      mailer,
      emailFrom: settings.emailFrom,
      sms: { client, from: settings.twilio.from },
      publicUrl: settings.publicUrl,
      unsubscribeSecret: settings.unsubscribeSecret,
      now: () => new Date(Context.current().info.currentAttemptScheduledTimestampMs),
    },
  }),
  maxConcurrentActivityTaskExecutions: 40,
  maxConcurrentWorkflowTaskExecutions: 40,
  // Workflows cached by a killed worker move to its successor after 2 s instead of 10.
  stickyQueueScheduleToStartTimeout: '2s',
});
process.send?.('ready');
await worker.run();
