import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { compile, defaultPolicySource, parsePolicy } from '../../rules/index.ts';
import { scriptPopulation } from '../../sim/population.ts';
import { replayPopulation } from '../../sim/replay.ts';
import { settledState, workflowBundle } from '../../sim/engine.ts';
import { useEngine } from './harness.ts';

const T0 = Date.parse('2026-01-05T00:00:00Z');
const USERS = 1_000;
const DAYS = 60;

describe(`${USERS} scripted users over ${DAYS} simulated days`, () => {
  const policySource = (hookUrl: string) => defaultPolicySource().replaceAll('https://hooks.example.com/lifeline/churn', hookUrl);
  // Continue-as-new after 40 events instead of 4,096, so many users' workflows go through it.
  const harness = useEngine({ start: T0, policy: policySource, suggestContinueAsNewAfter: 40 });

  it('end in the stages the compiled SQL classification gives for the same data', { timeout: 600_000 }, async () => {
    const { database, engine, hooks } = harness;
    const script = scriptPopulation({ users: USERS, days: DAYS, seed: 20260105 });
    await replayPopulation(engine, script, T0);

    const seen = script.users.filter((u) => script.days.some((events) => events.some((e) => e.userId === u.id)));
    const settle = () => Promise.all(seen.map((u) => settledState(engine.client, u.id)));
    await settle();
    const end = await engine.now();
    const compiled = compile(parsePolicy(policySource(hooks.url)));
    const expected = new Map(
      (await database.query<{ user_id: string; stage: string }>(compiled.text, compiled.params(end))).map((r) => [r.user_id, r.stage]),
    );
    const states = await settle();
    expect(expected.size).toBe(seen.length);
    const mismatches = states.filter((s) => s.stage !== expected.get(s.userId)).map((s) => `${s.userId}: ${s.stage} ≠ ${expected.get(s.userId)}`);
    expect(mismatches).toEqual([]);
    for (const state of states) if (state.nextCheckAt) expect(Date.parse(state.nextCheckAt)).toBeGreaterThan(end.getTime());

    const stored = await database.query<{ stage: string; n: number }>(`select stage, count(*)::int as n from users group by stage order by stage`);
    const counts = Object.fromEntries(stored.map((r) => [r.stage, r.n]));
    // Every stage is reached by this population, so the comparison covers them all.
    expect(Object.keys(counts).sort()).toEqual(['active', 'churned', 'new', 'paying', 'silent']);
    const continued = [];
    for await (const run of engine.client.workflow.list({ query: `WorkflowType = 'userLifecycle' AND ExecutionStatus = 'ContinuedAsNew'` })) {
      continued.push(run);
    }
    expect(continued.length).toBeGreaterThan(100);
    const histories = await Promise.all(
      continued.slice(0, 20).map(async (run) => ({
        workflowId: run.workflowId,
        history: await engine.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory(),
      })),
    );
    const replayed = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      replayed.push(result.error);
    }
    expect(replayed).toEqual(Array(20).fill(undefined));
    console.log(`${continued.length} runs continued as new; stages after ${DAYS} days:`, counts, `churn warnings received: ${hooks.received.length}`);
  });
});
