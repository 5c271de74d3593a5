import type { UserWake, Waker } from '../api/ingest/deps.ts';
import type { Database } from '../db/client.ts';
import { activePolicy, storePolicy } from '../db/policies.ts';
import { compile, STAGES, triggersFor, type Policy, type Stage, type WarningTarget } from '../rules/index.ts';

export type StageCounts = Record<Stage, number>;

export interface PolicyPreview {
  activeVersion: number | null;
  counts: { active: StageCounts; proposed: StageCounts };
  /** Users whose recorded stage the proposed policy changes now, grouped by move, with what each move fires. */
  transitions: Array<{ from: string | null; to: string; users: number; warnings: WarningTarget[]; rescues: string[] }>;
}

/** What activating `proposed` would do now, computed in SQL over the whole population; changes nothing. */
export async function previewPolicy(database: Database, proposed: Policy, now = new Date()): Promise<PolicyPreview> {
  const active = await activePolicy<Policy>(database);
  const countsUnder = async (policy: Policy | undefined): Promise<StageCounts> => {
    const counts = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as StageCounts;
    if (!policy) return counts;
    const compiled = compile(policy);
    const rows = await database.query<{ stage: Stage; n: number }>(
      `select stage, count(*)::int as n from (${compiled.text}) c group by stage`,
      compiled.params(now),
    );
    for (const row of rows) counts[row.stage] = row.n;
    return counts;
  };
  const moves = await changedStages(database, proposed, now, 'select u.stage as from_stage, c.stage as to_stage, count(*)::int as n', 'group by 1, 2 order by 3 desc');
  return {
    activeVersion: active?.version ?? null,
    counts: { active: await countsUnder(active?.body), proposed: await countsUnder(proposed) },
    transitions: moves.map((row) => {
      const from = row.from_stage as string | null;
      const to = row.to_stage as string;
      return { from, to, users: row.n as number, ...triggersFor(proposed, from, to) };
    }),
  };
}

/**
 * Stores and activates `proposed`, then wakes only the users whose recorded stage it changes: their
 * workflows re-read the active policy and record the transition themselves.
 */
export async function applyPolicy(
  database: Database,
  proposed: Policy,
  source: string,
  waker: Waker,
  now = new Date(),
): Promise<{ version: number; woken: number }> {
  const version = await storePolicy(database, proposed, source, { activate: true });
  const rows = await changedStages(database, proposed, now, 'select c.user_id', 'order by 1');
  const wakes: UserWake[] = rows.map((row) => ({ userId: row.user_id as string, kind: 'signal', reason: 'policy-change' }));
  await waker.wake(wakes);
  return { version, woken: wakes.length };
}

function changedStages(database: Database, policy: Policy, now: Date, select: string, tail: string) {
  const compiled = compile(policy);
  return database.query<Record<string, unknown>>(
    `${select} from (${compiled.text}) c join users u on u.id = c.user_id where u.stage is distinct from c.stage ${tail}`,
    compiled.params(now),
  );
}
