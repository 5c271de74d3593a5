import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../rules/index.ts';
import { applyPolicy, previewPolicy } from '../../worker/policy-changes.ts';
import { createTemporalWaker } from '../../worker/temporal-waker.ts';
import { lifecycleWorkflowId } from '../../workflows/user-lifecycle.ts';
import { useEngine } from './harness.ts';
import { postBatch, settledState, taskQueue } from '../../sim/engine.ts';
import { testPolicy } from './policies.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const groups = {
  recent: ['r1', 'r2', 'r3', 'r4'], // active: seen on day 18
  lapsed: ['l1', 'l2', 'l3'], // last seen day 10: silent after 7 days, still active under a 14-day rule
  gone: ['g1', 'g2', 'g3'], // last seen day 0: silent either way
};
const everyone = Object.values(groups).flat();

describe('activating a new policy', () => {
  const harness = useEngine({ start: T0, policy: (hookUrl) => testPolicy({ hookUrl }) });
  const { advanceTo } = harness;

  async function loginAll(userIds: string[]) {
    const at = await harness.engine.now();
    await postBatch(
      harness.engine.url,
      userIds.map((userId) => ({ type: 'track', userId, event: 'login', messageId: `${userId}-${at.getTime()}`, timestamp: at.toISOString() })),
    );
  }
  async function settledStages() {
    const states = await Promise.all(everyone.map((id) => settledState(harness.engine.client, id)));
    return Object.fromEntries(states.map((s) => [s.userId, s.stage]));
  }
  async function signalCounts() {
    const counts: Record<string, number> = {};
    for (const id of everyone) {
      const history = await harness.engine.client.workflow.getHandle(lifecycleWorkflowId(id)).fetchHistory();
      counts[id] = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    }
    return counts;
  }

  it('previews, then wakes and reclassifies only the users whose stage changes', async () => {
    await advanceTo(60_000);
    await loginAll(everyone);
    await advanceTo(10 * DAY + 18 * 3_600_000);
    await loginAll([...groups.recent, ...groups.lapsed]);
    await advanceTo(18 * DAY + 18 * 3_600_000);
    await loginAll(groups.recent);
    await advanceTo(20 * DAY);

    const before = await settledStages();
    expect(everyone.map((id) => before[id])).toEqual([...groups.recent.map(() => 'active'), ...groups.lapsed.map(() => 'silent'), ...groups.gone.map(() => 'silent')]);

    const source = testPolicy({ hookUrl: harness.hooks.url, silentAfter: '14 days', name: 'patient' });
    const proposed = parsePolicy(source);
    const now = await harness.engine.now();
    const preview = await previewPolicy(harness.database, proposed, now);
    expect(preview.counts.active).toMatchObject({ active: 4, silent: 6 });
    expect(preview.counts.proposed).toMatchObject({ active: 7, silent: 3 });
    expect(preview.transitions).toEqual([{ from: 'silent', to: 'active', users: 3, warnings: [], rescues: [] }]);

    const signalsBefore = await signalCounts();
    harness.engine.policy.current = proposed;
    const applied = await applyPolicy(harness.database, proposed, source, createTemporalWaker(harness.engine.client, taskQueue), now);
    expect(applied.woken).toBe(3);

    const after = await settledStages();
    expect(everyone.map((id) => after[id])).toEqual([...groups.recent.map(() => 'active'), ...groups.lapsed.map(() => 'active'), ...groups.gone.map(() => 'silent')]);
    const signalsAfter = await signalCounts();
    for (const id of everyone) expect(signalsAfter[id]! - signalsBefore[id]!, id).toBe(groups.lapsed.includes(id) ? 1 : 0);

    const moved = await harness.database.query<{ user_id: string; policy_version: number }>(
      `select user_id, policy_version from stage_transitions where at >= $1 order by user_id`,
      [now],
    );
    expect(moved).toEqual(groups.lapsed.map((user_id) => ({ user_id, policy_version: applied.version })).sort((a, b) => a.user_id.localeCompare(b.user_id)));
  });
});
