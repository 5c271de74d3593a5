import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { signatureHeader, timestampHeader, verifyWebhook } from '../../activities/signature.ts';
import { lifecycleWorkflowId, stateQuery } from '../../workflows/user-lifecycle.ts';
import { useEngine } from './harness.ts';
import { postBatch, settledState, webhookSecret, workflowBundle } from '../../sim/engine.ts';
import { testPolicy } from './policies.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('userLifecycle on the time-skipping devserver', () => {
  const harness = useEngine({ start: T0, policy: (hookUrl) => testPolicy({ hookUrl }) });
  const { advanceTo } = harness;

  async function track(userId: string, event: string, extra: object = {}) {
    const at = await harness.engine.now();
    await postBatch(harness.engine.url, [
      { type: 'track', userId, event, messageId: `${userId}-${event}-${at.getTime()}`, timestamp: at.toISOString(), ...extra },
    ]);
    return at.getTime();
  }

  async function transitions(userId: string) {
    await settledState(harness.engine.client, userId);
    return harness.database.query<{ from_stage: string | null; to_stage: string; at: Date; policy_version: number; facts: unknown }>(
      `select from_stage, to_stage, at, policy_version, facts from stage_transitions where user_id = $1 order by at`,
      [userId],
    );
  }

  it('follows a user new → active → silent → churned → active, and a payer to paying at once', async () => {
    // Posts on even days at 18:00, timers derived from them land on odd days: no post races a timer.
    await advanceTo(12 * HOUR);
    const aliceFirst = await track('alice', 'login');
    await track('bob', 'login');
    await advanceTo(2 * DAY + 18 * HOUR);
    const bobPaid = await track('bob', 'purchase', { properties: { revenue: 49.9 } });
    expect((await transitions('bob')).map((t) => t.to_stage)).toEqual(['new', 'paying']);
    expect((await transitions('bob'))[1]!.at.getTime() - bobPaid).toBeLessThan(1000);

    let aliceLast = aliceFirst;
    for (let day = 2; day <= 20; day += 2) {
      await advanceTo(day * DAY + 18 * HOUR);
      aliceLast = await track('alice', 'login');
    }
    await advanceTo(54 * DAY);
    expect((await transitions('alice')).map((t) => t.to_stage)).toEqual(['new', 'active', 'silent', 'churned']);
    await advanceTo(55 * DAY + 18 * HOUR);
    const aliceBack = await track('alice', 'login');

    const seen = await transitions('alice');
    expect(seen.map((t) => [t.from_stage, t.to_stage])).toEqual([
      [null, 'new'],
      ['new', 'active'],
      ['active', 'silent'],
      ['silent', 'churned'],
      ['churned', 'active'],
    ]);
    // Timers fire at the exact instant the stage changes (virtual time runs on by milliseconds at most).
    const expectedAt = [aliceFirst, aliceFirst + 14 * DAY, aliceLast + 7 * DAY, aliceLast + 30 * DAY, aliceBack];
    seen.forEach((t, i) => {
      expect(t.at.getTime()).toBeGreaterThanOrEqual(expectedAt[i]!);
      expect(t.at.getTime() - expectedAt[i]!).toBeLessThan(1000);
      expect(t.policy_version).toBeGreaterThan(0);
      expect(t.facts).toMatchObject({ firstSeenAt: aliceFirst });
    });

    const [user] = await harness.database.query<{ stage: string; stage_since: Date; checked_at: Date }>(
      `select stage, stage_since, checked_at from users where id = 'alice'`,
    );
    expect(user?.stage).toBe('active');
    expect(user?.stage_since.getTime()).toBe(seen[4]!.at.getTime());
    expect(user?.checked_at.getTime()).toBeGreaterThanOrEqual(aliceBack);
    const state = await harness.engine.client.workflow.getHandle(lifecycleWorkflowId('alice')).query(stateQuery);
    expect(state).toMatchObject({ userId: 'alice', stage: 'active' });
    const description = await harness.engine.client.workflow.getHandle(lifecycleWorkflowId('alice')).describe();
    expect(description.searchAttributes.LifecycleStage).toEqual(['active']);
  });

  it('sent one signed churn warning for the active → silent move', async () => {
    const warnings = harness.hooks.received.filter((hook) => JSON.parse(hook.body).userId === 'alice');
    expect(warnings).toHaveLength(1);
    const [hook] = warnings;
    const body = JSON.parse(hook!.body);
    expect(body).toMatchObject({ userId: 'alice', from: 'active', to: 'silent' });
    expect(body.text).toContain('alice');
    expect(
      verifyWebhook(webhookSecret, String(hook!.headers[timestampHeader]), hook!.body, String(hook!.headers[signatureHeader])),
    ).toBe(true);
    expect(verifyWebhook('another-secret', String(hook!.headers[timestampHeader]), hook!.body, String(hook!.headers[signatureHeader]))).toBe(
      false,
    );
    const [row] = await harness.database.query<{ status: string; attempts: number }>(
      `select status, attempts from churn_warnings where user_id = 'alice'`,
    );
    expect(row).toEqual({ status: 'sent', attempts: 1 });
  });

  it('starts a user identified before their first event with that event', async () => {
    await postBatch(harness.engine.url, [{ type: 'identify', userId: 'carol', traits: { plan: 'pro' }, messageId: 'id-carol' }]);
    const missing = await harness.engine.client.workflow.getHandle(lifecycleWorkflowId('carol')).describe().catch((error: Error) => error.name);
    expect(missing).toBe('WorkflowNotFoundError');
    const first = await track('carol', 'login');
    expect((await transitions('carol')).map((t) => [t.from_stage, t.to_stage, t.at.getTime() >= first])).toEqual([[null, 'new', true]]);
  });

  it('keeps personal data out of workflow histories, and every history replays', async () => {
    await postBatch(harness.engine.url, [
      { type: 'identify', userId: 'alice', traits: { email: 'alice@example.com', phone: '+15550100' }, messageId: 'id-alice' },
    ]);
    const histories = [];
    for (const userId of ['alice', 'bob']) {
      const history = await harness.engine.client.workflow.getHandle(lifecycleWorkflowId(userId)).fetchHistory();
      expect(JSON.stringify(history)).not.toMatch(/alice@example\.com|15550100/);
      histories.push({ workflowId: lifecycleWorkflowId(userId), history });
    }
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      results.push(result);
    }
    expect(results.map((r) => r.error)).toEqual([undefined, undefined]);
  });
});
