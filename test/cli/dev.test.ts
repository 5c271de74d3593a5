import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../cli/lifeline.ts', import.meta.url));

/** What `npm start` runs, as a new user would meet it: embedded database, devserver, worker and API. */
describe('lifeline dev', () => {
  it('starts on embedded defaults, takes an event with the printed write key, and stops on SIGINT', { timeout: 180_000 }, async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'lifeline-dev-')), 'data');
    const env: NodeJS.ProcessEnv = { ...process.env, LIFELINE_DATA_DIR: dataDir, PORT: '0' };
    delete env.DATABASE_URL;
    delete env.TEMPORAL_ADDRESS;
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'dev'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', () => stdout.includes('Press Ctrl+C to stop.') && resolve(stdout));
        child.on('exit', (code) => reject(new Error(`lifeline dev exited with ${code} before it was ready:\n${stderr}`)));
      });
      const url = /API:\s+(\S+)/.exec(banner)?.[1];
      const writeKey = /write key:\s+(\S+)/.exec(banner)?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(writeKey).toMatch(/^[0-9a-f]{32}$/);

      const response = await fetch(`${url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        body: JSON.stringify({ userId: 'u1', event: 'login', messageId: 'm1' }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ success: true });

      // The default policy's churn webhooks point at hooks.example.com: kept locally, not sent.
      expect(banner).toContain(`webhooks:   kept: ${url}/dev/webhooks`);
      expect((await fetch(`${url}/dev/webhooks/`)).status).toBe(200);
    } finally {
      child.kill('SIGINT');
    }
    const [code] = await exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
