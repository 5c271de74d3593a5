/**
 * Emails per second through sendMessage (ledger claim, consent and cap checks, nodemailer pool)
 * to the local SMTP sink in the same process, which parses every message with mailparser.
 * Usage: DATABASE_URL=postgres://… npm run bench:email -- [messages] [concurrency] [smtpConnections]
 * Without DATABASE_URL it runs on in-memory PGlite (one connection, so sends serialise on it).
 * With DATABASE_URL it creates and drops its own database next to that one.
 */
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import postgres from 'postgres';
import { createMailTransport } from '../activities/channels/email.ts';
import { createSendMessage } from '../activities/channels/send-message.ts';
import type { SendMessageInput } from '../activities/channels/schema.ts';
import { migrateDatabase, openDatabase, type Database } from '../db/client.ts';
import { startSmtpSink } from '../sinks/smtp-sink.ts';

const total = Number(process.argv[2] ?? 2_000);
const concurrency = Number(process.argv[3] ?? 20);
const connections = Number(process.argv[4] ?? 5);

async function open(): Promise<{ database: Database; drop: () => Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const database = await openDatabase();
    await migrateDatabase(database);
    return { database, drop: () => database.close() };
  }
  const name = `lifeline_bench_email_${randomBytes(4).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), max: concurrency + 2 });
  await migrateDatabase(database);
  return {
    database,
    drop: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

const { database, drop } = await open();
const smtp = await startSmtpSink();
const mailer = createMailTransport(smtp.url, { maxConnections: connections });
try {
  await database.copy(
    'users',
    ['id', 'traits', 'first_seen_at'],
    Array.from({ length: total }, (_, i) => [`u${i}`, { email: `user${i}@example.com`, firstName: `User ${i}` }, new Date()]),
  );
  const sendMessage = createSendMessage({
    database,
    mailer,
    emailFrom: 'Lifeline <hello@bench.test>',
    publicUrl: 'https://lifeline.example.com',
    unsubscribeSecret: 'bench',
  });
  const input = (i: number, step = 0): SendMessageInput => ({
    rescueId: `rescue:u${i}:winback:1`,
    step,
    userId: `u${i}`,
    campaign: 'winback',
    channel: 'email',
    template: { subject: 'We miss you, {{user.firstName}}', body: 'Come back for {{offer}}.\n\nUnsubscribe: {{unsubscribe_url}}' },
    variables: { offer: '20% off' },
    cap: { perDay: 2, perWeek: 3 },
  });

  // Warm the pool and the statement paths so the figure is steady-state.
  const warm = Math.min(50, Math.floor(total / 10));
  for (let i = 0; i < warm; i++) await sendMessage(input(i));

  const latencies: number[] = [];
  let next = warm;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        const result = await sendMessage(input(i));
        if (result.status !== 'sent') throw new Error(`message ${i} ended ${result.status}: ${result.reason}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
  const measured = total - warm;
  if (smtp.messages.length !== total || smtp.duplicateMessageIds().length) {
    throw new Error(`sink holds ${smtp.messages.length} messages (${smtp.duplicateMessageIds().length} duplicate ids), expected ${total}`);
  }
  console.log(
    `bench:email  ${database.kind}  ${measured} emails, concurrency ${concurrency}, ${connections} SMTP connections: ` +
      `${(measured / seconds).toFixed(0)} emails/s; latency p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, p99 ${pct(0.99)} ms`,
  );

  // The same transport and sink without the ledger: what the send path costs on top of SMTP itself.
  let sent = 0;
  const rawStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < measured) {
        const i = sent++;
        await mailer.sendMail({ from: 'hello@bench.test', to: `user${i}@example.com`, subject: 'We miss you', text: 'Come back.' });
      }
    }),
  );
  console.log(`bench:email  baseline: nodemailer pool → sink without sendMessage: ${(measured / ((performance.now() - rawStarted) / 1000)).toFixed(0)} emails/s`);

  // The send path with a transport that only renders the message: the ledger's share of the cost.
  const ledgerOnly = createSendMessage({
    database,
    mailer: nodemailer.createTransport({ jsonTransport: true }),
    emailFrom: 'Lifeline <hello@bench.test>',
    publicUrl: 'https://lifeline.example.com',
    unsubscribeSecret: 'bench',
  });
  let n = warm;
  const ledgerStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (n < total) {
        const result = await ledgerOnly(input(n++, 1));
        if (result.status !== 'sent') throw new Error(`ledger-only send ended ${result.status}: ${result.reason}`);
      }
    }),
  );
  console.log(`bench:email  sendMessage without SMTP (nodemailer jsonTransport): ${(measured / ((performance.now() - ledgerStarted) / 1000)).toFixed(0)} sends/s`);
} finally {
  mailer.close();
  await smtp.close();
  await drop();
}
