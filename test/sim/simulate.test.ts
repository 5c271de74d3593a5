import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { simulateCommand } from '../../cli/simulate.ts';
import { defaultPolicySource } from '../../rules/index.ts';

/** Runs `lifeline simulate …` through the command's entry point, collecting what it writes. */
async function simulate(args: string[]): Promise<{ stdout: string; stderr: string; error?: Error }> {
  const stdout = collect();
  const stderr = collect();
  const command = simulateCommand({ stdout: stdout.stream, stderr: stderr.stream }).exitOverride();
  try {
    await command.parseAsync(args, { from: 'user' });
    return { stdout: stdout.text(), stderr: stderr.text() };
  } catch (error) {
    return { stdout: stdout.text(), stderr: stderr.text(), error: error as Error };
  }
}

function collect() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** On PostgreSQL (TEST_DATABASE_URL) each run gets a fresh database of its own; otherwise PGlite. */
const admin = process.env.TEST_DATABASE_URL ? postgres(process.env.TEST_DATABASE_URL, { max: 1, onnotice: () => {} }) : undefined;
const created: string[] = [];
async function databaseArgs(): Promise<string[]> {
  if (!admin) return [];
  const name = `lifeline_sim_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  created.push(name);
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return ['--database-url', url.toString()];
}

describe('lifeline simulate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-sim-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    for (const name of created) await admin!.unsafe(`drop database if exists ${name} with (force)`);
    await admin?.end();
  });

  it.each([
    [['--days', '30', '--seed', '1'], /required option '--users <n>' not specified/],
    [['--users', '0', '--days', '30', '--seed', '1'], /option '--users <n>' argument '0' is invalid\. must be a whole number from 1 to 1000000/],
    [['--users', '10', '--days', '2.5', '--seed', '1'], /option '--days <n>' argument '2\.5' is invalid/],
    [['--users', '10', '--days', '3', '--seed', '-4'], /option '--seed <n>' argument '-4' is invalid/],
    [['--users', '10', '--days', '3', '--seed', '1', '--planted', 'sms=2'], /option '--planted <rates>' argument 'sms=2' is invalid\. sms must be between 0 and 1/],
    [['--users', '10', '--days', '3', '--seed', '1', '--planted', 'push=0.3'], /--planted <rates>.*unknown channel "push"/],
    [['--users', '10', '--days', '3', '--seed', '1', '--out', 'report.pdf'], /option '--out <file>' argument 'report\.pdf' is invalid\. must end in \.html, \.json or \.csv/],
  ])('rejects %j naming the option', async (args, message) => {
    const result = await simulate(args);
    expect(result.error).toBeInstanceOf(CommanderError);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('suggests PostgreSQL for a large run on PGlite', async () => {
    const large = await simulate(['--users', '6000', '--days', '3', '--seed', '1', '--policy', join(dir, 'nope.yaml')]);
    expect(large.stderr).toMatch(/^note: in-memory PGlite .* above about 5,000 users a run takes hours;\n.*--database-url/);
    const onPostgres = await simulate(['--users', '6000', '--days', '3', '--seed', '1', '--database-url', 'postgres://127.0.0.1/none', '--policy', join(dir, 'nope.yaml')]);
    expect(onPostgres.stderr).toBe('');
  });

  it('rejects a policy it cannot read or cannot simulate, naming --policy', async () => {
    const missing = await simulate(['--users', '10', '--days', '3', '--seed', '1', '--policy', join(dir, 'nope.yaml')]);
    expect(missing.error?.message).toMatch(/^--policy: cannot read .*nope\.yaml \(ENOENT\)/);
    expect(missing.stderr).toBe('');
    const webhook = join(dir, 'webhook.yaml');
    await writeFile(
      webhook,
      defaultPolicySource().replace(
        '          - send: { channel: sms, template: we_miss_you }\n      - name: email-then-sms',
        '          - send: { channel: webhook, template: we_miss_you }\n      - name: email-then-sms',
      ).replace('    sms: { body: "{{product}}: we saved your place.', '    webhook: { url: "https://crm.example.com/hook", body: "back" }\n    sms: { body: "{{product}}: we saved your place.'),
    );
    const rejected = await simulate(['--users', '10', '--days', '3', '--seed', '1', '--policy', webhook]);
    expect(rejected.error?.message).toMatch(/--policy: campaign "winback" arm "sms" sends a webhook; simulated users are reached by email and SMS only/);
    expect(rejected.stderr).not.toContain('simulating |');
  });

  it('the same seed gives the same report, byte for byte; another seed another', { timeout: 900_000 }, async () => {
    const run = async (seed: number, name: string) => {
      const out = join(dir, `${name}.json`);
      const result = await simulate(['--users', '300', '--days', '30', '--seed', String(seed), '--out', out, ...(await databaseArgs())]);
      if (result.error) throw result.error;
      return { ...result, json: await readFile(out, 'utf8') };
    };
    const first = await run(4, 'first');
    const second = await run(4, 'second');
    const other = await run(5, 'other');

    expect(second.json).toBe(first.json);
    expect(other.json).not.toBe(first.json);
    const report = JSON.parse(first.json) as { asOf: string; campaigns: Array<{ campaign: string; arms: Array<{ arm: string; n: number; assigned: number }> }> };
    expect(report.asOf).toBe('2026-02-04T00:00:00.000Z');
    const onboarding = report.campaigns.find((c) => c.campaign === 'onboarding')!;
    expect(onboarding.arms.reduce((sum, a) => sum + a.n, 0)).toBeGreaterThan(10);

    // The report and the planted lifts on stdout; the progress bar and timing on stderr.
    expect(first.stdout).toContain('Rescue report');
    expect(first.stdout).toMatch(/Planted: holdout 0\.05, email 0\.09, sms 0\.12/);
    expect(first.stdout).toMatch(/onboarding\s+email\s+\d+\s+4\.00 pp/);
    expect(first.stdout).toMatch(/exposure other than planned: 0;/);
    expect(first.stdout).not.toContain('simulating |');
    expect(first.stderr).toMatch(/simulating \|[=-]+\| day 30\/30 \| users \d+ \| rescues \d+ started, \d+ closed \| messages \d+/);
    expect(first.stderr).toMatch(/simulated 300 users over 30 days \(seed 4\) in [\d.]+ s wall time/);
  });
});
