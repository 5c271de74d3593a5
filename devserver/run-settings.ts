import type { Engine } from './engine.ts';
import { durationToMs, type Msg } from './proto.ts';

/** What a new run takes from a start request or a start-child command: both name these fields alike. */
export function runSettings(engine: Engine, msg: Msg) {
  return {
    input: msg.input,
    header: msg.header,
    memo: msg.memo,
    searchAttributes: msg.searchAttributes?.indexedFields ? engine.searchAttributes.stamp(msg.searchAttributes.indexedFields) : undefined,
    executionTimeoutMs: durationToMs(msg.workflowExecutionTimeout),
    runTimeoutMs: durationToMs(msg.workflowRunTimeout),
    taskTimeoutMs: durationToMs(msg.workflowTaskTimeout),
    retryPolicy: msg.retryPolicy,
    cronSchedule: msg.cronSchedule || undefined,
  };
}
