/**
 * How long the rescue report takes over many rescues, against the least any such report must do: a
 * grouped count of the same rescues, measured in the same run on the same database.
 * Usage: DATABASE_URL=postgres://… npm run bench:report -- [rescues] [eventsPerUser]
 * Without DATABASE_URL it runs on in-memory PGlite; with it, it creates and drops its own database.
 */
import { performance } from 'node:perf_hooks';
import { storePolicy } from '../db/policies.ts';
import { openScratchDatabase } from '../db/scratch.ts';
import { rescueReport } from '../reports/rescue-report.ts';
import { defaultPolicy, defaultPolicySource } from '../rules/index.ts';

const rescues = Number(process.argv[2] ?? 100_000);
const eventsPerUser = Number(process.argv[3] ?? 10);
const RUNS = 5;

const database = await openScratchDatabase(process.env.DATABASE_URL, 'lifeline_bench_report');
try {
  const version = await storePolicy(database, defaultPolicy(), defaultPolicySource(), { activate: true });
  const started = performance.now();
  // Arms of the default winback campaign: holdout 10%, the rest split in three; rates 5%, 9%, 12%, 11%.
  await database.query(
    `insert into rescues (id, user_id, campaign, n, arm, holdout, policy_version, assigned_at, window_ends_at, outcome, returned_at, closed_at)
     select 'r' || i, 'u' || i, 'winback', 1, arm, arm = 'holdout', $2, at, at + interval '14 days',
            case when back then 'rescued' else 'not_rescued' end,
            case when back then at + (i % 13 + 0.5) * interval '1 day' end,
            case when back then at + (i % 13 + 0.5) * interval '1 day' else at + interval '14 days' end
     from (select i, timestamptz '2026-01-01' + i * interval '30 seconds' as at,
                  (array['holdout', 'email', 'sms', 'email-then-sms'])[case when i % 10 = 0 then 1 else 2 + i % 3 end] as arm,
                  (i * 2654435761::bigint % 1000) < (array[50, 90, 120, 110])[case when i % 10 = 0 then 1 else 2 + i % 3 end] as back
           from generate_series(1, $1::int) i) s`,
    [rescues, version],
  );
  await database.query(
    `insert into messages (rescue_id, step, user_id, campaign, channel, status, sent_at)
     select id, 1, user_id, campaign, case when arm = 'sms' then 'sms' else 'email' end, 'sent', assigned_at + interval '1 day' from rescues where not holdout
     union all
     select id, 3, user_id, campaign, case when arm = 'email' then 'email' else 'sms' end, 'delivered', assigned_at + interval '5 days' from rescues where arm <> 'holdout' and arm <> 'sms'`,
  );
  await database.query(
    `insert into events (id, user_id, name, occurred_at, revenue)
     select 'e' || i || '-' || k, 'u' || i, case when k % 4 = 0 then 'purchase' else 'login' end,
            timestamptz '2026-01-01' + i * interval '30 seconds' + k * interval '2 days',
            case when k % 4 = 0 then 9.99 end
     from generate_series(1, $1::int) i, generate_series(1, $2::int) k`,
    [rescues, eventsPerUser],
  );
  await database.query('analyze');
  console.log(`${database.kind}: ${rescues} rescues, ${eventsPerUser * rescues} events, loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const time = async (work: () => Promise<unknown>) => {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await work();
      ms.push(performance.now() - t);
    }
    return ms.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
  };
  const baseline = await time(() =>
    database.query(`select campaign, arm, count(*), count(*) filter (where outcome = 'rescued') from rescues group by campaign, arm`),
  );
  const report = await time(() => rescueReport(database));
  console.log(`grouped count of the rescues (baseline): ${baseline.toFixed(0)} ms (median of ${RUNS})`);
  console.log(`rescueReport:                           ${report.toFixed(0)} ms (median of ${RUNS}), ${(report / baseline).toFixed(1)}× the baseline`);
} finally {
  await database.close();
}
