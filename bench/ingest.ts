/**
 * Ingest throughput: N Segment track events through the HTTP API (real sockets, concurrent clients,
 * ~500-event batches) into PostgreSQL, and a raw COPY of the same rows into a table with the same
 * indexes, in the same run. Prints events/s for both and the ratio (target: API ≥ 0.5 × COPY).
 *
 * The two sides take turns, round by round (each round: its share of requests through the API, then
 * the same rows by COPY), so that both see the same load on a shared machine; the totals of all
 * rounds give the rates.
 *
 *   npm run bench:ingest -- --events 200000 --clients 4 --batch 500 --rounds 5 [--compare-inserts]
 *
 * Uses DATABASE_URL, or creates a scratch database on 127.0.0.1 and drops it afterwards.
 */
import { Command } from 'commander';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { buildApi } from '../api/app.ts';
import type { EventKinds, UserWake } from '../api/ingest/deps.ts';
import { migrateDatabase, openDatabase, type Database } from '../db/client.ts';
import { isTriggerEvent } from '../rules/index.ts';

const options = new Command()
  .option('--events <n>', 'events to send', (v) => parseInt(v, 10), 200_000)
  .option('--users <n>', 'distinct users (default: events / 20)', (v) => parseInt(v, 10))
  .option('--batch <n>', 'events per /v1/batch request', (v) => parseInt(v, 10), 500)
  .option('--clients <n>', 'concurrent HTTP clients', (v) => parseInt(v, 10), 4)
  .option('--rounds <n>', 'turns the API and COPY take, each with its share of the events', (v) => parseInt(v, 10), 5)
  .option('--compare-inserts', 'also time multi-row VALUES vs unnest vs COPY+temp table for one batch insert')
  .parse()
  .opts<{ events: number; users?: number; batch: number; clients: number; rounds: number; compareInserts?: boolean }>();

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

interface Message {
  type: 'track';
  userId: string;
  event: string;
  properties: Record<string, unknown>;
  timestamp: string;
  messageId: string;
  context: Record<string, unknown>;
}

// A product-like mix: mostly page views and sign-ins, a few purchases carrying revenue.
const EVENT_MIX: [name: string, weight: number][] = [
  ['Page Viewed', 55],
  ['Signed In', 15],
  ['Product Viewed', 12],
  ['Product Added', 8],
  ['Email Opened', 5],
  ['Order Completed', 3],
  ['Email Bounced', 2],
];
const kinds: EventKinds = { isActivity: (n) => !n.startsWith('Email '), isPayment: (n) => n === 'Order Completed' };

function generate(count: number, userCount: number): Message[] {
  // mulberry32: seeded, so every run sends the same population.
  let seed = 42;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const total = EVENT_MIX.reduce((sum, [, w]) => sum + w, 0);
  const pick = () => {
    let r = random() * total;
    for (const [name, weight] of EVENT_MIX) if ((r -= weight) < 0) return name;
    return EVENT_MIX[0]![0];
  };
  const start = Date.parse('2026-01-01T00:00:00Z');
  const span = 60 * 24 * 3600 * 1000;
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    // Skewed activity: a few heavy users, a long tail of light ones.
    const user = Math.floor(userCount * random() ** 2);
    const event = pick();
    const properties: Record<string, unknown> =
      event === 'Order Completed'
        ? { orderId: `o-${i}`, revenue: Math.round(random() * 20000) / 100, currency: 'USD', products: [{ sku: `sku-${i % 97}`, quantity: 1 }] }
        : event.startsWith('Product')
          ? { sku: `sku-${i % 97}`, category: 'shoes', price: 49.5 }
          : { path: `/p/${i % 50}`, referrer: 'https://example.com/', title: 'A page' };
    messages.push({
      type: 'track',
      userId: `user-${user}`,
      event,
      properties,
      timestamp: new Date(start + Math.floor(random() * span)).toISOString(),
      messageId: randomUUID(),
      context: { library: { name: 'analytics-node', version: '2.1.0' }, ip: '203.0.113.7', userAgent: 'bench' },
    });
  }
  return messages;
}

function post(agent: Agent, port: number, authorization: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: '127.0.0.1', port, method: 'POST', path: '/v1/batch', headers: { 'content-type': 'application/json', 'content-length': body.length, authorization } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, drop: async () => {} };
  const name = `lifeline_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * CPU milliseconds used so far by each PostgreSQL backend serving this database, read from /proc
 * (so only when the server runs on this machine, as it does for the default scratch database).
 * Wall time on a shared 2-core machine swings with other work; CPU per request does not.
 */
async function backendCpu(database: Database): Promise<Map<number, number> | undefined> {
  const pids = await database.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
  const cpu = new Map<number, number>();
  for (const { pid } of pids) {
    try {
      // Fields after the parenthesised command name; utime and stime are the 12th and 13th, in clock ticks (100 Hz).
      const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
      cpu.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      return undefined;
    }
  }
  return cpu;
}

function cpuSince(before: Map<number, number> | undefined, after: Map<number, number> | undefined): number | undefined {
  if (!before || !after) return undefined;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
const fmt = (n: number) => n.toLocaleString('en-US');
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function main() {
  const userCount = options.users ?? Math.max(1, Math.floor(options.events / 20));
  const scratch = await scratchDatabase();
  const database = await openDatabase({ url: scratch.url, max: 2 * options.clients });
  try {
    await migrateDatabase(database);
    await database.query('truncate events, users');
    const messages = generate(options.events, userCount);
    const bodies: Buffer[] = [];
    for (let i = 0; i < messages.length; i += options.batch) {
      bodies.push(Buffer.from(JSON.stringify({ batch: messages.slice(i, i + options.batch), sentAt: new Date().toISOString() })));
    }
    const bytes = bodies.reduce((sum, b) => sum + b.length, 0);
    console.log(
      `${fmt(options.events)} events, ${fmt(userCount)} users, ${bodies.length} requests of ≤${options.batch} (${(bytes / bodies.length / 1024).toFixed(0)} KB avg), ${options.clients} clients, ${options.rounds} rounds`,
    );

    let wakes = 0;
    const writeKey = 'bench-key';
    const app = buildApi({
      database,
      writeKeys: [writeKey],
      eventKinds: () => kinds,
      isTriggerEvent: (name, user) => isTriggerEvent(kinds, name, user.stage),
      waker: { wake: async (w: UserWake[]) => void (wakes += w.length) },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
    const agent = new Agent({ keepAlive: true, maxSockets: options.clients });

    // The COPY side: a table with the same keys and indexes, growing round by round as events does.
    await database.query('drop table if exists events_copy');
    await database.query('create table events_copy (like events including all)');
    const receivedAt = new Date();
    const rows = messages.map((m) => [
      m.messageId,
      m.userId,
      m.event,
      m.timestamp,
      m.properties,
      typeof m.properties.revenue === 'number' ? m.properties.revenue.toFixed(2) : null,
      receivedAt,
    ]);

    const latencies: number[] = [];
    const api = { ms: 0, cpuMs: 0, pgMs: 0 as number | undefined };
    const copy = { ms: 0, cpuMs: 0, pgMs: 0 as number | undefined };
    const ratios: number[] = [];
    const addPg = (side: { pgMs: number | undefined }, ms: number | undefined) => {
      side.pgMs = side.pgMs === undefined || ms === undefined ? undefined : side.pgMs + ms;
    };
    const perRound = Math.ceil(bodies.length / options.rounds);
    for (let first = 0; first < bodies.length; first += perRound) {
      const last = Math.min(bodies.length, first + perRound);
      let next = first;
      const pgBefore = await backendCpu(database);
      const cpuStart = process.cpuUsage();
      const apiStart = performance.now();
      await Promise.all(
        Array.from({ length: options.clients }, async () => {
          while (next < last) {
            const body = bodies[next++]!;
            const t0 = performance.now();
            const status = await post(agent, port, authorization, body);
            latencies.push(performance.now() - t0);
            if (status !== 200) throw new Error(`request answered ${status}`);
          }
        }),
      );
      const apiMs = performance.now() - apiStart;
      // This process's CPU (server and clients): less sensitive to a busy machine than wall time.
      const cpu = process.cpuUsage(cpuStart);
      api.ms += apiMs;
      api.cpuMs += (cpu.user + cpu.system) / 1000;
      addPg(api, cpuSince(pgBefore, await backendCpu(database)));

      const copyPgBefore = await backendCpu(database);
      const copyCpuStart = process.cpuUsage();
      const copyStart = performance.now();
      await database.copy(
        'events_copy',
        ['id', 'user_id', 'name', 'occurred_at', 'properties', 'revenue', 'received_at'],
        rows.slice(first * options.batch, last * options.batch),
      );
      const copyMs = performance.now() - copyStart;
      const copyCpu = process.cpuUsage(copyCpuStart);
      copy.ms += copyMs;
      copy.cpuMs += (copyCpu.user + copyCpu.system) / 1000;
      addPg(copy, cpuSince(copyPgBefore, await backendCpu(database)));
      ratios.push(copyMs / apiMs);
    }
    agent.destroy();
    await app.close();
    const [stored] = await database.query<{ events: number; copied: number; users: number }>(
      'select (select count(*)::int from events) as events, (select count(*)::int from events_copy) as copied, (select count(*)::int from users) as users',
    );
    const distinct = new Set(messages.map((m) => m.messageId)).size;
    if (stored?.events !== distinct || stored.copied !== distinct) {
      throw new Error(`expected ${distinct} events on both sides, found ${stored?.events} and ${stored?.copied}`);
    }
    await database.query('drop table events_copy');

    latencies.sort((a, b) => a - b);
    ratios.sort((a, b) => a - b);
    const apiRate = rate(options.events, api.ms);
    const copyRate = rate(options.events, copy.ms);
    // CPU per 500 events for both sides, whatever the batch size: what two cores must share.
    const per500 = (ms: number) => ((ms * 500) / options.events).toFixed(1);
    const pgShare = (ms: number | undefined) => (ms === undefined ? '' : `, PostgreSQL CPU ${per500(ms)} ms`);
    console.log(`API   ${fmt(apiRate).padStart(9)} events/s  (${(api.ms / 1000).toFixed(2)} s; request p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms; ${fmt(stored.users)} users upserted, ${fmt(wakes)} wakes)`);
    console.log(`      per 500 events: Node CPU ${per500(api.cpuMs)} ms${pgShare(api.pgMs)}`);
    console.log(`COPY  ${fmt(copyRate).padStart(9)} events/s  (${(copy.ms / 1000).toFixed(2)} s)`);
    console.log(`      per 500 events: Node CPU ${per500(copy.cpuMs)} ms${pgShare(copy.pgMs)}`);
    const spread = ratios.length > 1 ? `; rounds ${ratios[0]!.toFixed(2)}–${ratios.at(-1)!.toFixed(2)}, median ${percentile(ratios, 0.5).toFixed(2)}` : '';
    console.log(`ratio API/COPY ${(apiRate / copyRate).toFixed(2)} (target ≥ 0.50${spread})`);

    if (options.compareInserts) await compareInserts(scratch.url, messages.slice(0, Math.min(messages.length, 50_000)), options.batch);
  } finally {
    await database.close();
    await scratch.drop();
  }
}

/** One batch insert three ways, each in its own transaction with on-conflict idempotency. */
async function compareInserts(url: string, messages: Message[], batchSize: number) {
  const batches: Message[][] = [];
  for (let i = 0; i < messages.length; i += batchSize) batches.push(messages.slice(i, i + batchSize));
  const columns = (m: Message) => [m.messageId, m.userId, m.event, m.timestamp, JSON.stringify(m.properties), typeof m.properties.revenue === 'number' ? m.properties.revenue.toFixed(2) : null];
  const strategies: Record<string, (tx: postgres.TransactionSql, batch: Message[]) => Promise<unknown>> = {
    'multi-row VALUES': (tx, batch) => {
      const params = batch.flatMap(columns);
      const values = batch.map((_, r) => `($${r * 6 + 1}, $${r * 6 + 2}, $${r * 6 + 3}, $${r * 6 + 4}::timestamptz, $${r * 6 + 5}::jsonb, $${r * 6 + 6}::numeric)`);
      return tx.unsafe(`insert into bench_events (id, user_id, name, occurred_at, properties, revenue) values ${values.join(', ')} on conflict (id) do nothing`, params as never[]);
    },
    'insert … select from unnest': (tx, batch) => {
      const cols = batch.map(columns);
      return tx.unsafe(
        `insert into bench_events (id, user_id, name, occurred_at, properties, revenue)
         select id, u, n, t, p::jsonb, r::numeric from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[]) as e(id, u, n, t, p, r)
         order by id on conflict (id) do nothing`,
        [0, 1, 2, 3, 4, 5].map((c) => cols.map((row) => row[c])) as never[],
      );
    },
    'select existing ids, then plain insert … unnest': async (tx, batch) => {
      const existing = new Set((await tx.unsafe<{ id: string }[]>('select id from bench_events where id = any($1::text[])', [batch.map((m) => m.messageId)] as never[])).map((r) => r.id));
      const cols = batch.filter((m) => !existing.has(m.messageId)).map(columns);
      return tx.unsafe(
        `insert into bench_events (id, user_id, name, occurred_at, properties, revenue)
         select id, u, n, t, p::jsonb, r::numeric from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[]) as e(id, u, n, t, p, r)`,
        [0, 1, 2, 3, 4, 5].map((c) => cols.map((row) => row[c])) as never[],
      );
    },
    'insert … select from json_to_recordset': (tx, batch) =>
      tx.unsafe(
        `insert into bench_events (id, user_id, name, occurred_at, properties, revenue)
         select id, user_id, name, occurred_at, properties, revenue
         from json_to_recordset($1::text::json) as e(id text, user_id text, name text, occurred_at timestamptz, properties jsonb, revenue numeric)
         order by id on conflict (id) do nothing`,
        [
          JSON.stringify(
            batch.map((m) => ({
              id: m.messageId,
              user_id: m.userId,
              name: m.event,
              occurred_at: m.timestamp,
              properties: m.properties,
              revenue: typeof m.properties.revenue === 'number' ? m.properties.revenue.toFixed(2) : null,
            })),
          ),
        ],
      ),
    'COPY into temp table + insert … select': async (tx, batch) => {
      await tx.unsafe('create temp table if not exists staging (like bench_events including defaults) on commit delete rows');
      const stream = await tx.unsafe('copy staging (id, user_id, name, occurred_at, properties, revenue) from stdin with (format csv)').writable();
      const csv = batch.map((m) => columns(m).map((v) => (v === null ? '' : `"${String(v).replaceAll('"', '""')}"`)).join(',')).join('\n') + '\n';
      // Note: postgres.js does not surface a failing COPY on the stream (it just never finishes).
      await new Promise<void>((resolve, reject) => stream.write(csv, (error) => (error ? reject(error) : resolve())));
      await new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        stream.end(() => resolve());
      });
      await tx.unsafe('insert into bench_events select * from staging order by id on conflict (id) do nothing');
    },
  };
  console.log(`\nOne batch insert, ${fmt(messages.length)} events in transactions of ${batchSize}, one connection:`);
  for (const [name, insert] of Object.entries(strategies)) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql.unsafe('drop table if exists bench_events');
    await sql.unsafe('create table bench_events (like events including all)');
    const t0 = performance.now();
    for (const batch of batches) await sql.begin((tx) => insert(tx, batch));
    const ms = performance.now() - t0;
    const [row] = await sql.unsafe<{ n: number }[]>('select count(*)::int as n from bench_events');
    if (row?.n !== messages.length) throw new Error(`${name}: ${row?.n} rows`);
    console.log(`  ${name.padEnd(40)} ${fmt(rate(messages.length, ms)).padStart(9)} events/s`);
    await sql.unsafe('drop table if exists bench_events');
    await sql.end();
  }
}

await main();
