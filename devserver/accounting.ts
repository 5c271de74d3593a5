/**
 * Billable actions by Temporal Cloud's rules (Temporal Cloud bills $ per million actions): workflow
 * start, continue-as-new, child workflow start (the parent's command and the child's start: 2),
 * every signal (from a client or a workflow), signalWithStart (1), every timer started, every
 * activity attempt, every heartbeat that reaches the server, every query, every search-attribute
 * upsert, and all local activities completed in one workflow task together as 1.
 */
export const ACTION_KINDS = [
  'workflowStarted',
  'continueAsNew',
  'childWorkflowStarted',
  'signal',
  'signalWithStart',
  'timerStarted',
  'activityAttempt',
  'heartbeat',
  'query',
  'searchAttributeUpsert',
  'localActivities',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export interface ActionCounts {
  total: number;
  byKind: Record<ActionKind, number>;
}

export interface ActionsSnapshot extends ActionCounts {
  /** Keyed by workflow id (all runs of that id together). */
  byWorkflow: Record<string, ActionCounts>;
}

function emptyCounts(): ActionCounts {
  const byKind = Object.fromEntries(ACTION_KINDS.map((k) => [k, 0])) as Record<ActionKind, number>;
  return { total: 0, byKind };
}

export class Accounting {
  private totals = emptyCounts();
  private workflows = new Map<string, ActionCounts>();

  record(workflowId: string, kind: ActionKind, count = 1): void {
    let counts = this.workflows.get(workflowId);
    if (!counts) {
      counts = emptyCounts();
      this.workflows.set(workflowId, counts);
    }
    counts.total += count;
    counts.byKind[kind] += count;
    this.totals.total += count;
    this.totals.byKind[kind] += count;
  }

  total(): number {
    return this.totals.total;
  }

  forWorkflow(workflowId: string): ActionCounts {
    const counts = this.workflows.get(workflowId) ?? emptyCounts();
    return { total: counts.total, byKind: { ...counts.byKind } };
  }

  snapshot(): ActionsSnapshot {
    return {
      total: this.totals.total,
      byKind: { ...this.totals.byKind },
      byWorkflow: Object.fromEntries(
        [...this.workflows].map(([id, c]) => [id, { total: c.total, byKind: { ...c.byKind } }]),
      ),
    };
  }

  reset(): void {
    this.totals = emptyCounts();
    this.workflows.clear();
  }
}
