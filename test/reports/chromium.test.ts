import type { FastifyInstance } from 'fastify';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { storePolicy } from '../../db/policies.ts';
import { defaultPolicy, defaultPolicySource } from '../../rules/index.ts';
import { testApi } from '../api/support.ts';
import { openTestDatabase } from '../support/database.ts';
import { seedExperiment } from './seed.ts';

/**
 * The HTML report as a browser gets it: served by the API, signed in with Basic auth (Chromium
 * answers the 401 challenge with the URL's credentials), rendered by headless Chromium (Debian's
 * `chromium`; .ci/run installs it).
 */

const run = promisify(execFile);
const ADMIN = 'chromium-admin-key';
const CHROMIUM = process.env.CHROMIUM ?? 'chromium';

let database: Database;
let app: FastifyInstance;
let origin: string;
let scratch: string;

async function chromium(args: string[]): Promise<string> {
  const profile = await mkdtemp(join(scratch, 'profile-'));
  const { stdout } = await run(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', `--user-data-dir=${profile}`, ...args],
    { timeout: 90_000, maxBuffer: 32 * 1024 * 1024 },
  );
  return stdout;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'lifeline-chromium-'));
  database = await openTestDatabase();
  const version = await storePolicy(database, defaultPolicy(), defaultPolicySource(), { activate: true });
  await seedExperiment(database, version);
  ({ app } = testApi(database, { operator: { adminKeys: [ADMIN] } }));
  const url = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
  origin = `http://analyst:${ADMIN}@${url.host}`;
});

afterAll(async () => {
  await app?.close();
  await database?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('the HTML report in headless Chromium', () => {
  it('renders the charts and the numbers into the DOM', async () => {
    const dom = await chromium(['--dump-dom', `${origin}/reports/rescue?mde=0.08`]);
    expect(dom).toContain('<h1>Rescue report</h1>');
    expect(dom.match(/<svg class="rate-chart"/g)).toHaveLength(1);
    expect(dom.match(/<svg class="return-curve"/g)).toHaveLength(1);
    expect(dom).toContain('Rescue rate per arm, campaign winback');
    // 20, 44 and 60 of 400 came back: 5.0%, 11.0%, 15.0%; the holdout drawn as the baseline.
    expect(dom).toMatch(/<g class="arm holdout" data-arm="holdout" data-rate="0.05"/);
    expect(dom).toMatch(/<g class="arm" data-arm="email" data-rate="0.11"/);
    expect(dom).toMatch(/<g class="arm" data-arm="sms" data-rate="0.15"/);
    expect(dom).toContain('>15.0%</text>');
    expect(dom.match(/<polyline /g)).toHaveLength(3);
    expect(dom).toMatch(/<td class="verdict verdict-better">better than holdout<\/td>/);
    // Wilson 60/400 = [11.83%, 18.83%], worked separately.
    expect(dom).toContain('15.0% [11.8%, 18.8%]');
  });

  it('paints a page far richer than an empty one', async () => {
    const shot = join(scratch, 'report.png');
    const blank = join(scratch, 'blank.png');
    await chromium(['--window-size=1280,1600', '--hide-scrollbars', `--screenshot=${shot}`, `${origin}/reports/rescue`]);
    await chromium(['--window-size=1280,1600', '--hide-scrollbars', `--screenshot=${blank}`, 'data:text/html,<title>blank</title>']);
    const png = await readFile(shot);
    expect(pngSize(png)).toEqual({ width: 1280, height: 1600 });
    // Text, charts and tables compress far worse than a white page of the same size.
    const [report, empty] = [(await stat(shot)).size, (await stat(blank)).size];
    expect(report).toBeGreaterThan(10 * empty);
  });
});
