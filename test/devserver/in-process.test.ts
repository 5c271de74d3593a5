import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowServiceDefinition } from '../../devserver/proto.ts';
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

  it('shuts down with a long poll pending, ending that call', async () => {
    const other = await startDevServer({ port: 0 });
    const conn = await Connection.connect({ address: other.address });
    await new Client({ connection: conn }).workflow.start('noWorkerHere', {
      taskQueue: 'nobody-polls',
      workflowId: 'long-poll',
    });
    await conn.close();
    // A plain gRPC client (no SDK retries): the long poll must end with an error, not run its course.
    const RawClient = grpc.makeGenericClientConstructor(workflowServiceDefinition, 'WorkflowService');
    const raw = new RawClient(other.address, grpc.credentials.createInsecure()) as unknown as Record<
      string,
      (req: object, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void
    >;
    await new Promise<void>((resolve, reject) =>
      raw.GetSystemInfo!.call(raw, {}, (err) => (err ? reject(err) : resolve())),
    );
    const waiting = new Promise<unknown>((resolve, reject) =>
      raw.GetWorkflowExecutionHistory!.call(
        raw,
        {
          namespace: 'default',
          execution: { workflowId: 'long-poll' },
          waitNewEvent: true,
          historyEventFilterType: 'HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT',
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    // On the connection made above the call reaches the server at once; it holds it (the run stays open).
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    await other.shutdown();
    await expect(waiting).rejects.toMatchObject({ code: expect.any(Number) });
    (raw as unknown as grpc.Client).close();
  });

  it('stops accepting calls after shutdown', async () => {
    const other = await startDevServer({ port: 0 });
    const address = other.address;
    await other.shutdown();
    const conn = await Connection.connect({ address, connectTimeout: 500 }).catch((err: unknown) => err);
    expect(conn).toBeInstanceOf(Error);
  });
});
