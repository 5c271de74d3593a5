import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { activatePolicy, activePolicy, policyByVersion, storePolicy } from '../../db/policies.ts';
import { openTestDatabase } from '../support/database.ts';

describe('policy versions', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database?.close());

  it('keeps every version, bodies as objects, and the last activated one is active', async () => {
    expect(await activePolicy(database)).toBeNull();
    const v1 = await storePolicy(database, { name: 'one', stages: [{ stage: 'churned' }] }, 'name: one', { activate: true });
    const v2 = await storePolicy(database, { name: 'two', stages: [] }, 'name: two', { activate: false });
    expect((await activePolicy<{ name: string }>(database))?.body.name).toBe('one');
    expect((await policyByVersion<{ stages: unknown[] }>(database, v1)).body.stages).toEqual([{ stage: 'churned' }]);
    await activatePolicy(database, v2);
    expect((await activePolicy<{ name: string }>(database))?.version).toBe(v2);
    await activatePolicy(database, v1);
    expect((await activePolicy<{ name: string }>(database))?.version).toBe(v1);
    await expect(activatePolicy(database, 999)).rejects.toThrow('policy version 999 does not exist');
  });
});
