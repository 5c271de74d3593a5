import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase, openDatabase } from '../../db/client.ts';
import { storePolicy } from '../../db/policies.ts';
import { RescueReport } from '../../reports/schema.ts';
import { defaultPolicy, defaultPolicySource } from '../../rules/index.ts';
import { seedExperiment } from './seed.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../cli/lifeline.ts', import.meta.url));

let dir: string;

/** `lifeline report …` on the embedded data directory, as a user runs it with no DATABASE_URL. */
async function lifeline(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, LIFELINE_DATA_DIR: join(dir, 'data') };
  delete env.DATABASE_URL;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args], { env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-report-cli-'));
  const database = await openDatabase({ dataDir: join(dir, 'data') });
  await migrateDatabase(database);
  const version = await storePolicy(database, defaultPolicy(), defaultPolicySource(), { activate: true });
  await seedExperiment(database, version);
  await database.close();
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Each case starts the CLI (tsx, the whole command) once or twice: on a loaded two-core machine that alone can take 20 s.
describe('lifeline report', { timeout: 120_000 }, () => {
  it('prints the table from the embedded database', async () => {
    const result = await lifeline(['report', '--mde', '0.08']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('campaign winback (window 14 days)');
    expect(result.stdout).toMatch(/sms\s+400\s+0\s+400\s+400\s+400\s+0\s+60\s+15\.0% \[11\.8%, 18\.8%\]/);
    expect(result.stdout).toContain('better than holdout');
    expect(result.stdout).toContain('power: detecting a lift of 8.0 percentage points');
  });

  it('writes the format the --out file names, with the costs overridden', async () => {
    const out = join(dir, 'report.json');
    const result = await lifeline(['report', '--out', out, '--cost', 'sms=0.05', 'email=0.002', '--campaign', 'winback']);
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: `wrote ${out}\n` });
    const report = RescueReport.parse(JSON.parse(await readFile(out, 'utf8')));
    expect(report.costs).toEqual({ currency: 'USD', email: 0.002, sms: 0.05, webhook: 0 });
    expect(report.campaigns[0]!.arms.find((a) => a.arm === 'sms')!.cost).toBeCloseTo(20, 9);
    expect(report.filters.campaign).toBe('winback');
  });

  it('takes --format over the extension', async () => {
    const out = join(dir, 'report.txt');
    expect((await lifeline(['report', '--format', 'csv', '--out', out])).code).toBe(0);
    expect((await readFile(out, 'utf8')).split('\r\n')[0]).toMatch(/^campaign,kind,name,/);
  });

  it('names each flag whose value is wrong, all at once, and exits 1', async () => {
    const options = await lifeline(['report', '--since', 'yesterday', '--mde', '1.5']);
    expect(options.code).toBe(1);
    expect(options.stderr).toContain('--since: must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z');
    expect(options.stderr).toContain('--mde: must be below 1');
  });

  it('refuses an unknown format and a bad --cost as it reads them', async () => {
    const format = await lifeline(['report', '--format', 'pdf']);
    expect(format.code).toBe(1);
    expect(format.stderr).toMatch(/option '--format <format>' argument 'pdf' is invalid. Allowed choices are table, csv, json, html/);
    const cost = await lifeline(['report', '--cost', 'fax=1']);
    expect(cost.code).toBe(1);
    expect(cost.stderr).toContain('--cost: unknown channel "fax": channels are email, sms, webhook');
  });
});
