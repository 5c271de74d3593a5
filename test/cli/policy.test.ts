import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { storePolicy } from '../../db/policies.ts';
import { defaultPolicy, defaultPolicySource } from '../../rules/index.ts';
import { testApi } from '../api/support.ts';
import { openTestDatabase } from '../support/database.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../cli/lifeline.ts', import.meta.url));
const ADMIN = 'cli-admin-key';

/** Runs `lifeline …` as a user would, returning its exit code and output. */
async function lifeline(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('lifeline policy', () => {
  let dir: string;
  let database: Database;
  let api: ReturnType<typeof testApi>;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-cli-'));
    await writeFile(join(dir, 'good.yaml'), defaultPolicySource().replace('name: default', 'name: good'));
    await writeFile(join(dir, 'bad.yaml'), 'name: bad\nstages:\n  - stage: active\n    when: { since_last_activity: { lt: 7 dayz } }\n');
    database = await openTestDatabase();
    await storePolicy(database, defaultPolicy(), defaultPolicySource(), { activate: true });
    api = testApi(database, { operator: { adminKeys: [ADMIN] } });
    url = await api.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await api?.app.close();
    await database?.close();
  });

  it('check accepts a valid file', async () => {
    const result = await lifeline(['policy', 'check', join(dir, 'good.yaml')]);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('valid — 5 stages, 3 triggers') });
  });

  it('check rejects a mistake with its line and column and exits 1', async () => {
    const result = await lifeline(['policy', 'check', join(dir, 'bad.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.yaml:4:\d+: stages\[0\]\.when\.since_last_activity\.lt: "7 dayz" has unknown unit "dayz"/);
  });

  it('preview and apply go through the running API with the admin key', async () => {
    const env = { LIFELINE_URL: url, LIFELINE_ADMIN_KEY: ADMIN };
    const preview = await lifeline(['policy', 'preview', join(dir, 'good.yaml')], env);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('activating it now would move nobody');
    const applied = await lifeline(['policy', 'apply', join(dir, 'good.yaml')], env);
    expect(applied).toMatchObject({ code: 0, stdout: 'policy v2 is active; woke 0 users whose stage changes\n' });
    const refused = await lifeline(['policy', 'apply', join(dir, 'good.yaml')], { ...env, LIFELINE_ADMIN_KEY: 'wrong' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('answered 401');
  });

  it('says where it looked when no API is running', async () => {
    const result = await lifeline(['policy', 'preview', join(dir, 'good.yaml')], { LIFELINE_URL: 'http://127.0.0.1:9', LIFELINE_ADMIN_KEY: ADMIN });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Lifeline at http://127.0.0.1:9');
  });
});
