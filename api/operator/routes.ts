import type { FastifyInstance } from 'fastify';
import type { Database } from '../../db/client.ts';
import { activePolicy } from '../../db/policies.ts';
import { parsePolicy, PolicyError, type Policy } from '../../rules/index.ts';
import { applyPolicy, previewPolicy } from '../../worker/policy-changes.ts';
import { adminKeyChecker } from '../auth.ts';
import { HttpError } from '../errors.ts';
import type { Waker } from '../ingest/deps.ts';

export interface OperatorDeps {
  database: Database;
  adminKeys: readonly string[];
  waker: Waker;
  /** Told after a policy is activated, so this process uses it at once. */
  onPolicyActivated?: () => void;
  now?: () => Date;
}

const POLICY_TYPES = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'];

/**
 * Policy operations for operators and the `lifeline policy` command: the active policy, a preview of
 * a proposed one against today's population, and activation. Bodies are the policy file's text.
 */
export async function operatorRoutes(app: FastifyInstance, deps: OperatorDeps): Promise<void> {
  const checkKey = adminKeyChecker(deps.adminKeys);
  const now = deps.now ?? (() => new Date());
  app.addHook('onRequest', async (request) => checkKey(request.headers.authorization));
  // The file's text as written, JSON included: errors then point at its lines.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(POLICY_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.get('/v1/policy', async () => {
    const active = await activePolicy<Policy>(deps.database);
    if (!active) throw new HttpError(404, 'not_found', 'no policy is active');
    return { version: active.version, activatedAt: active.activatedAt, policy: active.body };
  });

  app.post('/v1/policy/preview', async (request) => previewPolicy(deps.database, parse(request.body, request.headers), now()));

  app.post('/v1/policy', async (request) => {
    const source = String(request.body ?? '');
    const result = await applyPolicy(deps.database, parse(source, request.headers), source, deps.waker, now());
    deps.onPolicyActivated?.();
    return result;
  });
}

function parse(body: unknown, headers: Record<string, unknown>): Policy {
  const fileName = typeof headers['x-policy-file'] === 'string' ? headers['x-policy-file'] : 'policy.yaml';
  try {
    return parsePolicy(String(body ?? ''), fileName);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    throw new HttpError(
      400,
      'invalid_policy',
      error.message,
      error.issues.map((issue) => ({
        field: issue.path || '(policy)',
        rule: issue.line ? `${fileName}:${issue.line}:${issue.column}` : fileName,
        message: issue.message,
      })),
    );
  }
}
