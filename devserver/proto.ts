import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);

/**
 * A decoded protobuf message as @grpc/proto-loader hands it over (camelCase fields, int64 as number,
 * enums as their names, bytes as Buffer). @temporalio/proto's static types declare int64 fields as
 * Long only, which does not fit this loader, so messages stay loosely typed here and protobufjs
 * validates them when it encodes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

const definition = protoLoader.fromJSON(require('@temporalio/proto/protos/json-module.js'), {
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: false,
});

type Loaded = { [name: string]: Loaded } & { service: grpc.ServiceDefinition };
const root = grpc.loadPackageDefinition(definition) as unknown as Loaded;
const api = root.temporal!.api!;

export const workflowServiceDefinition = api.workflowservice!.v1!.WorkflowService!.service;
export const testServiceDefinition = api.testservice!.v1!.TestService!.service;
export const operatorServiceDefinition = api.operatorservice!.v1!.OperatorService!.service;

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export function timestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function timestampToMs(ts: Msg | null | undefined): number | undefined {
  if (!ts) return undefined;
  return Number(ts.seconds ?? 0) * 1000 + Math.floor(Number(ts.nanos ?? 0) / 1e6);
}

/** A protobuf Duration in ms; absent or zero means "not set". */
export function durationToMs(d: Msg | null | undefined): number | undefined {
  if (!d) return undefined;
  const ms = Number(d.seconds ?? 0) * 1000 + Math.floor(Number(d.nanos ?? 0) / 1e6);
  return ms > 0 ? ms : undefined;
}

export function duration(ms: number): Timestamp {
  return timestamp(ms);
}
