import type { Msg } from './proto.ts';
import type { Run } from './run.ts';

/** A long poll for history answers "nothing yet" after this long; the client simply asks again. */
const HISTORY_LONG_POLL_MS = 20_000;
const DEFAULT_PAGE_SIZE = 1000;

interface PageToken {
  runId: string;
  next: number;
}

function encodeToken(token: PageToken): Buffer {
  return Buffer.from(JSON.stringify(token));
}

function decodeToken(raw: Buffer | undefined): PageToken | undefined {
  if (!raw || raw.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(raw).toString('utf8')) as PageToken;
  } catch {
    return undefined;
  }
}

/**
 * GetWorkflowExecutionHistory: pages of events, a long poll for new events (waitNewEvent), and the
 * CLOSE_EVENT filter the client uses to wait for a result.
 */
export async function getHistory(run: Run, req: Msg, onCancel: (fn: () => void) => void): Promise<Msg> {
  const closeOnly = req.historyEventFilterType === 'HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT';
  const pageSize = Number(req.maximumPageSize) > 0 ? Number(req.maximumPageSize) : DEFAULT_PAGE_SIZE;
  const token = decodeToken(req.nextPageToken);
  let cancelled = false;
  let cancelWait: (() => void) | undefined;
  onCancel(() => {
    cancelled = true;
    cancelWait?.();
  });

  if (closeOnly) {
    if (!run.isOpen) return { history: { events: [run.closeEvent] } };
    if (!req.waitNewEvent) return { history: { events: [] } };
    const deadline = Date.now() + HISTORY_LONG_POLL_MS;
    while (run.isOpen && !cancelled && Date.now() < deadline) {
      const w = run.history.waitForChange(deadline - Date.now());
      cancelWait = w.cancel;
      await w.promise;
    }
    if (!run.isOpen) return { history: { events: [run.closeEvent] } };
    return { history: { events: [] }, nextPageToken: encodeToken({ runId: run.runId, next: 0 }) };
  }

  const start = token?.next ?? 0;
  if (start >= run.history.length && req.waitNewEvent && run.isOpen && !cancelled) {
    const w = run.history.waitForChange(HISTORY_LONG_POLL_MS);
    cancelWait = w.cancel;
    await w.promise;
  }
  const events = run.history.events.slice(start, start + pageSize);
  const next = start + events.length;
  const more = next < run.history.length || (req.waitNewEvent && run.isOpen);
  return {
    history: { events },
    nextPageToken: more ? encodeToken({ runId: run.runId, next }) : undefined,
  };
}
