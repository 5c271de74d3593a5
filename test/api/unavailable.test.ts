import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/client.ts';
import { openTestDatabase } from '../support/database.ts';
import { auth, testApi } from './support.ts';

const track = { userId: 'u1', event: 'Viewed', messageId: 'm1', timestamp: '2026-03-01T00:00:00Z' };

/** A loopback port that nothing listens on: bound, read, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('database unreachable', () => {
  it('answers 503 with Retry-After when PostgreSQL refuses connections', async () => {
    const database = await openDatabase({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/lifeline`, max: 1 });
    const { app, waker } = testApi(database);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const response = await fetch(`${base}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth() },
        body: JSON.stringify(track),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toMatchObject({ success: false, error: 'database_unavailable' });
      expect(waker.calls).toEqual([]);
      // Validation does not need the database: bad input still gets its 400.
      const bad = await app.inject({
        method: 'POST',
        url: '/v1/track',
        headers: { 'content-type': 'application/json', authorization: auth() },
        payload: JSON.stringify({ ...track, event: '' }),
      });
      expect(bad.statusCode).toBe(400);
    } finally {
      await app.close();
      await database.close();
    }
  });

  it('answers 503 once the test database has been closed, and 200 while it was open', async () => {
    const database = await openTestDatabase();
    const { app } = testApi(database);
    const send = () =>
      app.inject({
        method: 'POST',
        url: '/v1/track',
        headers: { 'content-type': 'application/json', authorization: auth() },
        payload: JSON.stringify(track),
      });
    try {
      expect((await send()).statusCode).toBe(200);
      await database.close();
      const response = await send();
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
    } finally {
      await app.close();
    }
  });
});
