import * as grpc from '@grpc/grpc-js';
import proto from '@temporalio/proto';

const { google, temporal } = proto;

/** An error that answers the RPC with a gRPC status, as the real server would. */
export class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly metadata?: grpc.Metadata,
  ) {
    super(message);
  }
}

function withDetails(code: grpc.status, message: string, typeName: string, value: Uint8Array): RpcError {
  const status = google.rpc.Status.encode({
    code,
    message,
    details: [{ type_url: `type.googleapis.com/${typeName}`, value }],
  }).finish();
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(status));
  return new RpcError(code, message, metadata);
}

export const invalidArgument = (message: string) => new RpcError(grpc.status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new RpcError(grpc.status.NOT_FOUND, message);
export const failedPrecondition = (message: string) => new RpcError(grpc.status.FAILED_PRECONDITION, message);

export function namespaceNotFound(namespace: string): RpcError {
  const value = temporal.api.errordetails.v1.NamespaceNotFoundFailure.encode({ namespace }).finish();
  return withDetails(
    grpc.status.NOT_FOUND,
    `Namespace ${namespace} is not found.`,
    'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
    value,
  );
}

export function workflowAlreadyStarted(workflowId: string, runId: string, requestId: string): RpcError {
  const value = temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure.encode({
    runId,
    startRequestId: requestId,
  }).finish();
  return withDetails(
    grpc.status.ALREADY_EXISTS,
    `Workflow execution is already running. WorkflowId: ${workflowId}, RunId: ${runId}.`,
    'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
    value,
  );
}

export function workflowNotFound(workflowId: string, runId?: string): RpcError {
  return notFound(
    runId ? `workflow execution not found: ${workflowId}/${runId}` : `workflow execution not found: ${workflowId}`,
  );
}

export function requireField<T>(value: T | null | undefined | '', field: string): T {
  if (value === undefined || value === null || value === '') throw invalidArgument(`${field} is not set on request.`);
  return value;
}
