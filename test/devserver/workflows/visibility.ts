import { defineSearchAttributeKey } from '@temporalio/common';
import * as wf from '@temporalio/workflow';

export const stageKey = defineSearchAttributeKey('ConformanceStage', 'KEYWORD');
export const scoreKey = defineSearchAttributeKey('ConformanceScore', 'INT');

/** Upserts typed search attributes, then waits (so a test can list it while running). */
export async function upsertStage(stage: string, score: number): Promise<void> {
  wf.upsertSearchAttributes([
    { key: stageKey, value: stage },
    { key: scoreKey, value: score },
  ]);
  await wf.condition(() => false);
}

export async function readOwnAttributes(): Promise<string> {
  return `${wf.workflowInfo().typedSearchAttributes.get(stageKey) ?? 'none'}`;
}

export const customKeywordKey = defineSearchAttributeKey('CustomKeywordField', 'KEYWORD');
export const customDatetimeKey = defineSearchAttributeKey('CustomDatetimeField', 'DATETIME');
export const customBoolKey = defineSearchAttributeKey('CustomBoolField', 'BOOL');

/** Sets Temporal's predefined custom attributes, then waits. */
export async function upsertPredefined(tag: string, at: string, flag: boolean): Promise<void> {
  wf.upsertSearchAttributes([
    { key: customKeywordKey, value: tag },
    { key: customDatetimeKey, value: new Date(at) },
    { key: customBoolKey, value: flag },
  ]);
  await wf.condition(() => false);
}
