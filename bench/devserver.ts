/**
 * `npm run bench:devserver`: the devserver's acceptance figures.
 *  1. A workflow sleeping 30 days through createTimeSkipping (existing-path executable): wall time.
 *  2. N concurrent workflows (default 1,000), each with a signal, a timer and an activity, on one
 *     devserver: wall time, billable actions, and the devserver process's peak memory.
 * Options: --workflows N
 */
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { devServerExecutablePath, readActions, readServerStats } from '../devserver/index.ts';

const workflowsPath = fileURLToPath(new URL('../test/devserver/workflows/index.ts', import.meta.url));
const DAY = 24 * 3600 * 1000;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const count = option('workflows', 1000);
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });

  const envStart = Date.now();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: devServerExecutablePath } },
  });
  console.log(`devserver launched by the SDK and ready: ${Date.now() - envStart} ms`);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'bench',
    workflowBundle,
    maxConcurrentWorkflowTaskExecutions: 200,
    maxConcurrentActivityTaskExecutions: 200,
    activities: { echo: async (value: string) => `echo:${value}` },
  });

  await worker.runUntil(async () => {
    const virtualBefore = await env.currentTimeMs();
    const t0 = Date.now();
    const slept = await env.client.workflow.execute('sleeper', {
      args: [30 * DAY],
      taskQueue: 'bench',
      workflowId: `bench-sleep-${Date.now()}`,
    });
    const sleepWall = Date.now() - t0;
    const advanced = ((await env.currentTimeMs()) - virtualBefore) / DAY;
    console.log(
      `30-day sleep: ${sleepWall} ms wall (workflow measured ${(Number(slept) / DAY).toFixed(2)} days; clock advanced ${advanced.toFixed(2)} days)`,
    );

    const before = await readActions(env.address);
    const cpuBefore = (await readServerStats(env.address)).cpuMs;
    const t1 = Date.now();
    const handles = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        env.client.workflow.start('signalTimerActivity', { taskQueue: 'bench', workflowId: `bench-${t1}-${i}` }),
      ),
    );
    await Promise.all(handles.map((handle, i) => handle.signal('setValue', `v${i}`)));
    const results = await Promise.all(handles.map((handle) => handle.result()));
    const wall = Date.now() - t1;
    const wrong = results.filter((r, i) => r !== `echo:v${i}`).length;
    const after = await readActions(env.address);
    const stats = await readServerStats(env.address);
    console.log(
      `${count} concurrent workflows (signal + timer + activity each): ${wall} ms wall, ` +
        `${(count / (wall / 1000)).toFixed(0)} workflows/s, ${count - wrong}/${count} correct results`,
    );
    console.log(`billable actions: ${after.total - before.total} (${((after.total - before.total) / count).toFixed(1)} per workflow)`);
    console.log(`devserver memory: peak RSS ${mib(stats.maxRssBytes)}, RSS now ${mib(stats.rssBytes)}, heap used ${mib(stats.heapUsedBytes)}`);
    console.log(`devserver CPU during the run: ${stats.cpuMs - cpuBefore} ms (${(((stats.cpuMs - cpuBefore) / wall) * 100).toFixed(0)} % of one core)`);
    if (wrong > 0) process.exitCode = 1;
  });
  await env.teardown();
}

await main();
