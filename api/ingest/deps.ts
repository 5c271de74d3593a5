import type { Database } from '../../db/client.ts';

/** How the active policy counts events; asked once per request so a newly activated policy applies at once. */
export interface EventKinds {
  isActivity(name: string): boolean;
  isPayment(name: string): boolean;
}

export interface UserWake {
  userId: string;
  kind: 'start' | 'signal';
  reason: 'new-user' | 'dormant-user' | 'trigger-event' | 'policy-change' | 'reconcile';
}

/** Starts or signals user workflows (Temporal signalWithStart / signal); wired by the worker layer. */
export interface Waker {
  wake(wakes: UserWake[]): Promise<void>;
}

/** What a trigger check may know about the user as stored before this request. */
export interface StoredUser {
  stage: string | null;
}

export interface IngestLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface IngestDeps {
  database: Database;
  /** Segment write keys accepted as the Basic auth user name. */
  writeKeys: readonly string[];
  eventKinds: () => EventKinds;
  isTriggerEvent: (name: string, user: StoredUser) => boolean;
  waker: Waker;
  now?: () => Date;
  log?: IngestLog;
}

/** Writes one JSON line per entry to stderr: the default when no logger is injected. */
export const stderrLog: IngestLog = {
  warn: (details, message) => process.stderr.write(JSON.stringify({ level: 'warn', message, ...details }) + '\n'),
  error: (details, message) => process.stderr.write(JSON.stringify({ level: 'error', message, ...details }) + '\n'),
};
