import type * as grpc from '@grpc/grpc-js';
import type { Accounting } from './accounting.ts';
import type { Handler } from './grpc-handlers.ts';

/**
 * A small gRPC service next to WorkflowService on the same port, so a test that launched the
 * executable can read the billable-action counts: `lifeline.devserver.v1.Accounting/GetActions`
 * `/ResetActions` and `/GetServerStats` (memory of the server process), JSON-encoded messages (no .proto needed). Use `readActions()` from
 * devserver/actions-client.ts.
 */
export const ACCOUNTING_SERVICE = 'lifeline.devserver.v1.Accounting';

const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value ?? {})),
  deserialize: (bytes: Buffer) => (bytes.length ? JSON.parse(bytes.toString('utf8')) : {}),
};

function method(name: string): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/${ACCOUNTING_SERVICE}/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  };
}

export const accountingServiceDefinition: grpc.ServiceDefinition = {
  GetActions: method('GetActions'),
  ResetActions: method('ResetActions'),
  GetServerStats: method('GetServerStats'),
};

export interface ServerStats {
  rssBytes: number;
  /** Peak resident set size of the server process so far. */
  maxRssBytes: number;
  heapUsedBytes: number;
  /** CPU time the server process used so far (user + system). */
  cpuMs: number;
}

export function serverStats(): ServerStats {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rssBytes: memory.rss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: memory.heapUsed,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
}

export function accountingHandlers(accounting: Accounting): Record<string, Handler> {
  return {
    GetActions: (req) => {
      if (typeof req.workflowId === 'string') return accounting.forWorkflow(req.workflowId);
      return accounting.snapshot();
    },
    ResetActions: () => {
      accounting.reset();
      return {};
    },
    GetServerStats: () => ({ ...serverStats() }),
  };
}
