import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client.ts';
import { classify } from '../../rules/classify.ts';
import { compile } from '../../rules/compile.ts';
import { defaultPolicy } from '../../rules/default-policy.ts';
import { factsFor } from '../../rules/facts.ts';
import { openTestDatabase } from '../support/database.ts';

const D = 86_400_000;

/** The CDNOW purchase log (customer, date, CDs, dollars), replayed as `purchase` events. */
function cdnowPurchases() {
  const text = readFileSync(new URL('../../data/cdnow/CDNOW_sample.txt', import.meta.url), 'utf8');
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim())
    .map((line, i) => {
      const [, customer, date, , dollars] = line.trim().split(/\s+/);
      const at = Date.parse(`${date!.slice(0, 4)}-${date!.slice(4, 6)}-${date!.slice(6, 8)}T00:00:00Z`);
      return { id: `cdnow-${i}`, userId: `cdnow-${customer}`, at, revenue: dollars! };
    });
}

describe(`CDNOW purchase log under the default policy (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'})`, () => {
  let database: Database;
  const purchases = cdnowPurchases();
  beforeAll(async () => {
    database = await openTestDatabase();
    await database.copy(
      'events',
      ['id', 'user_id', 'name', 'occurred_at', 'revenue'],
      purchases.map((p) => [p.id, p.userId, 'purchase', new Date(p.at), p.revenue]),
    );
  });
  afterAll(() => database?.close());

  // End of the calibration period and end of the log, end of day.
  for (const day of ['1997-09-30', '1998-06-30']) {
    it(`classifies everyone identically in TypeScript and SQL as of ${day}`, async () => {
      const now = Date.parse(`${day}T00:00:00Z`) + D - 1;
      const policy = defaultPolicy();
      const compiled = compile(policy);
      const sql = new Map(
        (await database.query<{ user_id: string; stage: string }>(compiled.text, compiled.params(now))).map((r) => [r.user_id, r.stage]),
      );
      const customers = [...new Set(purchases.map((p) => p.userId))];
      expect(customers).toHaveLength(2357);
      expect(sql.size).toBe(2357); // every customer bought first in Q1 1997

      const query = factsFor(policy);
      const counts: Record<string, number> = {};
      for (const userId of customers) {
        const [row] = await database.query(query.text, query.params(userId, now));
        const { stage } = classify(query.toFacts(row, userId), policy, now);
        expect(stage, userId).toBe(sql.get(userId));
        counts[stage] = (counts[stage] ?? 0) + 1;
      }

      // Independently of the engine: with only purchases, a customer is paying exactly when the last
      // purchase is less than 35 days old, and churned otherwise (no activity in 30 days either).
      const last = new Map<string, number>();
      for (const p of purchases) if (p.at <= now) last.set(p.userId, Math.max(last.get(p.userId) ?? 0, p.at));
      const paying = [...last.values()].filter((at) => now - at < 35 * D).length;
      expect(counts).toEqual({ paying, churned: 2357 - paying });
    });
  }
});
