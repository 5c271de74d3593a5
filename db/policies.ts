import type { Database } from './client.ts';

export interface StoredPolicy<P> {
  version: number;
  body: P;
  activatedAt: Date | null;
}

/**
 * Later than every earlier activation even within one clock tick (PGlite's clock is coarse), so
 * the last activated version is always the active one.
 */
const ACTIVATION_TIME = `greatest(clock_timestamp(), (select max(activated_at) + interval '1 millisecond' from policies))`;

/** Stores a new version (every version is kept) and, if asked, makes it the active one. */
export async function storePolicy(
  database: Database,
  body: unknown,
  source: string,
  options: { activate: boolean },
): Promise<number> {
  const [row] = await database.query<{ version: number }>(
    `insert into policies (body, source, activated_at) values ($1::text::jsonb, $2, ${options.activate ? ACTIVATION_TIME : 'null'}) returning version`,
    [JSON.stringify(body), source],
  );
  return row!.version;
}

export async function activatePolicy(database: Database, version: number): Promise<void> {
  const rows = await database.query(`update policies set activated_at = ${ACTIVATION_TIME} where version = $1 returning version`, [version]);
  if (!rows.length) throw new Error(`policy version ${version} does not exist`);
}

/** The most recently activated version, so activating an older version rolls back to it. */
export const ACTIVE_POLICY_VERSION = `select version from policies where activated_at is not null order by activated_at desc, version desc limit 1`;

export async function activePolicy<P>(database: Database): Promise<StoredPolicy<P> | null> {
  const [row] = await database.query<{ version: number; body: P; activated_at: Date }>(
    `select version, body, activated_at from policies where version = (${ACTIVE_POLICY_VERSION})`,
  );
  return row ? { version: row.version, body: row.body, activatedAt: row.activated_at } : null;
}

export async function policyByVersion<P>(database: Database, version: number): Promise<StoredPolicy<P>> {
  const [row] = await database.query<{ version: number; body: P; activated_at: Date | null }>(
    `select version, body, activated_at from policies where version = $1`,
    [version],
  );
  if (!row) throw new Error(`policy version ${version} does not exist`);
  return { version: row.version, body: row.body, activatedAt: row.activated_at };
}
