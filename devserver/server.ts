import * as grpc from '@grpc/grpc-js';
import { Accounting } from './accounting.ts';
import { accountingHandlers, accountingServiceDefinition } from './accounting-service.ts';
import { Clock } from './clock.ts';
import { Engine } from './engine.ts';
import { implementation } from './grpc-handlers.ts';
import { operatorServiceHandlers } from './operator-service.ts';
import { operatorServiceDefinition, testServiceDefinition, workflowServiceDefinition } from './proto.ts';
import { SearchAttributeRegistry } from './search-attributes.ts';
import { testServiceHandlers } from './test-service.ts';
import type { SearchAttributeType } from './visibility/index.ts';
import { workflowServiceHandlers } from './workflow-service.ts';

export interface DevServerOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Virtual clock that jumps to the next timer when nothing holds it (TestService controls it). */
  timeSkipping?: boolean;
  /** The clock's starting instant (e.g. to replay historical data); default now. */
  startTime?: Date;
  /**
   * Time skipping starts locked (one LockTimeSkipping held) as the Java test server does; the
   * SDK's time-skipping environment relies on it. Default: false in process, true for the executable.
   */
  startLocked?: boolean;
  namespaces?: string[];
  /** History length from which workflow tasks suggest continue-as-new (default 4,096, as Temporal). */
  suggestContinueAsNewAfterEvents?: number;
  searchAttributes?: Record<string, SearchAttributeType>;
}

export interface DevServer {
  address: string;
  port: number;
  /** Billable actions by Temporal Cloud's rules, in total and per workflow id. */
  actions: Accounting;
  registerSearchAttributes(attributes: Record<string, SearchAttributeType>): void;
  /** The server's current (possibly virtual) time. */
  now(): Date;
  shutdown(): Promise<void>;
}

/** Starts the in-memory Temporal service in this process. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  const clock = new Clock(options.timeSkipping ?? false, options.startTime?.getTime(), options.startLocked ?? false);
  const accounting = new Accounting();
  const searchAttributes = new SearchAttributeRegistry();
  for (const [name, type] of Object.entries(options.searchAttributes ?? {})) searchAttributes.register(name, type);
  const engine = new Engine({
    clock,
    accounting,
    searchAttributes,
    namespaces: options.namespaces?.length ? options.namespaces : ['default'],
    suggestContinueAsNewAfterEvents: options.suggestContinueAsNewAfterEvents,
  });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': 128 * 1024 * 1024,
    'grpc.max_send_message_length': 128 * 1024 * 1024,
  });
  server.addService(workflowServiceDefinition, implementation(workflowServiceHandlers(engine)));
  server.addService(testServiceDefinition, implementation(testServiceHandlers(clock)));
  server.addService(operatorServiceDefinition, implementation(operatorServiceHandlers(engine)));
  server.addService(accountingServiceDefinition, implementation(accountingHandlers(accounting)));

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );

  let stopped = false;
  return {
    address: `${host}:${port}`,
    port,
    actions: accounting,
    registerSearchAttributes: (attributes) => {
      for (const [name, type] of Object.entries(attributes)) searchAttributes.register(name, type);
    },
    now: () => new Date(clock.now()),
    shutdown: async () => {
      if (stopped) return;
      stopped = true;
      clock.stop();
      engine.workflowTasks.releaseAll();
      engine.activityTasks.releaseAll();
      // Long polls (history, tasks) would hold a graceful shutdown for up to a minute: cut them.
      server.forceShutdown();
    },
  };
}
