import type { Database } from '../db/client.ts';
import { policyByVersion } from '../db/policies.ts';
import type { Success } from '../rules/campaigns.ts';
import { activityRule } from '../rules/events.ts';
import type { Policy } from '../rules/policy.ts';
import { nextAllowedSendTime } from '../rules/quiet-hours.ts';

export interface RescueDeps {
  database: Database;
}

export interface AssignmentRecord {
  rescueId: string;
  userId: string;
  campaign: string;
  n: number;
  arm: string;
  holdout: boolean;
  policyVersion: number;
  assignedAt: string;
  windowEndsAt: string;
}

/** The user's zone, from the `timezone` trait (Segment's `context.timezone` name) or `time_zone`. */
const ZONE_TRAITS = ['timezone', 'time_zone'];

export function createRescueActivities({ database }: RescueDeps) {
  return {
    /**
     * Writes the rescue's arm before anything is sent. Idempotent: a retry, or a rescue run again
     * with the same id, gets the row first written (its arm and instants), never a second one.
     */
    async recordAssignment(input: AssignmentRecord): Promise<{ arm: string; assignedAt: string; windowEndsAt: string }> {
      const [row] = await database.query<{ arm: string; assigned_at: Date; window_ends_at: Date }>(
        `with inserted as (
           insert into rescues (id, user_id, campaign, n, arm, holdout, policy_version, assigned_at, window_ends_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           on conflict (id) do nothing
           returning arm, assigned_at, window_ends_at)
         select * from inserted
         union all
         select arm, assigned_at, window_ends_at from rescues where id = $1 and not exists (select 1 from inserted)`,
        [input.rescueId, input.userId, input.campaign, input.n, input.arm, input.holdout, input.policyVersion, input.assignedAt, input.windowEndsAt],
      );
      return { arm: row!.arm, assignedAt: row!.assigned_at.toISOString(), windowEndsAt: row!.window_ends_at.toISOString() };
    },

    /**
     * The first instant at or after `at` outside quiet hours in the user's time zone. An activity,
     * not workflow code: time-zone rules come with the runtime's ICU data, which a Node upgrade can
     * change, and a workflow that computed them would then replay differently.
     */
    async sendAllowedAt(input: { userId: string; at: string; quietHours: { start: string; end: string; fallbackZone: string } }): Promise<string> {
      const [user] = await database.query<{ zone: string | null }>(
        `select coalesce(${ZONE_TRAITS.map((t) => `traits->>'${t}'`).join(', ')}) as zone from users where id = $1`,
        [input.userId],
      );
      const { start, end, fallbackZone } = input.quietHours;
      return nextAllowedSendTime(new Date(input.at), { start, end, timeZone: user?.zone ?? null, fallbackTimeZone: fallbackZone }).toISOString();
    },

    /**
     * When the user first met the campaign's success definition after `since` (the assignment) and
     * up to `until`, or null: any activity event under the rescue's policy, or the named event.
     */
    async checkReturn(input: { userId: string; since: string; until: string; success: Success; policyVersion: number }): Promise<{ returnedAt: string | null }> {
      let filter: string;
      let names: string[];
      if (input.success === 'activity') {
        const rule = activityRule((await policyByVersion<Policy>(database, input.policyVersion)).body);
        names = rule.names;
        filter = rule.mode === 'only' ? 'name = any($4::text[])' : 'not (name = any($4::text[]))';
      } else {
        names = [input.success.event];
        filter = 'name = any($4::text[])';
      }
      const [row] = await database.query<{ at: Date | null }>(
        `select min(occurred_at) as at from events
         where user_id = $1 and occurred_at > $2::timestamptz and occurred_at <= $3::timestamptz and ${filter}`,
        [input.userId, input.since, input.until, names],
      );
      return { returnedAt: row?.at ? row.at.toISOString() : null };
    },

    /** Records how the rescue ended; the first outcome written stands (retries change nothing). */
    async recordOutcome(input: { rescueId: string; returnedAt: string | null; at: string }): Promise<void> {
      await database.query(
        `update rescues set outcome = $2, returned_at = $3, closed_at = $4 where id = $1 and outcome is null`,
        [input.rescueId, input.returnedAt ? 'rescued' : 'not_rescued', input.returnedAt, input.at],
      );
    },

    /** Which of these rescues have recorded an outcome (the lifecycle workflow's view after a continue-as-new). */
    async closedRescues(rescueIds: string[]): Promise<string[]> {
      if (!rescueIds.length) return [];
      const rows = await database.query<{ id: string }>(`select id from rescues where id = any($1::text[]) and outcome is not null`, [rescueIds]);
      return rows.map((r) => r.id);
    },
  };
}
