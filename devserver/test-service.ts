import type { Clock } from './clock.ts';
import type { Handler } from './grpc-handlers.ts';
import { durationToMs, timestamp, timestampToMs } from './proto.ts';

/** temporal.api.testservice.v1.TestService: the time-skipping controls the TS test environment calls. */
export function testServiceHandlers(clock: Clock): Record<string, Handler> {
  return {
    LockTimeSkipping: () => {
      clock.lockExternal();
      return {};
    },
    UnlockTimeSkipping: () => {
      clock.unlockExternal();
      return {};
    },
    Sleep: async (req) => {
      await clock.sleepUntil(clock.now() + (durationToMs(req.duration) ?? 0));
      return {};
    },
    SleepUntil: async (req) => {
      await clock.sleepUntil(timestampToMs(req.timestamp) ?? clock.now());
      return {};
    },
    UnlockTimeSkippingWithSleep: async (req) => {
      const until = clock.now() + (durationToMs(req.duration) ?? 0);
      clock.unlockExternal();
      try {
        await clock.sleepUntil(until);
      } finally {
        clock.lockExternal();
      }
      return {};
    },
    GetCurrentTime: () => ({ time: timestamp(clock.now()) }),
  };
}
