import type { Database } from '../db/client.ts';
import { activePolicy, storePolicy } from '../db/policies.ts';
import { defaultPolicy, defaultPolicySource, eventKinds, type EventKinds, type Policy } from '../rules/index.ts';

/** A fresh installation starts on the default policy, so the engine classifies from the first event. */
export async function ensureActivePolicy(database: Database): Promise<{ version: number; body: Policy }> {
  const current = await activePolicy<Policy>(database);
  if (current) return current;
  const version = await storePolicy(database, defaultPolicy(), defaultPolicySource(), { activate: true });
  return { version, body: defaultPolicy() };
}

export interface PolicyWatch {
  readonly version: number;
  readonly policy: Policy;
  eventKinds(): EventKinds;
  /** Re-reads the active policy now (after this process activated one). */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Keeps the active policy in memory for request handlers, re-reading it every `intervalMs`, so a
 * policy applied from the CLI takes effect in running API processes without a restart.
 */
export async function watchActivePolicy(database: Database, intervalMs = 2_000): Promise<PolicyWatch> {
  let current = await ensureActivePolicy(database);
  let kinds = eventKinds(current.body);
  const refresh = async () => {
    const next = await activePolicy<Policy>(database);
    if (next && next.version !== current.version) {
      current = next;
      kinds = eventKinds(next.body);
    }
  };
  // The database being away is reported by the requests themselves.
  const timer = setInterval(() => refresh().catch(() => undefined), intervalMs);
  timer.unref();
  return {
    get version() {
      return current.version;
    },
    get policy() {
      return current.body;
    },
    eventKinds: () => kinds,
    refresh,
    stop: () => clearInterval(timer),
  };
}
