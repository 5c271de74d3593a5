import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { PolicySchema, type Policy } from './policy.ts';

export interface PolicyIssue {
  /** Where in the policy, e.g. `stages[2].when.since_last_activity.lt`; empty for the whole file. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

export class PolicyError extends Error {
  constructor(
    readonly fileName: string,
    readonly issues: PolicyIssue[],
  ) {
    super(
      issues
        .map((i) => `${fileName}${i.line ? `:${i.line}:${i.column}` : ''}: ${i.path ? `${i.path}: ` : ''}${i.message}`)
        .join('\n'),
    );
    this.name = 'PolicyError';
  }
}

/**
 * Reads a policy written in YAML or JSON (JSON is YAML, so one parser does both) and validates it.
 * Every problem is reported with its line and column, not only the first.
 */
export function parsePolicy(source: string, fileName = 'policy.yaml'): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length) {
    throw new PolicyError(
      fileName,
      doc.errors.map((e) => ({ path: '', ...at(e.pos[0]), message: `not valid YAML or JSON: ${firstLine(e.message)}` })),
    );
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new PolicyError(fileName, [{ path: '', line: 1, column: 1, message: 'the policy is empty: it needs at least "name" and "stages"' }]);
  }
  const result = PolicySchema.safeParse(doc.toJS());
  if (result.success) return result.data;
  // An unknown key already explains why its mapping names no known key; say it once.
  const unknownAt = new Set(result.error.issues.filter((i) => i.code === 'unrecognized_keys').map((i) => formatPath(i.path)));
  const issues = result.error.issues.filter((i) => i.code === 'unrecognized_keys' || !unknownAt.has(formatPath(i.path)));
  throw new PolicyError(
    fileName,
    issues.map((issue) => {
      const path = issueKeyPath(issue);
      const { node, key } = locate(doc.contents as Node, path);
      const offset = (issue.code === 'unrecognized_keys' ? key : node)?.range?.[0] ?? node?.range?.[0];
      return { path: formatPath(path), ...(offset === undefined ? {} : at(offset)), message: issue.message };
    }),
  );
}

/** Unknown keys are reported on the key itself, not on the mapping that holds it. */
function issueKeyPath(issue: z.core.$ZodIssue): PropertyKey[] {
  if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) return [...issue.path, issue.keys[0]!];
  return issue.path;
}

/** The deepest node along `path` that exists (a missing key is reported where it should have been). */
function locate(root: Node, path: PropertyKey[]): { node?: Node; key?: Node } {
  let node: unknown = root;
  let key: Node | undefined;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === step);
      if (!pair) break;
      key = isNode(pair.key) ? pair.key : undefined;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof step === 'number' && node.items[step] !== undefined) {
      key = undefined;
      node = node.items[step];
    } else break;
  }
  return { node: isNode(node) ? node : undefined, key };
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`))
    .join('');
}

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}
