import * as grpc from '@grpc/grpc-js';
import { RpcError } from './errors.ts';
import type { Msg } from './proto.ts';

export type Handler = (request: Msg, onCancel: (fn: () => void) => void) => Msg | Promise<Msg>;

/** Adapts a promise-returning handler to grpc-js, mapping RpcError to its status and anything else to INTERNAL. */
export function unary(handler: Handler): grpc.handleUnaryCall<Msg, Msg> {
  return (call, callback) => {
    const onCancel = (fn: () => void) => {
      if (call.cancelled) fn();
      else call.once('cancelled', fn);
    };
    Promise.resolve()
      .then(() => handler(call.request, onCancel))
      .then(
        (response) => callback(null, response),
        (err: unknown) => {
          if (err instanceof RpcError) {
            callback({ code: err.code, details: err.message, metadata: err.metadata });
            return;
          }
          console.error('devserver: internal error', err);
          callback({ code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) });
        },
      );
  };
}

export function implementation(handlers: Record<string, Handler>): grpc.UntypedServiceImplementation {
  return Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, unary(h)]));
}
