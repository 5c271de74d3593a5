import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/**
 * How a provider call can fail at random:
 * - `timeout`: the provider goes silent past the client's timeout; it may or may not have kept the message;
 * - `error`: an error answer and nothing kept (SMTP 4xx, Twilio 5xx or 429);
 * - `dropped`: the provider keeps the message, then the connection closes before the answer.
 */
export const FAULT_KINDS = ['timeout', 'error', 'dropped'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface RandomFaults {
  /** The share of provider calls that fail, 0–1. */
  rate: number;
  /** Which kinds, drawn with equal chance; all of them by default. */
  kinds?: readonly FaultKind[];
  /** The same seed gives the same faults for the same sequence of calls. */
  seed: number;
}

export interface FaultDice {
  /** A fault for the next call, or none. */
  roll(): FaultKind | undefined;
  /** A fair coin from the same seeded stream: did a silent provider keep the message? */
  coin(): boolean;
  /** One of `choices`, from the same stream. */
  pick<T>(choices: readonly T[]): T;
  /** How many faults of each kind were injected. */
  readonly injected: Record<FaultKind, number>;
}

export function faultDice(options: RandomFaults | undefined): FaultDice {
  const injected: Record<FaultKind, number> = { timeout: 0, error: 0, dropped: 0 };
  if (!options) return { roll: () => undefined, coin: () => false, pick: (choices) => choices[0]!, injected };
  if (!(options.rate >= 0 && options.rate <= 1)) throw new Error(`faults.rate must be between 0 and 1, got ${options.rate}`);
  const kinds = options.kinds ?? FAULT_KINDS;
  if (!kinds.length) throw new Error('faults.kinds must name at least one kind');
  const rng = xoroshiro128plus(options.seed);
  const pick = <T>(choices: readonly T[]) => choices[uniformInt(rng, 0, choices.length - 1)]!;
  return {
    roll: () => {
      if (uniformFloat64(rng) >= options.rate) return undefined;
      const kind = pick(kinds);
      injected[kind]++;
      return kind;
    },
    coin: () => uniformFloat64(rng) < 0.5,
    pick,
    injected,
  };
}
