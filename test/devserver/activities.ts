import { ApplicationFailure, Context } from '@temporalio/activity';

/** Activities for the conformance suite; `attempts` lets a test see how often each key ran. */
export function createConformanceActivities(attempts = new Map<string, number>()) {
  const count = (key: string) => {
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    return n;
  };
  return {
    async echo(value: string): Promise<string> {
      return `echo:${value}`;
    },
    async flaky(key: string, failures: number): Promise<number> {
      const n = count(key);
      if (n <= failures) throw new Error(`flaky failure ${n}`);
      return n;
    },
    async failWithType(key: string, type: string): Promise<never> {
      count(key);
      throw ApplicationFailure.create({ message: 'typed failure', type });
    },
    async delayedRetry(key: string): Promise<number> {
      const n = count(key);
      if (n === 1) throw ApplicationFailure.create({ message: 'retry later', nextRetryDelay: '1 hour' });
      return n;
    },
    /** Never finishes on its own: ends when the server times it out or cancels it. */
    async hang(): Promise<void> {
      await Context.current().sleep(60_000);
    },
    async resumeFromHeartbeat(key: string): Promise<string> {
      const n = count(key);
      const previous = Context.current().info.heartbeatDetails as string | undefined;
      if (n === 1) {
        Context.current().heartbeat('progress-1');
        // Let the heartbeat reach the server before failing this attempt.
        await Context.current().sleep(1200);
        throw new Error('fail after heartbeat');
      }
      return `attempt ${n} resumed from ${previous}`;
    },
    async heartbeatUntilCancelled(): Promise<string> {
      const ctx = Context.current();
      for (;;) {
        ctx.heartbeat();
        await ctx.sleep(100);
      }
    },
    async heartbeatTimes(count: number): Promise<number> {
      const ctx = Context.current();
      for (let i = 0; i < count; i++) {
        ctx.heartbeat(i);
        // The SDK throttles heartbeats to 80% of the heartbeat timeout; space them beyond that.
        await ctx.sleep(900);
      }
      return count;
    },
  };
}

export type ConformanceActivities = ReturnType<typeof createConformanceActivities>;
