import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { channelRoutes, type ChannelRouteDeps } from './channels/routes.ts';
import { HttpError, isDatabaseUnavailable, type ErrorBody } from './errors.ts';
import type { IngestDeps } from './ingest/deps.ts';
import { ingestRoutes, LIMITS } from './ingest/routes.ts';
import { operatorRoutes, type OperatorDeps } from './operator/routes.ts';
import { reportRoutes } from './reports/routes.ts';

export type ApiDeps = IngestDeps & { operator?: Omit<OperatorDeps, 'database' | 'waker'> } & { channels?: ChannelRouteDeps };

// Fastify's parser errors, said as the rule the body broke.
const BODY_RULES: Record<string, { rule: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { rule: 'json', message: 'must be valid JSON (without __proto__ or constructor.prototype keys)' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { rule: 'required', message: 'must not be empty' },
};

/** Seconds a client should wait before retrying while the database is unreachable. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The Lifeline HTTP API. Ingest lives in its own encapsulated plugin; other route groups
 * (operator, reports, webhooks) register beside it with their own auth and content types.
 */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: LIMITS.request });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).headers(error.headers).send(error.body());
    }
    if (isDatabaseUnavailable(error)) {
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send(errorBody('database_unavailable', 'the database is unreachable; retry later'));
    }
    const status = error.statusCode ?? 500;
    if (status === 413) {
      return reply.code(413).send(errorBody('payload_too_large', `request body is larger than ${request.routeOptions.bodyLimit ?? LIMITS.request} bytes`));
    }
    if (status === 415) {
      return reply.code(415).send(errorBody('unsupported_media_type', 'Content-Type must be application/json'));
    }
    if (status >= 400 && status < 500) {
      const issue = { field: '(body)', ...(BODY_RULES[error.code] ?? { rule: 'bad_request', message: error.message }) };
      return reply.code(status).send({ ...errorBody('invalid_request', `${issue.field} ${issue.message}`), issues: [issue] });
    }
    (deps.log ?? console).error({ err: { name: error.name, message: error.message }, url: request.url }, 'request failed');
    return reply.code(500).send(errorBody('internal_error', 'internal error'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('not_found', `no route for ${request.method} ${request.url}`)),
  );

  app.register(async (scope) => ingestRoutes(scope, deps));
  if (deps.channels) app.register(async (scope) => channelRoutes(scope, deps.channels!));
  if (deps.operator) {
    const operator = { ...deps.operator, database: deps.database, waker: deps.waker };
    app.register(async (scope) => operatorRoutes(scope, operator));
    // Analysts' reports take the same admin key.
    app.register(async (scope) => reportRoutes(scope, { database: deps.database, adminKeys: operator.adminKeys }));
  }
  return app;
}

function errorBody(error: string, message: string): ErrorBody {
  return { success: false, error, message };
}
