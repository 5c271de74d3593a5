import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { postBatch, settledState, workflowBundle } from '../../sim/engine.ts';
import { lifecycleWorkflowId } from '../../workflows/user-lifecycle.ts';
import { ledgerOf, useRescueEngine } from './harness.ts';
import { rescuePolicy, userInArm } from './policies.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-05-04T00:00:00Z');

// Winback counts only a purchase as success here, over 21 days: a login brings the user back to
// active without ending the rescue, so the trigger can fire again while it runs.
const policy = rescuePolicy({ rescueTriggers: true }).replace('    window: 7 days\n', '    window: 21 days\n    success: { event: purchase }\n');

describe('the lifecycle workflow starts rescues from its triggers', () => {
  const h = useRescueEngine({ start: T0, policy, suggestContinueAsNewAfter: 20 });
  const user = userInArm('life', 'winback', 'email-then-sms');
  const rescue = (n: number) => `rescue:${user}:winback:${n}`;

  async function track(event: string, properties: object = {}) {
    const at = await h.engine.now();
    await postBatch(h.engine.url, [{ type: 'track', userId: user, event, messageId: `${event}-${at.getTime()}`, timestamp: at.toISOString(), properties }]);
    await settledState(h.engine.client, user);
    return at.getTime();
  }
  const rows = () =>
    h.database.query<{ id: string; outcome: string | null; returned_at: Date | null }>(
      `select id, outcome, returned_at from rescues where user_id = $1 order by id`,
      [user],
    );

  it('one rescue per campaign at a time, numbered, surviving the parent’s continue-as-new, told when the user returns', async () => {
    await h.advanceTo(12 * HOUR);
    await track('login');
    const traits = { email: 'life@example.com', phone: '+15550109999', timezone: 'UTC' };
    await postBatch(h.engine.url, [{ type: 'identify', userId: user, traits, messageId: 'life-id', timestamp: (await h.engine.now()).toISOString() }]);

    // new → silent a week later starts winback #1; its email goes out a day after that.
    await h.advanceTo(8 * DAY);
    expect((await settledState(h.engine.client, user)).rescues).toEqual({ winback: rescue(1) });
    await h.advanceTo(9 * DAY);
    await track('login'); // silent → active: the rescue is told, finds no purchase, and carries on
    await h.advanceTo(16 * DAY + HOUR); // active → silent again: winback #1 still runs, so no #2
    expect(await rows()).toEqual([{ id: rescue(1), outcome: null, returned_at: null }]);
    expect((await ledgerOf(h.database, rescue(1))).map((e) => [e.step, e.channel])).toEqual([[10, 'email'], [30, 'sms']]);

    await h.advanceTo(17 * DAY);
    const purchasedAt = await track('purchase', { revenue: 20 }); // silent → paying: the success the campaign waits for
    expect(await h.result(rescue(1))).toMatchObject({ outcome: 'rescued', returnedAt: new Date(purchasedAt).toISOString() });

    // 35 days after the purchase the user is churned: winback #2.
    await h.advanceTo(53 * DAY);
    expect((await rows()).map((r) => [r.id, r.outcome])).toEqual([
      [rescue(1), 'rescued'],
      [rescue(2), null],
    ]);
    const state = await settledState(h.engine.client, user);
    expect(state).toMatchObject({ stage: 'churned', rescues: { winback: rescue(2) } });

    // The lifecycle continued as new while winback #1 ran: the rescue outlived the run that started it.
    const lifecycle = await h.engine.client.workflow.getHandle(lifecycleWorkflowId(user)).fetchHistory();
    expect(lifecycle.events![0]!.workflowExecutionStartedEventAttributes!.continuedExecutionRunId).toBeTruthy();
  });

  it('keeps personal data out of the histories, and they replay', async () => {
    const ids = [lifecycleWorkflowId(user), rescue(1), rescue(2)];
    const histories = [];
    for (const workflowId of ids) {
      const history = await h.engine.client.workflow.getHandle(workflowId).fetchHistory();
      expect(JSON.stringify(history)).not.toMatch(/life@example\.com|15550109999/);
      histories.push({ workflowId, history });
    }
    const errors = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) errors.push(result.error);
    expect(errors).toEqual([undefined, undefined, undefined]);
  });
});
