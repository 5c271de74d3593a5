import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FaultWorkerSettings } from './fault-worker.ts';

const script = fileURLToPath(new URL('./fault-worker.ts', import.meta.url));

/**
 * One real worker process at a time (fault-worker.ts): `kill()` SIGKILLs it, with no chance to
 * finish or report anything, and starts the next at once.
 */
export class WorkerFleet {
  kills = 0;
  starts = 0;
  /** Milliseconds from each kill to its successor's readiness. */
  readonly restarts: number[] = [];
  private current: ChildProcess | undefined;
  private exited: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly settings: FaultWorkerSettings) {}

  /** Starts a worker; resolves when it is about to poll (it says so over IPC). */
  start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, FAULT_WORKER: JSON.stringify(this.settings) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.current = child;
    this.starts++;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    return new Promise((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code, signal) => {
        if (!this.stopped && signal !== 'SIGKILL') reject(new Error(`worker exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
  }

  /** The latest start: awaited by the test so a worker that cannot start fails it. */
  ready: Promise<void> = Promise.resolve();

  /** SIGKILL now; resolves once the process is gone, with its successor starting. */
  async kill(): Promise<void> {
    const killedAt = performance.now();
    this.current!.kill('SIGKILL');
    await this.exited;
    this.kills++;
    if (!this.stopped) this.ready = this.start().then(() => void this.restarts.push(performance.now() - killedAt));
  }

  /** Ends the current worker (the test is over; nothing more is asserted about it). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.kill('SIGKILL');
    await this.exited;
  }
}
