import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../devserver/index.ts';

describe('startDevServer in process', () => {
  let server: DevServer;
  let connection: Connection;
  let client: Client;
  const startTime = new Date('2021-03-04T05:06:07Z');

  beforeAll(async () => {
    server = await startDevServer({ port: 0, timeSkipping: true, startTime, searchAttributes: { Region: 'Keyword' } });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
  });
  afterAll(async () => {
    await connection?.close();
    await server?.shutdown();
  });

  it('runs its clock from the given start time', () => {
    const now = server.now().getTime();
    expect(now).toBeGreaterThanOrEqual(startTime.getTime());
    expect(now - startTime.getTime()).toBeLessThan(60_000);
  });

  it('counts actions and registers search attributes', async () => {
    server.registerSearchAttributes({ Tier: 'Int' });
    const handle = await client.workflow.start('noWorkerHere', {
      taskQueue: 'nobody-polls',
      workflowId: 'in-process-1',
      typedSearchAttributes: [
        { key: defineSearchAttributeKey('Region', 'KEYWORD'), value: 'eu' },
        { key: defineSearchAttributeKey('Tier', 'INT'), value: 2 },
      ],
    });
    await handle.signal('poke');
    expect(server.actions.forWorkflow('in-process-1').byKind).toMatchObject({ workflowStarted: 1, signal: 1 });
    expect(server.actions.total()).toBe(2);
    const { executions } = await connection.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `Region = 'eu' AND Tier = 2`,
    });
    expect(executions.map((e) => e.execution?.workflowId)).toEqual(['in-process-1']);
    const description = await handle.describe();
    expect(description.startTime.getTime()).toBeGreaterThanOrEqual(startTime.getTime());
    await handle.terminate();
  });

  it('answers NOT_FOUND for an unknown workflow', async () => {
    await expect(client.workflow.getHandle('missing').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('stops accepting calls after shutdown', async () => {
    const other = await startDevServer({ port: 0 });
    const address = other.address;
    await other.shutdown();
    const conn = await Connection.connect({ address, connectTimeout: 500 }).catch((err: unknown) => err);
    expect(conn).toBeInstanceOf(Error);
  });
});
