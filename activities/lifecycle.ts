import type { Database } from '../db/client.ts';
import { ACTIVE_POLICY_VERSION, policyByVersion } from '../db/policies.ts';
import { factsFor, type Facts } from '../rules/facts.ts';
import type { Policy } from '../rules/policy.ts';

export interface LifecycleDeps {
  database: Database;
}

export type LoadedFacts =
  | { policyVersion: number; facts: Facts }
  | { policyVersion: number; facts: null; firstEventAt: string | null };

export interface RecordTransitionInput {
  userId: string;
  fromStage: string | null;
  toStage: string;
  at: string;
  policyVersion: number;
  rule: string;
  facts: Facts;
}

interface Compiled {
  policy: Policy;
  facts: ReturnType<typeof factsFor>;
}

export function createLifecycleActivities({ database }: LifecycleDeps) {
  // A stored version never changes: each is read and compiled once per worker.
  const versions = new Map<number, Promise<Compiled>>();
  const compiled = (version: number): Promise<Compiled> => {
    let entry = versions.get(version);
    if (!entry) {
      entry = policyByVersion<Policy>(database, version).then(({ body }) => ({ policy: body, facts: factsFor(body) }));
      entry.catch(() => versions.delete(version));
      versions.set(version, entry);
    }
    return entry;
  };

  return {
    /**
     * The user's facts as of `at` under the active policy; ids and derived values only, no contact
     * details. `facts` is null while the user has no event by then (identified, or events stamped
     * later), with the first event's time if there is one, for the workflow to wait until.
     */
    async loadFacts({ userId, at }: { userId: string; at: string }): Promise<LoadedFacts> {
      // The active version is read on every call, so a newly activated policy applies to the next check.
      const [active] = await database.query<{ version: number | null }>(
        `with checked as (update users set checked_at = $2 where id = $1 and checked_at is distinct from $2)
         select (${ACTIVE_POLICY_VERSION}) as version`,
        [userId, at],
      );
      const version = active?.version;
      if (version == null) throw new Error('no active policy: activate one with `lifeline policy apply <file>`');
      const { facts: query } = await compiled(version);
      const [row] = await database.query(query.text, query.params(userId, new Date(at)));
      if (row) return { policyVersion: version, facts: query.toFacts(row, userId) };
      const [first] = await database.query<{ at: Date | null }>(`select min(occurred_at) as at from events where user_id = $1`, [userId]);
      return { policyVersion: version, facts: null, firstEventAt: first?.at?.toISOString() ?? null };
    },

    async loadPolicy(version: number): Promise<Policy> {
      return (await compiled(version)).policy;
    },

    /**
     * Records a stage change unless the facts it was decided on are stale. Ingest locks the user's row
     * (key share) before it commits its events, so re-reading the facts under that lock sees every
     * committed event (test/engine/ingest-race.test.ts):
     * if they differ, the workflow classifies again instead; any ingest still to come will find the
     * new stage and wake the workflow. Idempotent: a retried call finds the transition written.
     */
    async recordTransition(input: RecordTransitionInput): Promise<'recorded' | 'stale'> {
      const { facts: factsQuery } = await compiled(input.policyVersion);
      return database.transaction(async (query) => {
        await query(`select 1 from users where id = $1 for update`, [input.userId]);
        const existing = await query(`select 1 from stage_transitions where user_id = $1 and at = $2`, [input.userId, input.at]);
        if (existing.length) return 'recorded';
        const current = factsQuery.toFacts((await query(factsQuery.text, factsQuery.params(input.userId, new Date(input.at))))[0], input.userId);
        if (JSON.stringify(current) !== JSON.stringify(input.facts)) return 'stale';
        await query(
          `insert into stage_transitions (user_id, from_stage, to_stage, at, policy_version, rule, facts)
           values ($1, $2, $3, $4, $5, $6, $7::text::jsonb)`,
          [input.userId, input.fromStage, input.toStage, input.at, input.policyVersion, input.rule, JSON.stringify(input.facts)],
        );
        await query(`update users set stage = $2, stage_since = $3, policy_version = $4, updated_at = now() where id = $1`, [
          input.userId,
          input.toStage,
          input.at,
          input.policyVersion,
        ]);
        return 'recorded';
      });
    },
  };
}
