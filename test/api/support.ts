import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDeps } from '../../api/app.ts';
import type { EventKinds, IngestLog, UserWake, Waker } from '../../api/ingest/deps.ts';
import type { Database } from '../../db/client.ts';
import { isTriggerEvent } from '../../rules/index.ts';

export const WRITE_KEY = 'wk_test_123';
export const auth = (key = WRITE_KEY) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** A policy-like view: everything but email bounces is activity; completed orders are payments. */
export const kinds: EventKinds = {
  isActivity: (name) => name !== 'Email Bounced',
  isPayment: (name) => name === 'Order Completed',
};

export class RecordingWaker implements Waker {
  calls: UserWake[][] = [];
  failNext = false;
  async wake(wakes: UserWake[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('temporal unreachable');
    }
    this.calls.push(wakes);
  }
}

export class RecordingLog implements IngestLog {
  entries: { level: string; details: object; message: string }[] = [];
  warn(details: object, message: string) {
    this.entries.push({ level: 'warn', details, message });
  }
  error(details: object, message: string) {
    this.entries.push({ level: 'error', details, message });
  }
}

export function testApi(database: Database, overrides: Partial<ApiDeps> = {}) {
  const waker = new RecordingWaker();
  const log = new RecordingLog();
  const app: FastifyInstance = buildApi({
    database,
    writeKeys: [WRITE_KEY, 'wk_other'],
    eventKinds: () => kinds,
    isTriggerEvent: (name, user) => isTriggerEvent(kinds, name, user.stage),
    waker,
    log,
    ...overrides,
  });
  return { app, waker, log };
}

export async function countRows(database: Database): Promise<{ events: number; users: number }> {
  const [row] = await database.query<{ events: number; users: number }>(
    'select (select count(*)::int from events) as events, (select count(*)::int from users) as users',
  );
  return row!;
}
