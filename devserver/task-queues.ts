/**
 * Task queues with long polls. A queued task is a thunk that starts the task when a poller takes it
 * and returns undefined when the task went stale meanwhile (workflow closed, activity cancelled), so
 * the poller keeps waiting instead of receiving something the server no longer tracks.
 */
export type TaskThunk<T, C> = (poll: C) => T | undefined;

interface Poller<T, C> {
  poll: C;
  deliver(task: T | undefined): void;
}

interface Queue<T, C> {
  tasks: TaskThunk<T, C>[];
  pollers: Poller<T, C>[];
}

/** How long a poll waits before answering "no task"; the SDK's poll deadline is 70 s. */
export const LONG_POLL_MS = 60_000;

export class TaskQueues<T, C> {
  private queues = new Map<string, Queue<T, C>>();

  private queue(name: string): Queue<T, C> {
    let q = this.queues.get(name);
    if (!q) {
      q = { tasks: [], pollers: [] };
      this.queues.set(name, q);
    }
    return q;
  }

  add(name: string, task: TaskThunk<T, C>): void {
    const q = this.queue(name);
    const poller = q.pollers.shift();
    if (!poller) {
      q.tasks.push(task);
      return;
    }
    const started = task(poller.poll);
    if (started === undefined) q.pollers.unshift(poller);
    else poller.deliver(started);
  }

  /** Resolves with a started task, or undefined after the long-poll timeout or when cancelled. */
  poll(name: string, poll: C, onCancel: (cancel: () => void) => void, timeoutMs = LONG_POLL_MS): Promise<T | undefined> {
    const q = this.queue(name);
    while (q.tasks.length > 0) {
      const started = q.tasks.shift()!(poll);
      if (started !== undefined) return Promise.resolve(started);
    }
    return new Promise((resolve) => {
      let done = false;
      const poller: Poller<T, C> = {
        poll,
        deliver: (task) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve(task);
        },
      };
      const remove = () => {
        const i = q.pollers.indexOf(poller);
        if (i >= 0) q.pollers.splice(i, 1);
      };
      const timer = setTimeout(() => {
        remove();
        poller.deliver(undefined);
      }, timeoutMs);
      onCancel(() => {
        remove();
        poller.deliver(undefined);
      });
      q.pollers.push(poller);
    });
  }

  /** Answers every waiting poll on the queue with "no task" (worker shutdown). */
  release(name: string): void {
    const q = this.queues.get(name);
    if (!q) return;
    for (const poller of q.pollers.splice(0)) poller.deliver(undefined);
  }

  releaseAll(): void {
    for (const name of this.queues.keys()) this.release(name);
  }

  backlog(name: string): number {
    return this.queues.get(name)?.tasks.length ?? 0;
  }
}
