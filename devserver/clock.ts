/**
 * The server's clock. In time-skipping mode it follows the Java test server's model: virtual time
 * runs at wall speed while anything holds a lock (an outstanding workflow task, a queued or running
 * activity, a client's LockTimeSkipping) and jumps straight to the next due timer when nothing does.
 */
export interface TimerHandle {
  cancel(): void;
}

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

const MAX_TIMEOUT = 2 ** 31 - 1;

export class Clock {
  private offset: number;
  private heap: Entry[] = [];
  private seq = 0;
  private internalLocks = 0;
  /** Clients' LockTimeSkipping count; the TS test environment unlocks around every result(). */
  private externalLocks: number;
  private wallTimer: NodeJS.Timeout | undefined;
  private pumpQueued = false;
  private stopped = false;

  /** `startLocked`: begin with one external lock, as the Java test server (and so the SDK) expects. */
  constructor(readonly timeSkipping: boolean, startTime?: number, startLocked = false) {
    this.offset = startTime === undefined ? 0 : startTime - Date.now();
    this.externalLocks = timeSkipping && startLocked ? 1 : 0;
  }

  now(): number {
    return Date.now() + this.offset;
  }

  at(at: number, fn: () => void): TimerHandle {
    const entry: Entry = { at, seq: this.seq++, fn, cancelled: false };
    this.push(entry);
    this.schedulePump();
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  after(ms: number, fn: () => void): TimerHandle {
    return this.at(this.now() + ms, fn);
  }

  /** Resolves once virtual time has reached `at`. */
  sleepUntil(at: number): Promise<void> {
    return new Promise((resolve) => this.at(at, resolve));
  }

  lock(): void {
    this.internalLocks++;
  }

  unlock(): void {
    this.internalLocks--;
    if (this.internalLocks < 0) throw new Error('clock: unbalanced unlock');
    if (this.internalLocks === 0) this.schedulePump();
  }

  lockExternal(): void {
    this.externalLocks++;
  }

  /** Concurrent result() calls may unlock more often than the single initial lock; the count may go below zero. */
  unlockExternal(): void {
    this.externalLocks--;
    this.schedulePump();
  }

  get skippingAllowed(): boolean {
    return this.timeSkipping && this.internalLocks === 0 && this.externalLocks <= 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.wallTimer) clearTimeout(this.wallTimer);
  }

  private schedulePump(): void {
    if (this.pumpQueued || this.stopped) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    if (this.wallTimer) {
      clearTimeout(this.wallTimer);
      this.wallTimer = undefined;
    }
    let now = this.now();
    for (let fired = 0; fired < 1000; fired++) {
      const next = this.peek();
      if (!next) return;
      if (next.at > now) {
        if (!this.skippingAllowed) break;
        // Jump to the next timer, fire it, and let its effects take locks before looking again.
        this.offset += next.at - now;
        now = next.at;
      }
      this.pop();
      try {
        next.fn();
      } catch (err) {
        console.error('devserver: timer callback failed', err);
      }
      if (this.skippingAllowed && this.peek() && this.peek()!.at > this.now()) {
        this.schedulePump();
        return;
      }
    }
    const next = this.peek();
    if (!next) return;
    const wait = Math.min(Math.max(next.at - this.now(), 0), MAX_TIMEOUT);
    this.wallTimer = setTimeout(() => this.pump(), wait);
  }

  private peek(): Entry | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0];
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}
