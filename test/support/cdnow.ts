import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from '../../db/client.ts';

export const cdnowLogPath = fileURLToPath(new URL('../../data/cdnow/CDNOW_sample.txt', import.meta.url));

export interface Purchase {
  id: string;
  userId: string;
  occurredAt: Date;
  revenue: string;
}

/** One `purchase` event per line of the log; each line is a distinct purchase, so its number is the event id. */
export async function readCdnowPurchases(path = cdnowLogPath): Promise<Purchase[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line, index) => {
      const [customer, , date, , amount] = line.split(/\s+/);
      if (!customer || !date || !amount || !/^\d{8}$/.test(date)) throw new Error(`${path}:${index + 1}: malformed line`);
      const occurredAt = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T00:00:00Z`);
      return { id: `cdnow-${index + 1}`, userId: `cdnow-${customer}`, occurredAt, revenue: amount };
    });
}

/** Loads the purchases as events, and their users with first/last activity and payment facts. */
export async function loadCdnow(database: Database, purchases: Purchase[]): Promise<void> {
  await database.copy(
    'events',
    ['id', 'user_id', 'name', 'occurred_at', 'revenue'],
    purchases.map((p) => [p.id, p.userId, 'purchase', p.occurredAt, p.revenue]),
  );
  await database.query(
    `insert into users (id, first_seen_at, last_active_at, last_payment_at)
     select user_id, min(occurred_at), max(occurred_at), max(occurred_at) from events
     where id like 'cdnow-%' group by user_id
     on conflict (id) do nothing`,
  );
}
