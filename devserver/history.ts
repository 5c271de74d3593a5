import { timestamp, type Msg } from './proto.ts';

/** The events of one run: ids contiguous from 1, as sdk-core insists. */
export class History {
  readonly events: Msg[] = [];
  private waiters = new Set<() => void>();

  constructor(private readonly taskIds: { next(): number }) {}

  get length(): number {
    return this.events.length;
  }

  get lastEventId(): number {
    return this.events.length;
  }

  /** Appends an event: `attributesField` names its oneof, e.g. 'timerFiredEventAttributes'. */
  append(now: number, eventType: string, attributesField: string, attributes: Msg): Msg {
    const event: Msg = {
      eventId: this.events.length + 1,
      eventTime: timestamp(now),
      eventType: `EVENT_TYPE_${eventType}`,
      taskId: this.taskIds.next(),
      [attributesField]: attributes,
    };
    this.events.push(event);
    this.wake();
    return event;
  }

  /** Resolves on the next append or wake(), or after `timeoutMs`; returns a canceller. */
  waitForChange(timeoutMs: number): { promise: Promise<void>; cancel(): void } {
    let waiter!: () => void;
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<void>((resolve) => {
      waiter = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      timer = setTimeout(waiter, timeoutMs);
      this.waiters.add(waiter);
    });
    return { promise, cancel: waiter };
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
