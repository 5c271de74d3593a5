import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../db/client.ts';
import { startSimulationEngine, type SimulationEngine } from '../../sim/engine.ts';
import { startHookReceiver, type HookReceiver } from '../../sim/hook-receiver.ts';
import { openTestDatabase } from '../support/database.ts';

export interface EngineHarness {
  database: Database;
  engine: SimulationEngine;
  hooks: HookReceiver;
  /** Virtual time to `start + offset`. */
  advanceTo(offset: number): Promise<void>;
}

/**
 * For a test file: a fresh database, a webhook receiver for churn warnings, and the whole engine on
 * the time-skipping devserver with its clock at `start`, torn down after the file.
 */
export function useEngine(options: { start: number; policy: (hookUrl: string) => string; suggestContinueAsNewAfter?: number }): EngineHarness {
  const harness = { advanceTo: (offset: number) => harness.engine.advanceTo(options.start + offset) } as EngineHarness;
  beforeAll(async () => {
    harness.database = await openTestDatabase();
    harness.hooks = await startHookReceiver();
    harness.engine = await startSimulationEngine(harness.database, {
      startTime: new Date(options.start),
      policySource: options.policy(harness.hooks.url),
      suggestContinueAsNewAfter: options.suggestContinueAsNewAfter,
    });
  });
  afterAll(async () => {
    await harness.engine?.stop();
    await harness.hooks?.close();
    await harness.database?.close();
  });
  return harness;
}
