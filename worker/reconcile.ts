import type { UserWake, Waker } from '../api/ingest/deps.ts';
import type { Database } from '../db/client.ts';

/**
 * Users whose workflow should have been woken but may not have been — ingest commits events first
 * and wakes workflows after, so a Temporal outage in between leaves them waiting for their next
 * timer (or, for a new user, with no workflow at all):
 * - with events but never checked by a workflow, and seen more than `graceMs` ago;
 * - silent or churned, with activity recorded after their workflow last checked;
 * - not paying, with a payment recorded after their workflow last checked.
 * A user whose workflow checked after the news is left alone even if the policy kept the stage, so
 * nobody is woken twice for the same events. Waking is signalWithStart: safe to repeat.
 */
export async function reconcile(database: Database, waker: Waker, options: { now?: Date; graceMs?: number; limit?: number } = {}): Promise<number> {
  const now = options.now ?? new Date();
  const rows = await database.query<{ id: string }>(
    `select id from users
     where (checked_at is null and updated_at < $1 and exists (select 1 from events e where e.user_id = users.id))
        or (stage in ('silent', 'churned') and last_active_at > greatest(stage_since, checked_at))
        or (stage is distinct from 'paying' and last_payment_at > greatest(stage_since, checked_at))
     order by id limit $2`,
    [new Date(now.getTime() - (options.graceMs ?? 60_000)), options.limit ?? 1_000],
  );
  const wakes: UserWake[] = rows.map((row) => ({ userId: row.id, kind: 'signal', reason: 'reconcile' }));
  if (wakes.length) await waker.wake(wakes);
  return wakes.length;
}

/** Runs `reconcile` every `intervalMs` until stopped; failures wait for the next round. */
export function startReconciler(database: Database, waker: Waker, intervalMs: number, log: (message: string) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reconcile(database, waker)
      .then((woken) => woken && log(`reconciler woke ${woken} users whose wake may have been lost`))
      .catch((error: unknown) => log(`reconciler failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
