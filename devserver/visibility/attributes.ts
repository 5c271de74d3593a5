import type { AttributeReference } from './ast.ts';
import { VisibilityQueryError } from './errors.ts';
import { searchAttributeTypeSchema, type SearchAttributeType, type VisibilityRecord } from './record.ts';

export interface ResolvedAttribute {
  name: string;
  type: SearchAttributeType;
  /** The raw value(s) held for this attribute; undefined when the run has none. */
  read(record: VisibilityRecord): unknown;
}

/** System attributes live in the record's own fields, whatever the registry says. */
const systemAttributes = new Map<string, Omit<ResolvedAttribute, 'name'>>([
  ['WorkflowId', { type: 'Keyword', read: (r) => r.workflowId }],
  ['RunId', { type: 'Keyword', read: (r) => r.runId }],
  ['WorkflowType', { type: 'Keyword', read: (r) => r.workflowType }],
  ['TaskQueue', { type: 'Keyword', read: (r) => r.taskQueue }],
  ['ExecutionStatus', { type: 'Keyword', read: (r) => r.status }],
  ['StartTime', { type: 'Datetime', read: (r) => r.startTime }],
  ['ExecutionTime', { type: 'Datetime', read: (r) => r.executionTime }],
  ['CloseTime', { type: 'Datetime', read: (r) => r.closeTime }],
]);

const namespaceDivision = 'TemporalNamespaceDivision';

/** Set on runs the server keeps apart (schedulers, batchers); the list hides them unless asked. */
export const namespaceDivisionAttribute: ResolvedAttribute = {
  name: namespaceDivision,
  type: 'Keyword',
  read: (r) => r.searchAttributes[namespaceDivision],
};

/**
 * The system attributes plus the predefined ones an SDK or this server can set in memory
 * (patching, build ids, schedules, worker deployments). Server-computed counters such as
 * HistoryLength are left out: a VisibilityRecord does not carry them.
 */
export const defaultSearchAttributes: ReadonlyMap<string, SearchAttributeType> = new Map<string, SearchAttributeType>([
  ...[...systemAttributes].map(([name, { type }]) => [name, type] as const),
  ['TemporalChangeVersion', 'KeywordList'],
  ['BinaryChecksums', 'KeywordList'],
  ['BuildIds', 'KeywordList'],
  ['TemporalScheduledStartTime', 'Datetime'],
  ['TemporalScheduledById', 'Keyword'],
  ['TemporalSchedulePaused', 'Bool'],
  [namespaceDivision, 'Keyword'],
  ['TemporalWorkerDeployment', 'Keyword'],
  ['TemporalWorkerDeploymentVersion', 'Keyword'],
  ['TemporalWorkflowVersioningBehavior', 'Keyword'],
]);

const reservedPrefix = 'Temporal';

/**
 * Resolves a name as the server does (names are case-sensitive): system attribute, then the
 * registry, then the registry under the "Temporal" prefix (the alias servers ≥ 1.30 accept, e.g.
 * ChangeVersion for TemporalChangeVersion). A registry entry of the alias name wins over the prefix.
 */
export function resolveAttribute(
  reference: AttributeReference,
  registry: ReadonlyMap<string, SearchAttributeType>,
): ResolvedAttribute {
  const { name, position } = reference;
  const system = systemAttributes.get(name);
  if (system) return { name, ...system };
  for (const candidate of [name, reservedPrefix + name]) {
    const type = registry.get(candidate);
    if (type === undefined) continue;
    if (!searchAttributeTypeSchema.safeParse(type).success) {
      // A misconfigured registry, not a bad query: say so rather than fail deep in evaluation.
      throw new Error(
        `Search attribute "${candidate}" is registered with unknown type "${String(type)}"; expected one of ${searchAttributeTypeSchema.options.join(', ')}`,
      );
    }
    return { name: candidate, type, read: (r) => r.searchAttributes[candidate] };
  }
  const known = [...systemAttributes.keys(), ...registry.keys()];
  const sameLetters = known.find((k) => k.toLowerCase() === name.toLowerCase());
  const hint = sameLetters ? ` (names are case-sensitive: did you mean "${sameLetters}"?)` : '';
  throw new VisibilityQueryError(`Unknown search attribute "${name}"${hint}`, position);
}
