import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export const BEHAVIOURS = ['regular', 'fading', 'returning', 'seasonal', 'payer', 'one-shot'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/** Shares of each behaviour, summing to 1; the order is the order users are drawn in. */
export type BehaviourMix = ReadonlyArray<readonly [Behaviour, number]>;

/** The engine tests' mix (no seasonal users): kept as it was, so their seeded populations stay the same. */
export const DEFAULT_MIX: BehaviourMix = [
  ['regular', 0.35],
  ['fading', 0.25],
  ['returning', 0.15],
  ['payer', 0.15],
  ['one-shot', 0.1],
];

export interface ScriptedEvent {
  userId: string;
  event: string;
  revenue?: number;
}

export interface ScriptedPopulation {
  users: Array<{ id: string; behaviour: Behaviour }>;
  /** Events of each simulated day, day 0 first. */
  days: ScriptedEvent[][];
}

/**
 * A seeded population whose users follow typical product patterns: regulars, users who fade away,
 * users who lapse and come back, seasonal users active a week or two every month or so, payers on a
 * monthly cycle, and one-visit signups. Same seed (and mix), same script.
 */
export function scriptPopulation(options: {
  users: number;
  days: number;
  seed: number;
  idPrefix?: string;
  mix?: BehaviourMix;
}): ScriptedPopulation {
  const rng = xoroshiro128plus(options.seed);
  const chance = (p: number) => uniformFloat64(rng) < p;
  const between = (low: number, high: number) => uniformInt(rng, low, Math.max(low, high));
  const days: ScriptedEvent[][] = Array.from({ length: options.days }, () => []);
  const emit = (day: number, event: ScriptedEvent) => {
    if (day >= 0 && day < options.days) days[day]!.push(event);
  };
  const mix = options.mix ?? DEFAULT_MIX;
  const users = Array.from({ length: options.users }, (_, index) => {
    let pick = uniformFloat64(rng);
    const behaviour = mix.find(([, share]) => (pick -= share) < 0)?.[0] ?? 'regular';
    return { id: `${options.idPrefix ?? 'user'}-${String(index).padStart(6, '0')}`, behaviour };
  });

  for (const { id, behaviour } of users) {
    const visit = (day: number, p: number) => {
      if (chance(p)) emit(day, { userId: id, event: chance(0.5) ? 'login' : 'page_viewed' });
    };
    switch (behaviour) {
      case 'regular': {
        const start = between(0, options.days / 2);
        emit(start, { userId: id, event: 'signed_up' });
        for (let day = start + 1; day < options.days; day++) visit(day, 0.6);
        break;
      }
      case 'fading': {
        const start = between(0, 20);
        const fadeAt = start + between(5, 30);
        emit(start, { userId: id, event: 'signed_up' });
        for (let day = start + 1; day < fadeAt; day++) visit(day, 0.7);
        break;
      }
      case 'returning': {
        const start = between(0, 10);
        const backAt = start + between(35, 45);
        emit(start, { userId: id, event: 'signed_up' });
        for (let day = start + 1; day < start + 10; day++) visit(day, 0.6);
        for (let day = backAt; day < options.days; day++) visit(day, 0.6);
        break;
      }
      case 'seasonal': {
        // Seasons of 7–14 days every 28–42 days: silent (and rescued) between them, back with the next.
        const period = between(28, 42);
        const length = between(7, 14);
        const first = between(0, period - 1);
        emit(first, { userId: id, event: 'signed_up' });
        for (let season = first; season < options.days; season += period) {
          for (let day = season + (season === first ? 1 : 0); day < season + length; day++) visit(day, 0.7);
        }
        break;
      }
      case 'payer': {
        const start = between(0, 20);
        emit(start, { userId: id, event: 'signed_up' });
        for (let day = start + 1; day < options.days; day++) visit(day, 0.5);
        const churnsAfter = chance(0.3) ? 1 : Infinity;
        for (let cycle = 0, day = start + between(0, 3); day < options.days && cycle <= churnsAfter; cycle++, day += 30) {
          emit(day, { userId: id, event: 'purchase', revenue: between(999, 9999) / 100 });
        }
        break;
      }
      case 'one-shot':
        emit(between(0, options.days - 1), { userId: id, event: 'signed_up' });
        break;
    }
  }
  return { users, days };
}
