// Zod-free on purpose: the rescue workflow imports this, and every workflow context would otherwise
// build the policy's zod schemas again when it loads.
import type { Arm, Channel, Template } from './campaigns.ts';

/** The arm's channels in the order its sends first use them: the order fallbacks are tried in. */
export function armChannels(arm: Arm): Channel[] {
  const out: Channel[] = [];
  for (const step of arm.steps) if (step.send && !out.includes(step.send.channel)) out.push(step.send.channel);
  return out;
}

/** The step's own channel first, then the arm's other channels in order, those the template has a version for. */
export function fallbackOrder(first: Channel, channels: readonly Channel[], template: Template): Channel[] {
  const after = channels.indexOf(first);
  const rest = after < 0 ? channels : [...channels.slice(after + 1), ...channels.slice(0, after)];
  return [first, ...rest].filter((c) => template[c] !== undefined);
}
