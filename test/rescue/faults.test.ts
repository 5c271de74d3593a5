/**
 * Issue #5's acceptance: 500 users driven into win-back rescues through the real engine (ingest →
 * lifecycle workflow → trigger → rescue child → sendMessage), while the worker process is SIGKILLed
 * at seeded moments (six times, most of them while a provider holds a message it has not answered
 * for) and 10% of provider calls fail at random (timeouts, error answers, accepted-then-dropped).
 * Every (rescue, step) must end sent exactly once at the sink, or recorded unsent with a reason (or
 * unknown, then at most once at the sink); nothing reaches a user suppressed on that channel; no
 * message is seen twice by the SMTP server or the SMS service; every rescue records its outcome;
 * the histories replay.
 *
 * PostgreSQL only (vitest.config.ts leaves it out on PGlite): the worker is another process.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageIdFor } from '../../activities/channels/email.ts';
import { isUnknownOutcome } from '../../activities/channels/send-message.ts';
import { suppress } from '../../activities/channels/suppressions.ts';
import { buildApi } from '../../api/app.ts';
import type { ScratchDatabase } from '../../db/scratch.ts';
import { storePolicy } from '../../db/policies.ts';
import { devServerExecutablePath } from '../../devserver/index.ts';
import { assignArm } from '../../rules/assignment.ts';
import { eventKinds, isTriggerEvent, parsePolicy } from '../../rules/index.ts';
import { postBatch, workflowBundle, writeKey } from '../../sim/engine.ts';
import type { FaultKind } from '../../sinks/faults.ts';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../sinks/smtp-sink.ts';
import { startTwilioSink, type SinkSms, type TwilioSink } from '../../sinks/twilio-sink.ts';
import { createTemporalWaker } from '../../worker/temporal-waker.ts';
import { rescueWorkflowId, type RescueResult } from '../../workflows/rescue.ts';
import { openTestDatabase } from '../support/database.ts';
import { WorkerFleet } from './worker-fleet.ts';
import { rescueTemplatesYaml } from './policies.ts';

const SEED = 20260302;
const USERS = 500;
const FAULT_RATE = 0.1;
const KILLS = 6;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** A Monday afternoon in UTC: every zone below is out of quiet hours (09:00 in New York, 19:30 in Kolkata). */
const T0 = Date.parse('2026-03-02T14:00:00Z');
const taskQueue = 'lifeline-faults';
const FROM_EMAIL = 'Lifeline <hello@winback.test>';
const FROM_PHONE = '+15005550006';
const UNSUBSCRIBE_SECRET = 'faults-unsubscribe-secret';
const ZONES = ['UTC', 'Europe/London', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata'];

/** Silent ten minutes after the last activity starts a rescue: a send, a minute, a send. */
const policySource = `
name: fault-acceptance
stages:
  - stage: active
    when: { since_last_activity: { lt: 10 minutes } }
  - stage: silent
    when: { since_last_activity: { lt: 7 days } }
  - stage: churned
    otherwise: true
triggers:
  - { from: active, to: silent, rescue: winback }
quiet_hours: { start: "21:00", end: "09:00", fallback_zone: UTC }
frequency_cap: { per_day: 10, per_week: 20 }
${rescueTemplatesYaml}campaigns:
  - name: winback
    arms:
      - name: email
        steps:
          - send: { channel: email, template: first }
          - wait: 1 minute
          - send: { channel: email, template: second }
      - name: sms
        steps:
          - send: { channel: sms, template: first }
          - wait: 1 minute
          - send: { channel: sms, template: second }
      - name: email-then-sms
        steps:
          - send: { channel: email, template: first }
          - wait: 1 minute
          - send: { channel: sms, template: second }
    holdout: 0.15
    window: 1 day
    variables: { offer: "20% off" }
`;
const campaign = parsePolicy(policySource).campaigns[0]!;

type Twist = 'none' | 'no-email' | 'bad-phone' | 'suppressed-email' | 'suppressed-sms' | 'unsubscribes' | 'stops';

interface Person {
  id: string;
  arm: string;
  email: string | undefined;
  phone: string;
  zone: string;
  twist: Twist;
  /** Logs in again while the rescue runs. */
  returns: boolean;
}

/** The population, seeded: arms by the campaign's own hash, contact faults and opt-outs by dice. */
function population(): Person[] {
  const rng = xoroshiro128plus(SEED);
  const chance = (p: number) => uniformFloat64(rng) < p;
  return Array.from({ length: USERS }, (_, i) => {
    const id = `u${i}`;
    const arm = assignArm(id, campaign).arm;
    const roll = uniformFloat64(rng);
    let twist: Twist = 'none';
    if (arm === 'email-then-sms') twist = roll < 0.1 ? 'no-email' : roll < 0.2 ? 'bad-phone' : roll < 0.26 ? 'suppressed-email' : roll < 0.32 ? 'suppressed-sms' : 'none';
    if (arm === 'email') twist = roll < 0.15 ? 'unsubscribes' : roll < 0.22 ? 'suppressed-email' : roll < 0.26 ? 'no-email' : 'none';
    if (arm === 'sms') twist = roll < 0.15 ? 'stops' : roll < 0.22 ? 'suppressed-sms' : roll < 0.26 ? 'bad-phone' : 'none';
    return {
      id,
      arm,
      email: twist === 'no-email' ? undefined : `${id}@example.com`,
      phone: twist === 'bad-phone' ? 'not-a-number' : `+1555${String(i).padStart(7, '0')}`,
      zone: ZONES[uniformInt(rng, 0, ZONES.length - 1)]!,
      twist,
      returns: chance(0.08),
    };
  });
}

interface LedgerRow {
  id: string;
  rescue_id: string;
  step: number;
  user_id: string;
  channel: 'email' | 'sms' | 'webhook';
  status: string;
  reason: string | null;
}

describe('win-back under a killed worker and failing providers (issue #5 acceptance)', () => {
  const people = population();
  const byId = new Map(people.map((p) => [p.id, p]));
  const byEmail = new Map(people.filter((p) => p.email).map((p) => [p.email!, p]));
  const byPhone = new Map(people.map((p) => [p.phone, p]));
  let database: ScratchDatabase;
  let env: TestWorkflowEnvironment;
  let smtp: SmtpSink;
  let sms: TwilioSink;
  let api: ReturnType<typeof buildApi>;
  let apiUrl: string;
  let fleet: WorkerFleet;
  let bundleDir: string;
  /** Recipients' unsubscribe clicks and STOP replies, checked once the run is over. */
  const optOuts: Promise<Response>[] = [];
  /** When the SMS service first saw each message (for the consent check). */
  const smsReceivedAt = new Map<string, number>();

  // Kills: the first at a seeded moment while lifecycles classify, then one every k provider calls (k
  // seeded), alternately inside the SMTP server before it answers (the message is kept, its sender never
  // hears: the send's outcome is unknown) and a seeded few milliseconds later, wherever the worker is then.
  const dice = xoroshiro128plus(SEED + 1);
  let callsSinceKill = 0;
  let killAfter = uniformInt(dice, 5, 40);
  let killing: Promise<void> | undefined;
  const killLog: string[] = [];
  async function providerCall(provider: 'smtp' | 'twilio'): Promise<void> {
    callsSinceKill++;
    if (killing || fleet.kills >= KILLS || callsSinceKill < killAfter) return;
    const unanswered = fleet.kills % 2 === 1;
    if (unanswered && provider !== 'smtp') return; // wait for the next email
    callsSinceKill = 0;
    killAfter = uniformInt(dice, 5, 40);
    const delayMs = unanswered ? 0 : uniformInt(dice, 1, 300);
    killLog.push(`${provider}${unanswered ? ' (unanswered)' : ` +${delayMs} ms`}`);
    killing = (delayMs ? new Promise((resolve) => setTimeout(resolve, delayMs)) : Promise.resolve()).then(() => fleet.kill()).finally(() => (killing = undefined));
    if (unanswered) await killing;
  }

  /** What recipients do on receipt: the one-click unsubscribe link, a STOP reply. Awaited before the provider answers. */
  async function onMail(mail: ReceivedMail): Promise<void> {
    const person = byEmail.get(mail.envelopeTo[0]!);
    if (person?.twist === 'unsubscribes' && smtp.messages.find((m) => m.envelopeTo[0] === person.email) === mail) {
      // RFC 8058 one-click, to the link in the List-Unsubscribe header.
      const list = mail.parsed.headers.get('list') as { unsubscribe?: { url?: string } };
      const click = fetch(list.unsubscribe!.url!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      optOuts.push(click);
      await click.catch(() => undefined);
    }
    await providerCall('smtp');
  }
  async function onSms(message: SinkSms): Promise<void> {
    smsReceivedAt.set(message.sid, Date.now());
    const person = byPhone.get(message.to);
    if (person?.twist === 'stops' && sms.messages.filter((m) => m.to === message.to).length === 1) {
      const reply = sms.sendInbound(`${apiUrl}/v1/webhooks/twilio/inbound`, { from: message.to, to: FROM_PHONE, body: 'STOP' });
      optOuts.push(reply);
      await reply.catch(() => undefined);
    }
    await providerCall('twilio');
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    if (!database.url) throw new Error('the fault acceptance test needs PostgreSQL (TEST_DATABASE_URL): its worker runs in another process');
    await storePolicy(database, parsePolicy(policySource), policySource, { activate: true });
    smtp = await startSmtpSink({ faults: { rate: FAULT_RATE, seed: SEED + 2 }, onMessage: onMail });
    sms = await startTwilioSink({ faults: { rate: FAULT_RATE, seed: SEED + 3 }, onMessage: onSms });
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: {
        executable: { type: 'existing-path', path: devServerExecutablePath },
        extraArgs: ['--start-time', new Date(T0).toISOString(), '--search-attribute', 'LifecycleStage=Keyword'],
      },
    });
    // The API as production wires it: ingest wakes lifecycles; Twilio and unsubscribe routes. Its address is
    // the public URL of the links and callbacks the worker puts in messages.
    const policy = parsePolicy(policySource);
    const routes = { database, publicUrl: '', unsubscribeSecret: UNSUBSCRIBE_SECRET, twilioAuthToken: sms.authToken };
    api = buildApi({
      database,
      writeKeys: [writeKey],
      eventKinds: () => eventKinds(policy),
      isTriggerEvent: (name, user) => isTriggerEvent(eventKinds(policy), name, user.stage),
      waker: createTemporalWaker(env.client, taskQueue),
      channels: routes,
    });
    apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    routes.publicUrl = apiUrl;
    bundleDir = await mkdtemp(join(tmpdir(), 'lifeline-faults-'));
    const bundlePath = join(bundleDir, 'workflows.js');
    await writeFile(bundlePath, (await workflowBundle()).code);
    fleet = new WorkerFleet({
      databaseUrl: database.url,
      temporalAddress: env.address,
      taskQueue,
      bundlePath,
      smtpUrl: smtp.url,
      twilio: { url: sms.url, accountSid: sms.accountSid, authToken: sms.authToken, from: FROM_PHONE },
      emailFrom: FROM_EMAIL,
      publicUrl: apiUrl,
      unsubscribeSecret: UNSUBSCRIBE_SECRET,
      webhookSecret: 'faults-webhook-secret',
      providerTimeoutMs: 1_000,
    });
  });
  afterAll(async () => {
    await fleet?.stop();
    await api?.close();
    await env?.teardown();
    await sms?.close();
    await smtp?.close();
    await database?.close();
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  it('500 rescues: each step sent once or recorded unsent with a reason; no duplicates; nothing to the suppressed', { timeout: 600_000 }, async () => {
    const wall = performance.now();
    // Earlier opt-outs, recorded before anything starts.
    for (const p of people) {
      if (p.twist === 'suppressed-email') await suppress(database.query, p.id, 'email', 'unsubscribed');
      if (p.twist === 'suppressed-sms') await suppress(database.query, p.id, 'sms', 'sms_stop');
    }
    await fleet.start();
    const firstKill = setTimeout(() => {
      if (fleet.kills === 0 && !killing) {
        killLog.push('timer while lifecycles classify');
        killing = fleet.kill().finally(() => (killing = undefined));
      }
    }, uniformInt(dice, 500, 1_500));

    // Everyone is identified and active at T0; silent ten minutes later, which starts their rescue.
    const start = await env.currentTimeMs();
    const at = new Date(start).toISOString();
    await postBatch(
      apiUrl,
      people.flatMap((p) => [
        { type: 'identify', userId: p.id, messageId: `id-${p.id}`, timestamp: at, traits: { ...(p.email ? { email: p.email } : {}), phone: p.phone, timezone: p.zone } },
        { type: 'track', userId: p.id, event: 'login', messageId: `login-${p.id}`, timestamp: at },
      ]),
    );
    // Some come back a minute into their rescue: the lifecycle tells the rescue, which ends rescued.
    await advanceTo(start + 11 * MINUTE);
    const back = new Date(await env.currentTimeMs()).toISOString();
    await postBatch(
      apiUrl,
      people.filter((p) => p.returns).map((p) => ({ type: 'track', userId: p.id, event: 'login', messageId: `back-${p.id}`, timestamp: back })),
    );
    await advanceTo(start + 2 * DAY);
    clearTimeout(firstKill);
    await killing;
    await fleet.ready;

    // Every rescue the lifecycles started (the first per user, and a second for those who came back and went silent again) ends.
    const rescueIds = (await database.query<{ id: string }>(`select id from rescues order by id`)).map((r) => r.id);
    const results = new Map<string, RescueResult>();
    for (let i = 0; i < rescueIds.length; i += 50) {
      const chunk = rescueIds.slice(i, i + 50);
      const done = await Promise.all(chunk.map((id) => env.client.workflow.getHandle(id).result() as Promise<RescueResult>));
      chunk.forEach((id, j) => results.set(id, done[j]!));
    }
    const optOutAnswers = await Promise.all(optOuts);
    await sms.settled();
    const seconds = (performance.now() - wall) / 1000;

    // ---- every user was rescued once at least, and every rescue recorded its outcome
    const rescues = await database.query<{ id: string; user_id: string; arm: string; holdout: boolean; outcome: string | null }>(
      `select id, user_id, arm, holdout, outcome from rescues`,
    );
    expect(new Set(rescues.map((r) => r.user_id)).size).toBe(USERS);
    for (const p of people) expect(rescues.some((r) => r.id === rescueWorkflowId(p.id, 'winback', 1)), p.id).toBe(true);
    expect(rescues.filter((r) => r.outcome === null).map((r) => r.id)).toEqual([]);
    for (const r of rescues) expect(r.arm, r.id).toBe(byId.get(r.user_id)!.arm);

    // ---- the ledger against the sinks
    const ledger = await database.query<LedgerRow>(`select id::text as id, rescue_id, step, user_id, channel, status, reason from messages order by messages.id`);
    const ledgerById = new Map(ledger.map((row) => [row.id, row]));
    const mailById = new Map<string, ReceivedMail[]>();
    for (const mail of smtp.messages) mailById.set(mail.messageId!, [...(mailById.get(mail.messageId!) ?? []), mail]);
    const smsByRow = new Map<string, SinkSms[]>();
    for (const message of sms.messages) {
      const row = new URL(message.statusCallback!).searchParams.get('m')!;
      smsByRow.set(row, [...(smsByRow.get(row) ?? []), message]);
    }
    // Zero duplicates: no Message-ID twice at the SMTP server, no ledger row twice at the SMS service.
    expect(smtp.duplicateMessageIds()).toEqual([]);
    expect([...smsByRow].filter(([, copies]) => copies.length > 1).map(([row]) => row)).toEqual([]);
    // Nothing at a sink that the ledger did not claim first.
    const emailKey = (row: LedgerRow) => messageIdFor(row.rescue_id, row.step, 'winback.test');
    const claimedMail = new Set(ledger.filter((r) => r.channel === 'email').map(emailKey));
    expect(smtp.messages.filter((m) => !claimedMail.has(m.messageId!)).map((m) => m.messageId)).toEqual([]);
    expect([...smsByRow.keys()].filter((row) => ledgerById.get(row)?.channel !== 'sms')).toEqual([]);

    const copiesOf = (row: LedgerRow) => (row.channel === 'email' ? (mailById.get(emailKey(row)) ?? []) : (smsByRow.get(row.id) ?? []));
    const failures: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    for (const row of ledger) {
      statuses[row.status] = (statuses[row.status] ?? 0) + 1;
      const copies = copiesOf(row);
      const person = byId.get(row.user_id)!;
      if (row.channel === 'email') for (const m of copies as ReceivedMail[]) expect(m.envelopeTo, row.id).toEqual([person.email]);
      else for (const m of copies as SinkSms[]) expect(m.to, row.id).toBe(person.phone);
      const label = `${row.rescue_id} step ${row.step} ${row.channel}: ${row.status} ${row.reason ?? ''}`;
      if (row.status === 'sent' || row.status === 'delivered' || row.status === 'undelivered') {
        expect(copies, label).toHaveLength(1);
        continue;
      }
      // Anything else is unsent, and says why.
      expect(['failed', 'suppressed', 'capped', 'bounced'], label).toContain(row.status);
      expect(row.reason, label).toBeTruthy();
      const kind = isUnknownOutcome(row.reason) ? `unknown_outcome: ${row.reason!.includes('earlier attempt') ? 'worker killed mid-call' : 'provider silent'}` : row.reason!.replace(/:.*$/, '');
      failures[`${row.status} ${kind}`] = (failures[`${row.status} ${kind}`] ?? 0) + 1;
      expect(copies.length, label).toBeLessThanOrEqual(isUnknownOutcome(row.reason) ? 1 : 0);
    }

    // ---- the workflow's view: every send it made is exactly one ledger row, and the holdout sent nothing
    for (const [id, result] of results) {
      const rows = ledger.filter((r) => r.rescue_id === id);
      expect(result.sends.map((s) => `${s.step} ${s.channel}`).sort(), id).toEqual(rows.map((r) => `${r.step} ${r.channel}`).sort());
      if (result.holdout) expect(rows, id).toEqual([]);
    }

    // ---- consent: nothing reached a user on a channel they had opted out of by then
    const suppressions = await database.query<{ user_id: string; channel: string; at: Date }>(`select user_id, channel, at from suppressions`);
    const since = new Map(suppressions.map((s) => [`${s.user_id} ${s.channel}`, s.at.getTime()]));
    const late = [
      ...smtp.messages.map((m) => ({ user: byEmail.get(m.envelopeTo[0]!)!.id, channel: 'email', at: m.receivedAt.getTime() })),
      ...sms.messages.map((m) => ({ user: byPhone.get(m.to)!.id, channel: 'sms', at: smsReceivedAt.get(m.sid)! })),
    ].filter((m) => since.has(`${m.user} ${m.channel}`) && since.get(`${m.user} ${m.channel}`)! <= m.at);
    expect(late).toEqual([]);
    expect(optOutAnswers.length).toBeGreaterThan(0);
    expect(optOutAnswers.map((r) => r.status)).toEqual(optOutAnswers.map(() => 200));
    for (const p of people) {
      const rows = ledger.filter((r) => r.user_id === p.id);
      const on = (channel: string) => rows.filter((r) => r.channel === channel);
      if (p.twist === 'suppressed-email') expect(on('email').map((r) => r.status), p.id).toEqual(on('email').map(() => 'suppressed'));
      if (p.twist === 'suppressed-sms') expect(on('sms').map((r) => r.status), p.id).toEqual(on('sms').map(() => 'suppressed'));
      // Opted out on receipt of the first message to arrive: every later step on that channel is suppressed.
      if (p.twist === 'unsubscribes' || p.twist === 'stops') {
        const rows = on(p.twist === 'stops' ? 'sms' : 'email');
        const first = rows.findIndex((row) => copiesOf(row).length > 0);
        if (first >= 0) for (const row of rows.slice(first + 1)) expect(row.status, `${p.id} ${row.rescue_id} ${row.step}`).toBe('suppressed');
      }
    }

    // ---- the faults really happened, and the fallback path ran
    const injected = (sink: { faultsInjected: Readonly<Record<FaultKind, number>> }) => sink.faultsInjected;
    expect(fleet.kills).toBeGreaterThanOrEqual(5);
    expect(failures['failed unknown_outcome: worker killed mid-call'] ?? 0).toBeGreaterThan(0);
    expect(failures['failed unknown_outcome: provider silent'] ?? 0).toBeGreaterThan(0);
    for (const sink of [smtp, sms]) for (const kind of ['timeout', 'error', 'dropped'] as const) expect(injected(sink)[kind], kind).toBeGreaterThan(0);
    expect(ledger.some((r) => r.step % 10 === 1 && (r.status === 'sent' || r.status === 'delivered'))).toBe(true);
    expect(failures['failed no_contact'] ?? 0).toBeGreaterThan(0);
    expect(Object.keys(failures).some((k) => k.includes('21211'))).toBe(true);
    expect(rescues.filter((r) => r.outcome === 'rescued').length).toBeGreaterThan(0);

    // ---- histories replay: a sample of rescues, those whose worker was killed mid-send first
    const unknown = [...new Set(ledger.filter((r) => isUnknownOutcome(r.reason)).map((r) => r.rescue_id))];
    const workflowIds = [...new Set([...unknown.slice(0, 30), ...rescueIds.filter((_, i) => i % 20 === 0)])];
    const histories = await Promise.all(workflowIds.map(async (workflowId) => ({ workflowId, history: await env.client.workflow.getHandle(workflowId).fetchHistory() })));
    const replayErrors: unknown[] = [];
    for await (const replay of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) replayErrors.push(replay.error);
    expect(replayErrors).toEqual(workflowIds.map(() => undefined));

    const sent = ledger.filter((r) => r.status === 'sent' || r.status === 'delivered' || r.status === 'undelivered').length;
    console.log(
      [
        `fault acceptance: ${USERS} users, ${rescues.length} rescues (${rescues.filter((r) => r.holdout).length} holdout, ${rescues.filter((r) => r.outcome === 'rescued').length} rescued) in ${seconds.toFixed(0)} s`,
        `  ledger: ${ledger.length} (rescue, step) rows: ${Object.entries(statuses).map(([s, n]) => `${s} ${n}`).join(', ')}; ${sent} at the sinks once each`,
        `  at the sinks: ${smtp.messages.length} emails, ${sms.messages.length} SMS; duplicates 0`,
        `  unsent, by reason: ${Object.entries(failures).sort(([, a], [, b]) => b - a).map(([k, n]) => `${k} ${n}`).join('; ')}`,
        `  worker SIGKILLed ${fleet.kills} times (${killLog.join(', ')}); each successor polled ${fleet.restarts.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s after the kill`,
        `  provider faults injected: SMTP ${JSON.stringify(smtp.faultsInjected)}, Twilio ${JSON.stringify(sms.faultsInjected)}`,
        `  replayed ${workflowIds.length} histories`,
      ].join('\n'),
    );
  });

  async function advanceTo(instant: number): Promise<void> {
    const wait = instant - (await env.currentTimeMs());
    if (wait > 0) await env.sleep(wait);
  }
});
