import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parsePolicy, type Policy } from './policy.ts';

const file = fileURLToPath(new URL('./default-policy.yaml', import.meta.url));

/** The YAML text of the default policy, for operators to copy. */
export function defaultPolicySource(): string {
  return readFileSync(file, 'utf8');
}

export function defaultPolicy(): Policy {
  return parsePolicy(defaultPolicySource(), 'default-policy.yaml');
}
