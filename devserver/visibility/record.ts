import { z } from 'zod';

export const searchAttributeTypeSchema = z.enum(['Keyword', 'Text', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList']);
export type SearchAttributeType = z.infer<typeof searchAttributeTypeSchema>;

export const executionStatusSchema = z.enum([
  'Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut',
]);
export type ExecutionStatus = z.infer<typeof executionStatusSchema>;

/** What the server keeps about one workflow run for List/Count. */
export interface VisibilityRecord {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  status: ExecutionStatus;
  startTime: Date;
  executionTime: Date;
  closeTime?: Date;
  /** Decoded values: string, number, boolean, Date, string[]; a missing key means no value. */
  searchAttributes: Record<string, unknown>;
}
