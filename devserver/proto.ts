import { createRequire } from 'node:module';
import type * as grpc from '@grpc/grpc-js';

const require = createRequire(import.meta.url);

/**
 * A decoded protobuf message: camelCase fields, int64 as number, enums as their names, bytes as
 * Buffer (the shape @grpc/proto-loader produces with `longs: Number, enums: String`).
 * @temporalio/proto's static types declare int64 fields as Long only, which does not fit, so
 * messages stay loosely typed here and protobufjs validates them when it encodes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

interface ReflectedType {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: Msg): object;
  toObject(message: object, options: object): Msg;
}
interface ReflectedMethod {
  name: string;
  requestStream?: boolean;
  responseStream?: boolean;
  resolve(): void;
  resolvedRequestType: ReflectedType;
  resolvedResponseType: ReflectedType;
}
interface ReflectedRoot {
  lookupService(name: string): { methodsArray: ReflectedMethod[] };
}

/**
 * The protobufjs reflection root that @temporalio/proto ships (its json-module is already a Root).
 * We build the gRPC service definitions from it directly rather than through
 * protoLoader.fromJSON: that walks every type of the Temporal API and costs ~0.6–1 s of start-up,
 * and the SDK gives a launched server only 5 s to answer GetSystemInfo, on busy CI machines too.
 */
const root = require('@temporalio/proto/protos/json-module.js') as ReflectedRoot;

const TO_OBJECT = { longs: Number, enums: String, defaults: false, oneofs: false };

function serviceDefinition(fullName: string): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<Msg, Msg>> = {};
  for (const method of root.lookupService(fullName).methodsArray) {
    method.resolve();
    const req = method.resolvedRequestType;
    const res = method.resolvedResponseType;
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: (value: Msg) => Buffer.from(req.encode(req.fromObject(value)).finish()),
      requestDeserialize: (bytes: Buffer) => req.toObject(req.decode(bytes), TO_OBJECT),
      responseSerialize: (value: Msg) => Buffer.from(res.encode(res.fromObject(value)).finish()),
      responseDeserialize: (bytes: Buffer) => res.toObject(res.decode(bytes), TO_OBJECT),
    };
  }
  return definition;
}

export const workflowServiceDefinition = serviceDefinition('temporal.api.workflowservice.v1.WorkflowService');
export const testServiceDefinition = serviceDefinition('temporal.api.testservice.v1.TestService');
export const operatorServiceDefinition = serviceDefinition('temporal.api.operatorservice.v1.OperatorService');

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
