import { status as grpcStatus } from '@grpc/grpc-js';
import { defineSearchAttributeKey } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWorkflowActions } from '../../devserver/index.ts';
import { grpcCode, onDevserver, useHarness } from './harness.ts';
import * as workflows from './workflows/index.ts';

/**
 * Search attributes and List/Count through createLocal: the SDK launches the devserver as
 * `server start-dev … --search-attribute Name=Type`, with a wall clock.
 */
const SUGGEST_AFTER = 30;
const batchKey = defineSearchAttributeKey('ConformanceBatch', 'KEYWORD');
const { stageKey, scoreKey } = workflows;

const h = useHarness(
  'local',
  [
    { name: 'ConformanceStage', type: 'KEYWORD' },
    { name: 'ConformanceScore', type: 'INT' },
    { name: 'ConformanceBatch', type: 'KEYWORD' },
  ],
  ['--suggest-continue-as-new-after', String(SUGGEST_AFTER)],
);

/** A query returns only after the workflow task in flight completed: a way to wait for an upsert. */
async function settled(workflowId: string): Promise<void> {
  await h.env.client.workflow.getHandle(workflowId).query('__stack_trace');
}

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of h.env.client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids;
}

describe('devserver conformance: search attributes and visibility', () => {
  const batch = `batch-${Date.now()}`;
  const started: string[] = [];

  beforeAll(async () => {
    for (const [stage, score] of [
      ['active', 10],
      ['silent', 30],
      ['silent', 20],
    ] as const) {
      const handle = h.track(
        await h.env.client.workflow.start(workflows.upsertStage, {
          args: [stage, score],
          taskQueue: h.taskQueue,
          workflowId: h.id(`sa-${stage}`),
          typedSearchAttributes: [{ key: batchKey, value: batch }],
        }),
      );
      await settled(handle.workflowId);
      started.push(handle.workflowId);
    }
  });

  afterAll(async () => {
    for (const id of started) await h.env.client.workflow.getHandle(id).terminate();
  });

  it('stores typed search attributes from the start and from upserts', async () => {
    const description = await h.env.client.workflow.getHandle(started[1]!).describe();
    expect(description.typedSearchAttributes.get(batchKey)).toBe(batch);
    expect(description.typedSearchAttributes.get(stageKey)).toBe('silent');
    expect(description.typedSearchAttributes.get(scoreKey)).toBe(30);
  });

  it('lets the workflow read search attributes it was started with', async () => {
    const handle = h.track(
      await h.env.client.workflow.start(workflows.readOwnAttributes, {
        taskQueue: h.taskQueue,
        workflowId: h.id('own-sa'),
        typedSearchAttributes: [{ key: stageKey, value: 'paying' }],
      }),
    );
    expect(await handle.result()).toBe('paying');
  });

  it('lists by custom keyword, int and status', async () => {
    const ids = await listIds(`ConformanceBatch = '${batch}' AND ConformanceStage = 'silent' AND ExecutionStatus = 'Running'`);
    expect(ids.sort()).toEqual([started[1], started[2]].sort());
    const high = await listIds(`ConformanceBatch = '${batch}' AND ConformanceScore >= 20`);
    expect(high.sort()).toEqual([started[1], started[2]].sort());
  });

  it('orders by a search attribute', async () => {
    expect(await listIds(`ConformanceBatch = '${batch}' ORDER BY ConformanceScore DESC`)).toEqual([
      started[1],
      started[2],
      started[0],
    ]);
  });

  it('supports IN, BETWEEN, OR and parentheses', async () => {
    const ids = await listIds(
      `ConformanceBatch = '${batch}' AND (ConformanceStage IN ('active') OR ConformanceScore BETWEEN 25 AND 35)`,
    );
    expect(ids.sort()).toEqual([started[0], started[1]].sort());
  });

  it('counts, grouped by execution status', async () => {
    const total = await h.env.client.workflow.count(`ConformanceBatch = '${batch}'`);
    expect(total.count).toBe(3);
    const grouped = await h.env.client.workflow.count(`ConformanceBatch = '${batch}' GROUP BY ExecutionStatus`);
    expect(grouped.groups).toEqual([{ count: 3, groupValues: [['Running']] }]);
  });

  it('lists by WorkflowType and StartTime', async () => {
    const since = new Date(Date.now() - 3600_000).toISOString();
    const ids = await listIds(`WorkflowType = 'upsertStage' AND StartTime > '${since}' AND ConformanceBatch = '${batch}'`);
    expect(ids).toHaveLength(3);
  });

  it('rejects a malformed query with INVALID_ARGUMENT', async () => {
    const code = await grpcCode(
      h.env.connection.workflowService.listWorkflowExecutions({ namespace: 'default', query: 'ConformanceScore >' }),
    );
    expect(code).toBe(grpcStatus.INVALID_ARGUMENT);
    const unknown = await grpcCode(
      h.env.connection.workflowService.countWorkflowExecutions({ namespace: 'default', query: `NoSuchAttribute = 'x'` }),
    );
    expect(unknown).toBe(grpcStatus.INVALID_ARGUMENT);
  });

  it('rejects a start with an unregistered search attribute', async () => {
    const unknownKey = defineSearchAttributeKey('NeverRegistered', 'KEYWORD');
    await expect(
      h.env.client.workflow.start(workflows.echoWorkflow, {
        args: ['x'],
        taskQueue: h.taskQueue,
        workflowId: h.id('bad-sa'),
        typedSearchAttributes: [{ key: unknownKey, value: 'x' }],
      }),
    ).rejects.toMatchObject({ cause: { code: grpcStatus.INVALID_ARGUMENT } });
  });

  it('registers a search attribute through the OperatorService', async () => {
    const name = `Registered${Date.now()}`;
    await h.env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: { [name]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL },
    });
    const key = defineSearchAttributeKey(name, 'BOOL');
    const handle = h.track(
      await h.env.client.workflow.start(workflows.echoWorkflow, {
        args: ['registered'],
        taskQueue: h.taskQueue,
        workflowId: h.id('registered'),
        typedSearchAttributes: [{ key, value: true }],
      }),
    );
    await handle.result();
    expect(await listIds(`${name} = true`)).toEqual([handle.workflowId]);
  });

  it('knows the predefined custom attributes (Keyword, Datetime, Bool)', async () => {
    const tag = h.id('tag');
    const ids: string[] = [];
    for (const [at, flag] of [
      ['2024-01-01T00:00:00Z', true],
      ['2025-06-01T00:00:00Z', false],
    ] as const) {
      const handle = h.track(
        await h.env.client.workflow.start(workflows.upsertPredefined, {
          args: [tag, at, flag],
          taskQueue: h.taskQueue,
          workflowId: h.id('predefined'),
        }),
      );
      await settled(handle.workflowId);
      ids.push(handle.workflowId);
    }
    expect(await listIds(`CustomKeywordField = '${tag}' AND CustomDatetimeField > '2024-06-01T00:00:00Z'`)).toEqual([ids[1]]);
    expect(await listIds(`CustomKeywordField = '${tag}' AND CustomBoolField = true`)).toEqual([ids[0]]);
    const description = await h.env.client.workflow.getHandle(ids[0]!).describe();
    expect(description.typedSearchAttributes.get(workflows.customDatetimeKey)?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    for (const id of ids) await h.env.client.workflow.getHandle(id).terminate();
  });

  (onDevserver ? it : undefined)?.('counts a search-attribute upsert as an action', async () => {
    const counts = await readWorkflowActions(h.env.address, started[0]!);
    expect(counts.byKind).toMatchObject({ workflowStarted: 1, searchAttributeUpsert: 1 });
  });
});

// The real server's threshold is fixed (4,096 events), so this case runs against the devserver only.
(onDevserver ? describe : undefined)?.('devserver conformance: continue-as-new suggestion', () => {
  it('suggests continue-as-new once the history reaches the configured length', async () => {
    const handle = h.track(
      await h.env.client.workflow.start(workflows.untilContinueAsNewSuggested, {
        taskQueue: h.taskQueue,
        workflowId: h.id('suggest'),
      }),
    );
    for (let i = 0; i < 4 * SUGGEST_AFTER; i++) {
      const status = (await handle.describe()).status.name;
      if (status !== 'RUNNING') break;
      await handle.signal(workflows.setValue, String(i)).catch(() => undefined);
      await h.env.client.workflow.getHandle(handle.workflowId).query('__stack_trace').catch(() => undefined);
    }
    const length = await handle.result();
    expect(length).toBeGreaterThanOrEqual(SUGGEST_AFTER);
    expect(length).toBeLessThan(SUGGEST_AFTER + 8);
  });
});

it('every recorded history replays', async () => {
  expect(await h.replayAll()).toBeGreaterThanOrEqual(5);
});
