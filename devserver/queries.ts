import { invalidArgument } from './errors.ts';
import type { Msg } from './proto.ts';
import type { PendingQuery } from './run.ts';

/** Answers a pending QueryWorkflow call from a worker's query result (attached or legacy). */
export function answerQuery(pending: PendingQuery, result: Msg): void {
  const failed =
    result.resultType === 'QUERY_RESULT_TYPE_FAILED' || result.completedType === 'QUERY_RESULT_TYPE_FAILED';
  if (failed) {
    // The real server answers a failed query with INVALID_ARGUMENT (QueryFailed).
    pending.reject(invalidArgument(result.errorMessage || result.failure?.message || 'query failed'));
    return;
  }
  pending.resolve({ queryResult: result.answer ?? result.queryResult });
}
