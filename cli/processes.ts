import { DefaultLogger, Runtime } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { migrateDatabase, openDatabase, type Database } from '../db/client.ts';
import { startDevServer } from '../devserver/index.ts';
import twilio from 'twilio';
import { createMailTransport } from '../activities/channels/index.ts';
import { startSmtpSink } from '../sinks/smtp-sink.ts';
import { startTwilioSink } from '../sinks/twilio-sink.ts';
import { createWebhookSink } from '../sinks/webhook-sink.ts';
import { ensureActivePolicy } from '../worker/active-policy.ts';
import { channelsFromConfig } from '../worker/channels.ts';
import { readConfig, type Config } from '../worker/config.ts';
import { startEngine, type Engine } from '../worker/engine.ts';

/** The Temporal SDK's log level, set once per process before any connection is made. */
function installRuntime(config: Config): void {
  Runtime.install({ logger: new DefaultLogger(config.LIFELINE_LOG_LEVEL) });
}

export async function openConfiguredDatabase(config: Config): Promise<Database> {
  if (!config.DATABASE_URL) await mkdir(config.LIFELINE_DATA_DIR, { recursive: true });
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.LIFELINE_DATA_DIR });
  await migrateDatabase(database);
  return database;
}

export async function runMigrate(): Promise<void> {
  const config = readConfig();
  const database = await openConfiguredDatabase(config);
  const policy = await ensureActivePolicy(database);
  await database.close();
  console.log(`migrations applied to ${config.DATABASE_URL ? 'PostgreSQL' : config.LIFELINE_DATA_DIR}; active policy v${policy.version}`);
}

/** Everything in one process on embedded defaults: what `npm start` runs. */
export async function runDev(): Promise<void> {
  const config = readConfig();
  installRuntime(config);
  const database = await openConfiguredDatabase(config);
  await ensureActivePolicy(database);
  const devserver = config.TEMPORAL_ADDRESS ? undefined : await startDevServer({ port: 0, timeSkipping: false });
  const writeKeys = config.LIFELINE_WRITE_KEYS.length ? config.LIFELINE_WRITE_KEYS : [await localSecret(config, 'write-key')];
  const adminKeys = config.LIFELINE_ADMIN_KEYS.length ? config.LIFELINE_ADMIN_KEYS : [await localSecret(config, 'admin-key')];
  const webhookSecret = config.LIFELINE_WEBHOOK_SECRET ?? (await localSecret(config, 'webhook-secret'));
  const channels = channelsFromConfig(config, config.LIFELINE_UNSUBSCRIBE_SECRET ?? (await localSecret(config, 'unsubscribe-secret')));
  // Without real providers, email and SMS go to local sinks, and webhooks unless asked: nothing leaves the machine.
  const mailSink = channels.mailer ? undefined : await startSmtpSink();
  const twilioSink = channels.sms ? undefined : await startTwilioSink();
  if (mailSink) Object.assign(channels, { mailer: createMailTransport(mailSink.url), mailSink });
  if (twilioSink) {
    const client = twilio(twilioSink.accountSid, twilioSink.authToken);
    client.api.baseUrl = twilioSink.url;
    Object.assign(channels, { sms: { client, from: '+15005550006' }, twilioAuthToken: twilioSink.authToken });
  }
  if (config.LIFELINE_DEV_WEBHOOKS === 'keep') channels.webhookSink = createWebhookSink(webhookSecret);
  const engine = await startEngine({
    config,
    database,
    temporalAddress: config.TEMPORAL_ADDRESS ?? devserver!.address,
    run: { worker: true, api: true },
    webhookSecret,
    writeKeys,
    adminKeys,
    channels,
  });
  console.log(`Lifeline is running (embedded: ${config.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${config.LIFELINE_DATA_DIR}`}, Temporal ${config.TEMPORAL_ADDRESS ?? `devserver at ${devserver!.address}`})
  API:        ${engine.url}
  write key:  ${writeKeys[0]}
  admin key:  ${adminKeys[0]}  (for \`lifeline policy preview|apply\`, read from ${join(config.LIFELINE_DATA_DIR, '..')} by default)
  reports:    ${engine.url}/reports/rescue  (in a browser: any user name, the admin key as password)
  email:      ${mailSink ? `kept by a local SMTP server: ${engine.url}/dev/mail` : 'SMTP_URL'}
  SMS:        ${twilioSink ? `kept by a local Twilio-compatible service at ${twilioSink.url}` : 'Twilio'}
  webhooks:   ${channels.webhookSink ? `kept: ${engine.url}/dev/webhooks  (LIFELINE_DEV_WEBHOOKS=send delivers them)` : 'sent'}
  try:        curl -u ${writeKeys[0]}: ${engine.url}/v1/track -H 'content-type: application/json' \\
                -d '{"userId":"u1","event":"login","messageId":"m1"}'
Press Ctrl+C to stop.`);
  await untilSignal(async () => {
    await engine.stop();
    await Promise.all([mailSink?.close(), twilioSink?.close(), devserver?.shutdown()]);
    await database.close();
  });
}

export async function runWorker(): Promise<void> {
  await runProduction({ worker: true, api: false });
}

export async function runApi(): Promise<void> {
  await runProduction({ worker: false, api: true });
}

async function runProduction(run: { worker: boolean; api: boolean }): Promise<void> {
  const config = readConfig();
  installRuntime(config);
  const missing = ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'LIFELINE_WEBHOOK_SECRET', ...(run.api ? ['LIFELINE_WRITE_KEYS'] : [])].filter(
    (name) => !process.env[name],
  );
  if (missing.length) throw new Error(`set ${missing.join(', ')} (see README, "Production")`);
  const database = await openConfiguredDatabase(config);
  const engine: Engine = await startEngine({
    config,
    database,
    temporalAddress: config.TEMPORAL_ADDRESS!,
    run,
    webhookSecret: config.LIFELINE_WEBHOOK_SECRET!,
    writeKeys: config.LIFELINE_WRITE_KEYS,
    adminKeys: config.LIFELINE_ADMIN_KEYS,
    channels: channelsFromConfig(config, config.LIFELINE_UNSUBSCRIBE_SECRET ?? config.LIFELINE_WEBHOOK_SECRET!),
  });
  console.log(`lifeline ${run.worker ? 'worker' : 'api'} started${engine.url ? ` at ${engine.url}` : ''} (task queue ${config.LIFELINE_TASK_QUEUE})`);
  await untilSignal(async () => {
    await engine.stop();
    await database.close();
  });
}

const secretFile = (config: Config, name: string) => join(config.LIFELINE_DATA_DIR, '..', name);

/** The embedded instance's secret, if `npm start` has made one. */
export async function readLocalSecret(config: Config, name: string): Promise<string | undefined> {
  return readFile(secretFile(config, name), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

/** A secret kept beside the embedded data, so restarts keep the same write key. */
async function localSecret(config: Config, name: string): Promise<string> {
  const file = secretFile(config, name);
  const existing = await readLocalSecret(config, name);
  if (existing) return existing;
  const secret = randomBytes(16).toString('hex');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, secret + '\n', { mode: 0o600 });
  return secret;
}

function untilSignal(shutdown: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      console.log('stopping…');
      shutdown().then(resolve, (error: unknown) => {
        console.error(error);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
