import type { Engine } from './engine.ts';
import { invalidArgument } from './errors.ts';
import type { Msg } from './proto.ts';
import type { Run } from './run.ts';
import { compileVisibilityQuery, VisibilityQueryError, type VisibilityRecord } from './visibility/index.ts';

function toRecord(engine: Engine, run: Run): VisibilityRecord {
  return {
    workflowId: run.workflowId,
    runId: run.runId,
    workflowType: run.workflowType,
    taskQueue: run.taskQueue,
    status: run.status,
    startTime: new Date(run.startTime),
    executionTime: new Date(run.executionTime),
    closeTime: run.closeTime === undefined ? undefined : new Date(run.closeTime),
    searchAttributes: engine.searchAttributes.decode(run.searchAttributes),
  };
}

function compile(engine: Engine, query: string) {
  try {
    return compileVisibilityQuery(query, engine.searchAttributes.customAttributes());
  } catch (err) {
    if (err instanceof VisibilityQueryError) throw invalidArgument(`invalid query: ${err.message}`);
    throw err;
  }
}

function matchingRuns(engine: Engine, namespace: string, query: string): Array<{ run: Run; record: VisibilityRecord }> {
  const compiled = compile(engine, query);
  const rows: Array<{ run: Run; record: VisibilityRecord }> = [];
  for (const run of engine.allRuns()) {
    if (run.namespace !== namespace) continue;
    const record = toRecord(engine, run);
    if (compiled.matches(record)) rows.push({ run, record });
  }
  rows.sort((a, b) => compiled.compare(a.record, b.record));
  return rows;
}

/** ListWorkflowExecutions; the page token is the offset into the ordered result. */
export function listWorkflows(engine: Engine, namespace: string, req: Msg): Msg {
  const rows = matchingRuns(engine, namespace, req.query ?? '');
  const pageSize = Number(req.pageSize) > 0 ? Number(req.pageSize) : 1000;
  const offset = req.nextPageToken?.length ? Number(Buffer.from(req.nextPageToken).toString('utf8')) || 0 : 0;
  const page = rows.slice(offset, offset + pageSize);
  const next = offset + page.length;
  return {
    executions: page.map(({ run }) => run.info()),
    nextPageToken: next < rows.length ? Buffer.from(String(next)) : undefined,
  };
}

const GROUP_BY_STATUS = /\s+group\s+by\s+ExecutionStatus\s*$/i;

/** CountWorkflowExecutions, with `GROUP BY ExecutionStatus` as the real server supports it. */
export function countWorkflows(engine: Engine, namespace: string, req: Msg): Msg {
  const query: string = req.query ?? '';
  const grouped = GROUP_BY_STATUS.test(` ${query}`);
  const rows = matchingRuns(engine, namespace, grouped ? ` ${query}`.replace(GROUP_BY_STATUS, '').trim() : query);
  if (!grouped) return { count: rows.length };
  const counts = new Map<string, number>();
  for (const { record } of rows) counts.set(record.status, (counts.get(record.status) ?? 0) + 1);
  return {
    count: rows.length,
    groups: [...counts].map(([status, count]) => ({
      groupValues: [
        {
          metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
          data: Buffer.from(JSON.stringify(status)),
        },
      ],
      count,
    })),
  };
}
