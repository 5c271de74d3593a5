import * as grpc from '@grpc/grpc-js';
import type { ActionCounts, ActionsSnapshot } from './accounting.ts';
import { accountingServiceDefinition, type ServerStats } from './accounting-service.ts';

const AccountingClient = grpc.makeGenericClientConstructor(accountingServiceDefinition, 'Accounting');

type Callback<T> = (err: grpc.ServiceError | null, response: T) => void;
type Method<T> = (this: grpc.Client, request: object, callback: Callback<T>) => void;

function call<T>(address: string, method: string, request: object): Promise<T> {
  const client = new AccountingClient(address, grpc.credentials.createInsecure());
  const fn = (client as unknown as Record<string, Method<T>>)[method]!;
  return new Promise<T>((resolve, reject) => {
    fn.call(client, request, (err, response) => {
      client.close();
      if (err) reject(err);
      else resolve(response);
    });
  });
}

/** Billable actions counted by a running devserver (e.g. one TestWorkflowEnvironment launched). */
export function readActions(address: string): Promise<ActionsSnapshot> {
  return call<ActionsSnapshot>(address, 'GetActions', {});
}

export function readWorkflowActions(address: string, workflowId: string): Promise<ActionCounts> {
  return call<ActionCounts>(address, 'GetActions', { workflowId });
}

export function resetActions(address: string): Promise<void> {
  return call<void>(address, 'ResetActions', {});
}

/** Memory figures of the devserver process (for benchmarks of an executable the SDK launched). */
export function readServerStats(address: string): Promise<ServerStats> {
  return call<ServerStats>(address, 'GetServerStats', {});
}
