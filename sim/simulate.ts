import twilio from 'twilio';
import { parseDocument } from 'yaml';
import { createMailTransport } from '../activities/channels/email.ts';
import { migrateDatabase, openDatabase, type Database } from '../db/client.ts';
import { rescueReport, type RescueReport } from '../reports/rescue-report.ts';
import type { Channel } from '../rules/campaigns.ts';
import { defaultPolicySource, parsePolicy, type Policy } from '../rules/index.ts';
import { startSmtpSink } from '../sinks/smtp-sink.ts';
import { startTwilioSink } from '../sinks/twilio-sink.ts';
import { contactsFor, reachableChannels, type SimContacts } from './contacts.ts';
import { postBatch, startSimulationEngine } from './engine.ts';
import { startHookReceiver } from './hook-receiver.ts';
import { checkLifts, plantedRates, type AssignedProbability, type LiftCheck, type PlantedArm } from './planted.ts';
import { scriptPopulation, type BehaviourMix } from './population.ts';
import { DEFAULT_PLANTED, lastReturnDay, planReturn, plannedExposure, returnProbability, returnThreshold, type PlantedRates } from './response.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Scripted events of day d carry the instant start + d days + 12:00 … */
const EVENT_TIME = 12 * HOUR;
/**
 * … and are posted at 18:00, once the engine has reacted to everything due before: virtual time
 * only jumps from 12:00 to 18:00 when nothing is left to do (a workflow task or an activity holds
 * it), so what the simulator reads at 18:00 is complete, and no timer of the engine's falls on that
 * instant (timers follow activity at about 12:00 plus whole days; quiet hours end at 09:00 local in
 * UTC, Berlin, New York and Tokyo, none of which is 18:00 UTC).
 */
const SETTLE_TIME = 18 * HOUR;
const BATCH = 500;

/** The simulation's population: the engine tests' behaviours plus seasonal users. */
export const SIMULATION_MIX: BehaviourMix = [
  ['regular', 0.3],
  ['fading', 0.2],
  ['returning', 0.1],
  ['seasonal', 0.15],
  ['payer', 0.15],
  ['one-shot', 0.1],
];

export const DEFAULT_START = new Date('2026-01-05T00:00:00Z');

export interface SimulationOptions {
  users: number;
  days: number;
  seed: number;
  planted?: PlantedRates;
  /** Policy text (YAML or JSON); the shipped default when absent. */
  policySource?: string;
  /** The policy file's name, for error messages. */
  policyFile?: string;
  /** PostgreSQL; an in-memory PGlite when absent. The database must hold no users yet. */
  databaseUrl?: string;
  /** Midnight UTC of day 0. */
  start?: Date;
  onProgress?: (progress: SimulationProgress) => void;
}

export interface SimulationProgress {
  day: number;
  days: number;
  users: number;
  rescuesStarted: number;
  rescuesClosed: number;
  messages: number;
}

export interface SimulationResult {
  report: RescueReport;
  planted: PlantedArm[];
  lifts: LiftCheck[];
  totals: {
    users: number;
    events: number;
    rescues: number;
    /** Rescues the report decides (window closed by the end). */
    decided: number;
    emails: number;
    sms: number;
    returns: number;
    /** Decided rescues whose user did not return yet got something other than what the arm plans for them. */
    exposureMismatches: number;
    /** Users who decided to return when nothing was left of the window to do it in. */
    lateDecisions: number;
    /** Rescues that overlapped another rescue of the same user. */
    overlaps: number;
  };
  /** Virtual end of the simulation; the report's asOf. */
  end: string;
}

interface SimRescue {
  id: string;
  userId: string;
  campaign: string;
  arm: string;
  holdout: boolean;
  assignedAt: number;
  windowEndsAt: number;
  /** The simulated day at whose settle point the simulator first saw the rescue. */
  seenDay: number;
  reached: Set<Channel>;
  decided: boolean;
}

interface PendingReturn {
  at: number;
  userId: string;
  rescueId: string;
  revenue: number | null;
}

/**
 * Runs a seeded population through the whole engine (ingest API, workflows on the time-skipping
 * devserver, sends to the local SMTP and Twilio sinks) and answers with the rescue report and the
 * lifts planted in it. Users react only to what reached them at the sinks (sim/response.ts).
 */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const planted = options.planted ?? DEFAULT_PLANTED;
  const start = (options.start ?? DEFAULT_START).getTime();
  const seed = options.seed;
  const policyText = options.policySource ?? defaultPolicySource();
  const policy = simulationPolicy(policyText, options.policyFile);

  const script = scriptPopulation({ users: options.users, days: options.days, seed, mix: SIMULATION_MIX });
  const contacts = new Map<string, SimContacts>(script.users.map((u, i) => [u.id, contactsFor(seed, u.id, i)]));
  const userByAddress = new Map<string, string>();
  for (const [id, c] of contacts) {
    userByAddress.set(c.email.toLowerCase(), id);
    if (c.phone) userByAddress.set(c.phone, id);
  }

  const database = await openSimulationDatabase(options.databaseUrl);
  const cleanup: Array<() => Promise<unknown> | unknown> = [() => database.close()];
  try {
    const hooks = await startHookReceiver();
    cleanup.unshift(() => hooks.close());
    const smtp = await startSmtpSink();
    cleanup.unshift(() => smtp.close());
    const sms = await startTwilioSink();
    cleanup.unshift(() => sms.close());
    const client = twilio(sms.accountSid, sms.authToken, { autoRetry: false, timeout: 10_000 });
    client.api.baseUrl = sms.url;
    const mailer = createMailTransport(smtp.url, { maxConnections: 4 });
    cleanup.unshift(() => mailer.close());
    const engine = await startSimulationEngine(database, {
      startTime: new Date(start),
      policySource: withLocalWebhooks(policyText, hooks.url),
      warningMailer: mailer,
      channels: {
        send: { mailer, emailFrom: 'Lifeline <winback@example.com>', sms: { client, from: '+15005550006' }, unsubscribeSecret: 'simulation-unsubscribe' },
        routes: { unsubscribeSecret: 'simulation-unsubscribe', twilioAuthToken: sms.authToken, mailSink: smtp },
      },
    });
    cleanup.unshift(() => engine.stop());

    const rescues = new Map<string, SimRescue>();
    const rescuesOf = new Map<string, SimRescue[]>();
    const pausedUntil = new Map<string, number>();
    const seen = new Set<string>();
    let pending: PendingReturn[] = [];
    let mailCursor = 0;
    let smsCursor = 0;
    const totals = { users: 0, events: 0, rescues: 0, decided: 0, emails: 0, sms: 0, returns: 0, exposureMismatches: 0, lateDecisions: 0, overlaps: 0 };
    let closed = 0;

    const observe = async (day: number, settle: number) => {
      await sms.settled();
      const open = await database.query<{ id: string; user_id: string; campaign: string; arm: string; holdout: boolean; assigned_at: Date; window_ends_at: Date }>(
        `select id, user_id, campaign, arm, holdout, assigned_at, window_ends_at from rescues where window_ends_at > $1 order by id`,
        [new Date(settle - DAY)],
      );
      for (const row of open) {
        if (rescues.has(row.id)) continue;
        const rescue: SimRescue = {
          id: row.id,
          userId: row.user_id,
          campaign: row.campaign,
          arm: row.arm,
          holdout: row.holdout,
          assignedAt: row.assigned_at.getTime(),
          windowEndsAt: row.window_ends_at.getTime(),
          seenDay: day,
          reached: new Set(),
          decided: false,
        };
        const others = rescuesOf.get(rescue.userId) ?? [];
        if (others.some((o) => o.windowEndsAt > rescue.assignedAt)) totals.overlaps++;
        others.push(rescue);
        rescuesOf.set(rescue.userId, others);
        rescues.set(rescue.id, rescue);
        pausedUntil.set(rescue.userId, Math.max(pausedUntil.get(rescue.userId) ?? 0, rescue.windowEndsAt));
      }
      const reach = (address: string | undefined, channel: Channel) => {
        const userId = address && userByAddress.get(address.toLowerCase());
        if (!userId) return false;
        for (const rescue of rescuesOf.get(userId) ?? []) {
          if (rescue.assignedAt <= settle && rescue.windowEndsAt > settle - DAY) rescue.reached.add(channel);
        }
        return true;
      };
      for (; mailCursor < smtp.messages.length; mailCursor++) {
        for (const to of smtp.messages[mailCursor]!.envelopeTo) if (reach(to, 'email')) totals.emails++;
      }
      for (; smsCursor < sms.messages.length; smsCursor++) {
        const message = sms.messages[smsCursor]!;
        if (message.status === 'delivered' && reach(message.to, 'sms')) totals.sms++;
      }
      // Each open rescue's user compares their threshold with what has reached them so far.
      for (const rescue of rescues.values()) {
        if (rescue.decided || rescue.windowEndsAt <= settle) continue;
        if (returnThreshold(seed, rescue.userId, rescue.id) >= returnProbability(rescue.reached, planted)) continue;
        rescue.decided = true;
        // The rescue was assigned after the previous settle point, and what moved the user arrived
        // before this one: whole days from (this day − that day) + 1 on are after both.
        const plan = planReturn(seed, rescue.userId, rescue.id, day - rescue.seenDay + 1, lastReturnDay(rescue.windowEndsAt - rescue.assignedAt));
        if (!plan) {
          totals.lateDecisions++;
          continue;
        }
        pending.push({ at: rescue.assignedAt + plan.afterMs, userId: rescue.userId, rescueId: rescue.id, revenue: plan.revenue });
      }
      totals.rescues = rescues.size;
      const [row] = await database.query<{ n: number }>(`select count(*)::int as n from rescues where outcome is not null`);
      closed = row!.n;
    };

    const post = async (batch: object[]) => {
      for (let i = 0; i < batch.length; i += BATCH) await postBatch(engine.url, batch.slice(i, i + BATCH));
      totals.events += batch.filter((m) => (m as { type: string }).type === 'track').length;
    };

    for (let day = 0; day < options.days; day++) {
      const eventsAt = start + day * DAY + EVENT_TIME;
      const settle = start + day * DAY + SETTLE_TIME;
      await engine.advanceTo(settle);
      await observe(day, settle);

      const due = pending.filter((p) => p.at <= settle).sort((a, b) => a.at - b.at || (a.rescueId < b.rescueId ? -1 : 1));
      pending = pending.filter((p) => p.at > settle);
      const batch: object[] = [];
      for (const r of due) {
        const timestamp = new Date(r.at).toISOString();
        batch.push({ type: 'track', userId: r.userId, event: 'login', messageId: `return:${r.rescueId}`, timestamp, properties: {} });
        if (r.revenue !== null) {
          batch.push({ type: 'track', userId: r.userId, event: 'purchase', messageId: `return-purchase:${r.rescueId}`, timestamp, properties: { revenue: r.revenue } });
        }
        totals.returns++;
      }
      for (const [i, event] of script.days[day]!.entries()) {
        // Scripted behaviour pauses while a rescue's window is open: the response model decides alone.
        if ((pausedUntil.get(event.userId) ?? 0) > eventsAt) continue;
        const first = !seen.has(event.userId);
        seen.add(event.userId);
        batch.push({
          type: 'track',
          userId: event.userId,
          event: event.event,
          messageId: `script:${day}:${i}`,
          timestamp: new Date(eventsAt).toISOString(),
          properties: event.revenue === undefined ? {} : { revenue: event.revenue },
          ...(first ? { context: { traits: contacts.get(event.userId) } } : {}),
        });
      }
      await post(batch);
      totals.users = seen.size;
      options.onProgress?.({ day: day + 1, days: options.days, users: seen.size, rescuesStarted: rescues.size, rescuesClosed: closed, messages: totals.emails + totals.sms });
    }

    const end = start + options.days * DAY;
    await engine.advanceTo(end);
    // One more idle jump, so every outcome due by the end is recorded.
    await engine.advanceTo(end + HOUR);
    await observe(options.days, end + HOUR);
    options.onProgress?.({ day: options.days, days: options.days, users: seen.size, rescuesStarted: rescues.size, rescuesClosed: closed, messages: totals.emails + totals.sms });

    const asOf = new Date(end).toISOString();
    const report = await rescueReport(database, { asOf });
    const decided = await database.query<{ id: string; user_id: string; campaign: string; arm: string; holdout: boolean; outcome: string }>(
      `select id, user_id, campaign, arm, holdout, outcome from rescues where outcome is not null and window_ends_at <= $1 order by id`,
      [asOf],
    );
    const truths: AssignedProbability[] = decided.map((row) => {
      const campaign = policy.campaigns?.find((c) => c.name === row.campaign);
      const arm = row.holdout ? undefined : campaign?.arms.find((a) => a.name === row.arm);
      const plan = plannedExposure(arm, policy.templates ?? {}, reachableChannels(contacts.get(row.user_id)!));
      const observed = rescues.get(row.id)?.reached ?? new Set<Channel>();
      const matches = row.outcome === 'rescued' ? [...observed].every((c) => plan.includes(c)) : observed.size === plan.length && plan.every((c) => observed.has(c));
      if (!matches) totals.exposureMismatches++;
      return { campaign: row.campaign, arm: row.arm, holdout: row.holdout, probability: returnProbability(plan, planted) };
    });
    totals.decided = decided.length;
    return { report, planted: plantedRates(truths), lifts: checkLifts(report, truths), totals, end: asOf };
  } finally {
    for (const step of cleanup) await step();
  }
}

async function openSimulationDatabase(url: string | undefined): Promise<Database> {
  const database = await openDatabase(url ? { url } : {});
  try {
    await migrateDatabase(database);
    const [row] = await database.query<{ n: number }>(`select (select count(*) from users) + (select count(*) from rescues) as n`);
    if (Number(row!.n) > 0) throw new Error('--database-url: the database already holds users or rescues; simulate needs an empty one (create a fresh database)');
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * The policy to simulate, validated (errors name the file, line and column); simulated users answer
 * email and SMS, so an arm that sends webhooks has nobody to reach.
 */
export function simulationPolicy(source: string, file = 'policy'): Policy {
  const policy = parsePolicy(source, file);
  for (const campaign of policy.campaigns ?? []) {
    for (const arm of campaign.arms) {
      if (arm.steps.some((s) => s.send?.channel === 'webhook')) {
        throw new Error(`--policy: campaign "${campaign.name}" arm "${arm.name}" sends a webhook; simulated users are reached by email and SMS only`);
      }
    }
  }
  return policy;
}

/** Churn-warning webhooks go to a local receiver: nothing leaves the machine. */
function withLocalWebhooks(source: string, url: string): string {
  const document = parseDocument(source);
  const triggers = document.get('triggers');
  if (!triggers || typeof triggers !== 'object' || !('items' in triggers)) return source;
  for (const trigger of (triggers as { items: unknown[] }).items) {
    const t = trigger as { getIn?: (path: string[]) => unknown; setIn: (path: string[], value: unknown) => void };
    if (t.getIn?.(['warn', 'webhook'])) t.setIn(['warn', 'webhook'], url);
  }
  return document.toString();
}
