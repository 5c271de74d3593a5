import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { reconcile } from '../../worker/reconcile.ts';
import { RecordingWaker } from '../api/support.ts';
import { openTestDatabase } from '../support/database.ts';

const now = new Date('2026-04-01T12:00:00Z');
const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

describe('reconcile', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
    type Row = [id: string, stage: string | null, stageSince: Date | null, checked: Date | null, lastActive: Date | null, lastPayment: Date | null, updated: Date];
    const users: Row[] = [
      ['new-unchecked', null, null, null, ago(10), null, ago(10)],
      ['identified-only', null, null, null, null, null, ago(10)], // no event: no workflow to wake
      ['just-arrived', null, null, null, ago(0), null, ago(0)], // its workflow is still starting
      ['silent-came-back', 'silent', ago(60), ago(60), ago(5), null, ago(5)],
      ['silent-still', 'silent', ago(60), ago(60), ago(9000), null, ago(60)],
      ['silent-checked-since', 'silent', ago(60), ago(2), ago(5), null, ago(5)], // the policy kept it silent
      ['churned-came-back', 'churned', ago(600), ago(600), ago(1), null, ago(1)],
      ['active-busy', 'active', ago(600), ago(600), ago(1), null, ago(1)], // activity does not change an active stage now
      ['paid-while-active', 'active', ago(600), ago(600), ago(1), ago(1), ago(1)],
      ['paying-paid-again', 'paying', ago(600), ago(600), ago(1), ago(1), ago(1)],
    ];
    for (const [id, stage, stageSince, checked, lastActive, lastPayment, updated] of users) {
      await database.query(
        `insert into users (id, first_seen_at, stage, stage_since, checked_at, last_active_at, last_payment_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [id, ago(100_000), stage, stageSince, checked, lastActive, lastPayment, updated],
      );
      if (id !== 'identified-only') await database.query(`insert into events (id, user_id, name, occurred_at) values ($1, $1, 'login', $2)`, [id, ago(100_000)]);
    }
  });
  afterAll(() => database?.close());

  it('wakes exactly the users whose wake may have been lost', async () => {
    const waker = new RecordingWaker();
    expect(await reconcile(database, waker, { now })).toBe(4);
    expect(waker.calls).toEqual([
      ['churned-came-back', 'new-unchecked', 'paid-while-active', 'silent-came-back'].map((userId) => ({ userId, kind: 'signal', reason: 'reconcile' })),
    ]);
  });

  it('leaves users alone once their workflow has checked since their news', async () => {
    await database.query(`update users set checked_at = $1, updated_at = $1`, [now]);
    const waker = new RecordingWaker();
    expect(await reconcile(database, waker, { now })).toBe(0);
    expect(waker.calls).toEqual([]);
  });
});
