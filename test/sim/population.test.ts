import { describe, expect, it } from 'vitest';
import { DEFAULT_MIX, scriptPopulation } from '../../sim/population.ts';
import { SIMULATION_MIX } from '../../sim/simulate.ts';

describe('scripted population', () => {
  it('is the same for the same seed and mix, and different for another seed', () => {
    const a = scriptPopulation({ users: 300, days: 60, seed: 5, mix: SIMULATION_MIX });
    expect(scriptPopulation({ users: 300, days: 60, seed: 5, mix: SIMULATION_MIX })).toEqual(a);
    expect(scriptPopulation({ users: 300, days: 60, seed: 6, mix: SIMULATION_MIX })).not.toEqual(a);
  });

  it('the default mix has no seasonal users, so the engine tests keep their populations', () => {
    expect(DEFAULT_MIX.map(([b]) => b)).not.toContain('seasonal');
    const users = scriptPopulation({ users: 2_000, days: 10, seed: 1 }).users;
    expect(users.some((u) => u.behaviour === 'seasonal')).toBe(false);
    expect(scriptPopulation({ users: 2_000, days: 10, seed: 1, mix: DEFAULT_MIX })).toEqual(scriptPopulation({ users: 2_000, days: 10, seed: 1 }));
  });

  it('seasonal users come in seasons with silent gaps of weeks between them', () => {
    const script = scriptPopulation({ users: 2_000, days: 120, seed: 9, mix: SIMULATION_MIX });
    const seasonal = script.users.filter((u) => u.behaviour === 'seasonal');
    expect(seasonal.length / script.users.length).toBeGreaterThan(0.12);
    expect(seasonal.length / script.users.length).toBeLessThan(0.18);
    for (const user of seasonal.slice(0, 100)) {
      const days = script.days.flatMap((events, day) => (events.some((e) => e.userId === user.id) ? [day] : []));
      const gaps = days.slice(1).map((d, i) => d - days[i]!);
      // Within a season visits are a few days apart at most; between seasons the gap is two weeks or more.
      expect(gaps.filter((g) => g >= 14).length).toBeGreaterThanOrEqual(1);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(42);
    }
  });
});
