import type { ScriptedPopulation } from './population.ts';
import { postBatch, type SimulationEngine } from './engine.ts';

const DAY = 86_400_000;
const BATCH = 500;

/**
 * Plays a scripted population through the engine's ingest API day by day in virtual time: each
 * day's events are sent at noon and share that instant, so the timers they lead to fire together.
 * Ends at midnight after the last day.
 */
export async function replayPopulation(
  engine: SimulationEngine,
  script: ScriptedPopulation,
  start: number,
  onDay?: (day: number) => void | Promise<void>,
): Promise<void> {
  for (const [day, events] of script.days.entries()) {
    const at = start + day * DAY + DAY / 2;
    await engine.advanceTo(at);
    for (let i = 0; i < events.length; i += BATCH) {
      await postBatch(
        engine.url,
        events.slice(i, i + BATCH).map((e, j) => ({
          type: 'track',
          userId: e.userId,
          event: e.event,
          messageId: `d${day}-${i + j}`,
          timestamp: new Date(at).toISOString(),
          properties: e.revenue === undefined ? {} : { revenue: e.revenue },
        })),
      );
    }
    await onDay?.(day);
  }
  await engine.advanceTo(start + script.days.length * DAY);
}
