import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { writeKeyChecker } from '../auth.ts';
import { fieldPath, HttpError, type FieldIssue } from '../errors.ts';
import { stderrLog, type IngestDeps } from './deps.ts';
import { plainTrack } from './fast-path.ts';
import { normalize, type Located } from './normalize.ts';
import { batchMessage, batchRequest, identifyMessage, trackMessage } from './schema.ts';
import { exceedsJsonBytes } from './size.ts';
import { decideWakes } from './wake.ts';
import { writeIngest } from './write.ts';

const KB = 1024;
/** Segment's limits: 500 KB per batch request, 32 KB per call or per message within a batch. */
export const LIMITS = { request: 500 * KB, message: 32 * KB } as const;

/** Segment tracking endpoints; registered in their own encapsulated context (auth, JSON only). */
export async function ingestRoutes(app: FastifyInstance, deps: IngestDeps): Promise<void> {
  const checkKey = writeKeyChecker(deps.writeKeys);
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? stderrLog;

  // Only JSON here, parsed with Fastify's own (prototype-poisoning-safe) parser; anything else is 415.
  // PostgreSQL cannot store NUL in text or jsonb, so such a body is refused here, naming the fields.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.includes('\\u0000')) {
      let issues: FieldIssue[] = [];
      try {
        issues = nulFields(JSON.parse(body), []);
      } catch {
        // Not JSON at all: the JSON parser below says so.
      }
      if (issues.length) return done(invalid(issues), undefined);
    }
    parseJson(request, body as string, done);
  });
  app.addHook('onRequest', async (request) => checkKey(request.headers.authorization));

  const ingest = async (request: FastifyRequest, messages: Located[]) => {
    const receivedAt = now();
    const normalized = normalize(messages, receivedAt, deps.eventKinds());
    if (!normalized.ok) throw invalid(normalized.issues);
    const { events, users } = normalized.value;
    const written = await writeIngest(deps.database, normalized.value, receivedAt);

    const newEventNames = new Map<string, string[]>();
    for (const event of events) {
      if (written.insertedEventIds !== 'all' && !written.insertedEventIds.has(event.id)) continue;
      const names = newEventNames.get(event.userId);
      if (names) names.push(event.name);
      else newEventNames.set(event.userId, [event.name]);
    }
    const wakes = decideWakes({
      userIds: users.map((user) => user.id),
      firstEventUserIds: written.firstEventUserIds,
      stored: written.stored,
      newEventNames,
      kinds: deps.eventKinds(),
      isTriggerEvent: deps.isTriggerEvent,
    });
    if (wakes.length) {
      try {
        await deps.waker.wake(wakes);
      } catch (error) {
        // The rows are committed; the user's workflow learns of them on its next timer or from
        // the reconciler, so the client must not resend.
        log.error(
          { err: errorDetails(error), requestId: request.id, wakes: wakes.length, userIds: wakes.map((w) => w.userId) },
          'waking user workflows failed after ingest committed',
        );
      }
    }
    return { success: true as const };
  };

  app.post('/v1/track', { bodyLimit: LIMITS.message }, (request) =>
    ingest(request, [{ message: { ...parse(trackMessage, request.body), type: 'track' }, path: '' }]),
  );
  app.post('/v1/identify', { bodyLimit: LIMITS.message }, (request) =>
    ingest(request, [{ message: { ...parse(identifyMessage, request.body), type: 'identify' }, path: '' }]),
  );
  app.post('/v1/batch', { bodyLimit: LIMITS.request }, (request) => ingest(request, parseBatch(request)));
}

function parseBatch(request: FastifyRequest): Located[] {
  const { batch } = parse(batchRequest, request.body);
  const length = Number(request.headers['content-length']);
  // A body within one message's limit needs no check.
  const checkSizes = !(length <= LIMITS.message);
  const issues: FieldIssue[] = [];
  const located: Located[] = [];
  batch.forEach((item, index) => {
    const path = `batch[${index}]`;
    if (checkSizes && exceedsJsonBytes(item, LIMITS.message)) {
      throw new HttpError(413, 'payload_too_large', `${path} is larger than ${LIMITS.message} bytes`, [
        { field: path, rule: 'max_message_bytes', message: `must serialise to at most ${LIMITS.message} bytes` },
      ]);
    }
    const track = plainTrack(item);
    if (track) {
      located.push({ message: track, path: `${path}.` });
      return;
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      issues.push({ field: path, rule: 'invalid_type', message: 'must be a JSON object (a Segment message)' });
      return;
    }
    const result = batchMessage.safeParse(item);
    if (result.success) located.push({ message: result.data, path: `${path}.` });
    else issues.push(...toIssues(result.error, [path]));
  });
  if (issues.length) throw invalid(issues);
  return located;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw invalid(toIssues(result.error, []));
  return result.data;
}

function toIssues(error: z.ZodError, prefix: PropertyKey[]): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: fieldPath([...prefix, ...issue.path]),
    rule: issue.code,
    message: issue.message,
  }));
}

function invalid(issues: FieldIssue[]): HttpError {
  const summary = issues
    .slice(0, 3)
    .map((issue) => `${issue.field} ${issue.message}`)
    .join('; ');
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return new HttpError(400, 'invalid_request', `${summary}${more}`, issues);
}

function nulFields(value: unknown, path: PropertyKey[]): FieldIssue[] {
  const issue = (at: PropertyKey[]) => ({ field: fieldPath(at), rule: 'no_nul', message: 'must not contain the NUL character (\\u0000)' });
  if (typeof value === 'string') return value.includes('\0') ? [issue(path)] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => nulFields(item, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      key.includes('\0') ? [issue([...path, key])] : nulFields(item, [...path, key]),
    );
  }
  return [];
}

function errorDetails(error: unknown): object {
  return error instanceof Error ? { name: error.name, message: error.message } : { value: String(error) };
}
