import type { Policy } from './policy.ts';

export type WarningTarget = { channel: 'webhook'; url: string } | { channel: 'email'; to: string };

export interface Fired {
  /** Churn warnings to send, one per target, deduplicated across matching triggers. */
  warnings: WarningTarget[];
  /** Rescue campaigns to start, deduplicated, in the policy's order. */
  rescues: string[];
}

/**
 * What the policy's triggers ask for when a user moves from `from` to `to`. A user's first
 * classification (`from` null) is not a transition, so no trigger fires, not even from "*".
 */
export function triggersFor(policy: Policy, from: string | null, to: string): Fired {
  const fired: Fired = { warnings: [], rescues: [] };
  if (from === null || from === to) return fired;
  const seen = new Set<string>();
  for (const t of policy.triggers) {
    if ((t.from !== '*' && t.from !== from) || (t.to !== '*' && t.to !== to)) continue;
    const targets: WarningTarget[] = [];
    if (t.warn?.webhook) targets.push({ channel: 'webhook', url: t.warn.webhook });
    if (t.warn?.email) targets.push({ channel: 'email', to: t.warn.email });
    for (const target of targets) {
      const key = JSON.stringify(target);
      if (!seen.has(key)) fired.warnings.push(target);
      seen.add(key);
    }
    if (t.rescue && !fired.rescues.includes(t.rescue)) fired.rescues.push(t.rescue);
  }
  return fired;
}
