import type { Transporter } from 'nodemailer';
import twilio from 'twilio';
import { afterAll, beforeAll } from 'vitest';
import { createMailTransport } from '../../activities/channels/email.ts';
import { recordEmailBounce } from '../../activities/channels/suppressions.ts';
import type { Database } from '../../db/client.ts';
import { startSimulationEngine, taskQueue, type SimulationEngine } from '../../sim/engine.ts';
import { startSmtpSink, type SmtpSink } from '../../sinks/smtp-sink.ts';
import { startTwilioSink, type TwilioSink } from '../../sinks/twilio-sink.ts';
import { rescue, rescueWorkflowId, type RescueResult } from '../../workflows/rescue.ts';
import { openTestDatabase } from '../support/database.ts';

export const FROM_EMAIL = 'Lifeline <hello@winback.test>';
export const FROM_PHONE = '+15005550006';

export interface RescueHarness {
  database: Database;
  engine: SimulationEngine;
  smtp: SmtpSink;
  sms: TwilioSink;
  /** Virtual time to `start + offset`. */
  advanceTo(offset: number): Promise<void>;
  /** The active policy's version (tests start rescues by hand under it). */
  policyVersion(): Promise<number>;
  /** Starts a rescue workflow directly, as the lifecycle workflow would. */
  startRescue(userId: string, campaign: string, n?: number): Promise<string>;
  result(rescueId: string): Promise<RescueResult>;
}

/**
 * For a test file: a fresh database, the SMTP sink and the Twilio sink on real sockets, and the
 * whole engine on the time-skipping devserver delivering through them, torn down after the file.
 */
export function useRescueEngine(options: { start: number; policy: string; suggestContinueAsNewAfter?: number }): RescueHarness {
  const harness = {} as RescueHarness;
  let mailer: Transporter | undefined;
  harness.advanceTo = (offset) => harness.engine.advanceTo(options.start + offset);
  harness.policyVersion = async () => {
    const [row] = await harness.database.query<{ version: number }>(`select max(version)::int as version from policies where activated_at is not null`);
    return row!.version;
  };
  harness.startRescue = async (userId, campaign, n = 1) => {
    const workflowId = rescueWorkflowId(userId, campaign, n);
    await harness.engine.client.workflow.start(rescue, {
      taskQueue,
      workflowId,
      args: [{ v: 1, userId, campaign, n, policyVersion: await harness.policyVersion() }],
    });
    return workflowId;
  };
  harness.result = (rescueId) => harness.engine.client.workflow.getHandle(rescueId).result() as Promise<RescueResult>;

  beforeAll(async () => {
    harness.database = await openTestDatabase();
    const database = harness.database;
    harness.smtp = await startSmtpSink({ onBounce: (bounce) => recordEmailBounce(database, { messageId: bounce.messageId, kind: 'bounce' }) });
    harness.sms = await startTwilioSink();
    const client = twilio(harness.sms.accountSid, harness.sms.authToken, { autoRetry: false, timeout: 5_000 });
    client.api.baseUrl = harness.sms.url;
    mailer = createMailTransport(harness.smtp.url, { maxConnections: 2 });
    harness.engine = await startSimulationEngine(database, {
      startTime: new Date(options.start),
      policySource: options.policy,
      suggestContinueAsNewAfter: options.suggestContinueAsNewAfter,
      channels: {
        send: { mailer, emailFrom: FROM_EMAIL, sms: { client, from: FROM_PHONE }, unsubscribeSecret: 'rescue-unsubscribe-secret' },
        routes: { unsubscribeSecret: 'rescue-unsubscribe-secret', twilioAuthToken: harness.sms.authToken, mailSink: harness.smtp },
      },
    });
  });
  afterAll(async () => {
    await harness.engine?.stop();
    mailer?.close();
    await harness.sms?.close();
    await harness.smtp?.close();
    await harness.database?.close();
  });
  return harness;
}

export async function addUser(database: Database, id: string, traits: Record<string, unknown>, firstSeenAt: Date): Promise<void> {
  await database.query(`insert into users (id, traits, first_seen_at) values ($1, $2::text::jsonb, $3)`, [id, JSON.stringify(traits), firstSeenAt]);
}

export interface LedgerEntry {
  step: number;
  channel: string;
  status: string;
  reason: string | null;
  sent_at: Date | null;
}

export async function ledgerOf(database: Database, rescueId: string): Promise<LedgerEntry[]> {
  return database.query<LedgerEntry>(`select step, channel, status, reason, sent_at from messages where rescue_id = $1 order by step`, [rescueId]);
}

export interface RescueRow {
  arm: string;
  holdout: boolean;
  assigned_at: Date;
  window_ends_at: Date;
  outcome: string | null;
  returned_at: Date | null;
}

export async function rescueRow(database: Database, rescueId: string): Promise<RescueRow | undefined> {
  const [row] = await database.query<RescueRow>(
    `select arm, holdout, assigned_at, window_ends_at, outcome, returned_at from rescues where id = $1`,
    [rescueId],
  );
  return row;
}
