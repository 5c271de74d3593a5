// Temporal's List/Count visibility query language (List Filter) over in-memory records:
// tokenizer → recursive-descent parser → AST → predicate and comparator closures.
import { defaultSearchAttributes, namespaceDivisionAttribute } from './attributes.ts';
import { compilePredicate, type Predicate } from './evaluate.ts';
import { compileComparator, type Comparator } from './order.ts';
import { parseQuery } from './parser.ts';
import type { SearchAttributeType, VisibilityRecord } from './record.ts';
import { recordValues } from './values.ts';

export { VisibilityQueryError } from './errors.ts';
export { defaultSearchAttributes };
export {
  executionStatusSchema,
  searchAttributeTypeSchema,
  type ExecutionStatus,
  type SearchAttributeType,
  type VisibilityRecord,
} from './record.ts';

export interface CompiledVisibilityQuery {
  matches(record: VisibilityRecord): boolean;
  /** Negative when `a` lists before `b`: the query's ORDER BY, then the server's default order. */
  compare(a: VisibilityRecord, b: VisibilityRecord): number;
}

/**
 * Compiles a List Filter such as `WorkflowType = 'rescue' AND StartTime > '2026-01-01T00:00:00Z'
 * ORDER BY StartTime DESC`. `registry` names the namespace's search attributes and their types
 * (pass defaultSearchAttributes plus the custom ones); the system attributes (WorkflowId, RunId,
 * WorkflowType, TaskQueue, ExecutionStatus, StartTime, ExecutionTime, CloseTime) are always known.
 * Throws VisibilityQueryError, naming the offending token and its position, for any query the
 * server would reject. An empty query matches every run.
 */
export function compileVisibilityQuery(
  query: string,
  registry: ReadonlyMap<string, SearchAttributeType>,
): CompiledVisibilityQuery {
  const parsed = parseQuery(query);
  const referenced = new Set<string>();
  const filter: Predicate = parsed.where ? compilePredicate(parsed.where, registry, referenced) : () => true;
  const compare: Comparator = compileComparator(parsed.orderBy, registry);
  // Like the server, hide runs of other namespace divisions (e.g. schedulers) unless the filter
  // mentions the division itself.
  if (referenced.has(namespaceDivisionAttribute.name)) return { matches: filter, compare };
  return { matches: (r) => recordValues(namespaceDivisionAttribute, r).length === 0 && filter(r), compare };
}
