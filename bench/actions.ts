/**
 * Billable Temporal actions per user per 30 days, counted by the devserver by Temporal Cloud's rules,
 * for Lifeline's lazy timers next to a design that signals the workflow on every event, on the same
 * seeded population. Steady state: actions between day 30 and day 60, for users who signed up
 * before day 30, by behaviour. Usage: npm run bench:actions [-- --users 500 --seed 7]
 * (DATABASE_URL → a scratch PostgreSQL database beside it; unset → PGlite).
 */
import { SingleBar, Presets } from 'cli-progress';
import { parseArgs } from 'node:util';
import { readActions, type ActionsSnapshot } from '../devserver/index.ts';
import { defaultPolicySource } from '../rules/index.ts';
import { startSimulationEngine } from '../sim/engine.ts';
import { startHookReceiver } from '../sim/hook-receiver.ts';
import { scriptPopulation, type Behaviour } from '../sim/population.ts';
import { replayPopulation } from '../sim/replay.ts';
import { lifecycleWorkflowId } from '../workflows/user-lifecycle.ts';
import { openScratchDatabase } from '../db/scratch.ts';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '500' },
    seed: { type: 'string', default: '7' },
  },
});
const users = Number(args.users);
const days = 60;
const window = { from: 29, to: 59 };
const start = Date.parse('2026-01-05T00:00:00Z');
const script = scriptPopulation({ users, days, seed: Number(args.seed) });

const designs = [
  { name: 'Lifeline: wake on stage-changing events, sleep until the next possible change', isTriggerEvent: undefined },
  { name: 'signal on every event', isTriggerEvent: () => true },
];

interface WindowActions {
  before: ActionsSnapshot;
  after: ActionsSnapshot;
  /** Users in the active stage all through the window: active at its start, no transition in it. */
  steadyActive: string[];
}

async function measure(isTriggerEvent: (() => boolean) | undefined, label: string): Promise<WindowActions> {
  const database = await openScratchDatabase(process.env.DATABASE_URL, 'lifeline_bench');
  const hooks = await startHookReceiver();
  const engine = await startSimulationEngine(database, {
    startTime: new Date(start),
    policySource: defaultPolicySource().replaceAll('https://hooks.example.com/lifeline/churn', hooks.url).replace(/, email: "[^"]*"/g, ''),
    isTriggerEvent,
  });
  const bar = new SingleBar({ format: `${label.padEnd(24)} {bar} day {value}/{total} | {duration_formatted}` }, Presets.shades_classic);
  bar.start(days, 0);
  try {
    const snapshots: ActionsSnapshot[] = [];
    let activeAtStart: string[] = [];
    let windowStart = new Date();
    let moved = new Set<string>();
    await replayPopulation(engine, script, start, async (day) => {
      bar.update(day + 1);
      if (day === window.from) {
        snapshots.push(await readActions(engine.env.address));
        windowStart = await engine.now();
        activeAtStart = (await database.query<{ id: string }>(`select id from users where stage = 'active'`)).map((r) => r.id);
      }
      if (day === window.to) {
        snapshots.push(await readActions(engine.env.address));
        const rows = await database.query<{ user_id: string }>(`select distinct user_id from stage_transitions where at > $1`, [windowStart]);
        moved = new Set(rows.map((r) => r.user_id));
      }
    });
    return { before: snapshots[0]!, after: snapshots[1]!, steadyActive: activeAtStart.filter((id) => !moved.has(id)) };
  } finally {
    bar.stop();
    await engine.stop();
    await hooks.close();
    await database.close();
  }
}

/** Mean actions in the 30-day window per user of a behaviour who signed up before it. */
function perUserMonth({ before, after }: WindowActions, behaviour: Behaviour | 'all'): { users: number; actions: number } {
  let actions = 0;
  let count = 0;
  for (const user of script.users) {
    if (behaviour !== 'all' && user.behaviour !== behaviour) continue;
    const first = script.days.findIndex((events) => events.some((e) => e.userId === user.id));
    if (first < 0 || first > window.from) continue;
    const id = lifecycleWorkflowId(user.id);
    count++;
    actions += (after.byWorkflow[id]?.total ?? 0) - (before.byWorkflow[id]?.total ?? 0);
  }
  return { users: count, actions: count ? actions / count : 0 };
}

const wallStart = performance.now();
const results = [];
for (const design of designs) {
  results.push({ design, actions: await measure(design.isTriggerEvent, design === designs[0] ? 'lifeline' : 'signal per event') });
}
const events = script.days.reduce((n, d) => n + d.length, 0);
console.log(`\n${users} users, ${days} days, ${events.toLocaleString()} events (seed ${args.seed}); wall ${((performance.now() - wallStart) / 1000).toFixed(1)} s`);
console.log(`billable actions per user in days ${window.from + 1}–${window.to + 1}, users who signed up before (Temporal Cloud rules, counted by the devserver):\n`);
const groups: Array<Behaviour | 'all'> = ['regular', 'payer', 'fading', 'returning', 'one-shot', 'all'];
console.log(['users', ...results.map((r) => r.design.name)].join(' | '));
for (const group of groups) {
  const cells = results.map((r) => perUserMonth(r.actions, group));
  console.log(`${group} (${cells[0]!.users}) | ${cells.map((c) => c.actions.toFixed(1)).join(' | ')}`);
}
const [lazy, eager] = results.map(({ actions }) => {
  const ids = actions.steadyActive.map(lifecycleWorkflowId);
  const total = ids.reduce((n, id) => n + (actions.after.byWorkflow[id]?.total ?? 0) - (actions.before.byWorkflow[id]?.total ?? 0), 0);
  return { users: ids.length, perUser: total / Math.max(1, ids.length) };
});
console.log(
  `\nactive users (in the active stage all through days ${window.from + 1}–${window.to + 1}): ` +
    `${lazy!.perUser.toFixed(1)} actions per user with Lifeline (${lazy!.users} users), ` +
    `${eager!.perUser.toFixed(1)} signalling every event (${eager!.users} users): ${(eager!.perUser / lazy!.perUser).toFixed(1)}× more; target ≤ 10`,
);
for (const { design, actions } of results) {
  const byKind = Object.entries(actions.after.byKind).map(([kind, n]) => [kind, n - actions.before.byKind[kind as keyof typeof actions.before.byKind]]);
  console.log(`  ${design.name}, all users, by kind: ${byKind.filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(', ')}`);
}
