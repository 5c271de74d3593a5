import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { renderReport, type ReportFormat } from '../reports/render/index.ts';
import { formatLiftChecks } from '../sim/planted.ts';
import { parsePlanted } from '../sim/response.ts';
import { simulate, simulationPolicy, type SimulationResult } from '../sim/simulate.ts';

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const OUT_FORMATS: Record<string, ReportFormat> = { '.html': 'html', '.json': 'json', '.csv': 'csv' };

const wholeNumber = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
  if (n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
  return n;
};

const outFile = (value: string) => {
  if (!OUT_FORMATS[extname(value).toLowerCase()]) throw new InvalidArgumentError('must end in .html, .json or .csv (the report format)');
  return value;
};

const plantedRates = (value: string) => {
  try {
    return parsePlanted(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

/** `lifeline simulate`: added to the main program, and runnable alone (tests call it with their own streams). */
// PGlite took 1–4 minutes per simulated day at 5,000–6,000 users (README, "Simulate").
const PGLITE_COMFORTABLE_USERS = 5_000;

export function simulateCommand(io: Io = { stdout: process.stdout, stderr: process.stderr }): Command {
  return new Command('simulate')
    .description('run a seeded synthetic population through the whole engine (embedded) and print the rescue report with the planted lifts')
    .addOption(new Option('--users <n>', 'simulated users').argParser(wholeNumber(1, 1_000_000)).makeOptionMandatory())
    .addOption(new Option('--days <n>', 'simulated days').argParser(wholeNumber(1, 3_650)).makeOptionMandatory())
    .addOption(new Option('--seed <n>', 'random seed: the same seed gives the same report').argParser(wholeNumber(0, 2 ** 31 - 1)).makeOptionMandatory())
    .addOption(
      new Option('--planted <rates>', 'true probability of returning within the window: with nothing delivered (holdout), reached by email, by SMS')
        .argParser(plantedRates)
        .default(parsePlanted(''), 'holdout=0.05,email=0.09,sms=0.12'),
    )
    .option('--policy <file>', 'lifecycle policy to run (default: the shipped one)')
    .addOption(new Option('--out <file>', 'also write the report to this file; .html, .json or .csv').argParser(outFile))
    .option('--database-url <url>', 'an empty PostgreSQL database to run on (default: in-memory PGlite)')
    .option('--no-progress', 'no progress bar')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .action(async (opts: { users: number; days: number; seed: number; planted: ReturnType<typeof parsePlanted>; policy?: string; out?: string; databaseUrl?: string; progress: boolean }) => {
      if (!opts.databaseUrl && opts.users > PGLITE_COMFORTABLE_USERS) {
        io.stderr.write(
          `note: in-memory PGlite runs on the engine's own thread, and above about ${PGLITE_COMFORTABLE_USERS.toLocaleString('en-US')} users a run takes hours;
` +
            `      --database-url postgres://…/empty_db is much faster
`,
        );
      }
      const policySource = opts.policy === undefined ? undefined : await readFile(opts.policy, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new Error(`--policy: cannot read ${opts.policy} (${error.code ?? error.message})`);
      });
      if (policySource !== undefined) simulationPolicy(policySource, basename(opts.policy!));
      const bar = opts.progress
        ? new SingleBar({
            stream: io.stderr,
            format: 'simulating |{bar}| day {value}/{total} | users {users} | rescues {started} started, {closed} closed | messages {messages} | {duration_formatted}',
            noTTYOutput: true,
            notTTYSchedule: 10_000,
            hideCursor: false,
          })
        : undefined;
      bar?.start(opts.days, 0, { users: 0, started: 0, closed: 0, messages: 0 });
      const began = Date.now();
      let result: SimulationResult;
      try {
        result = await simulate({
          users: opts.users,
          days: opts.days,
          seed: opts.seed,
          planted: opts.planted,
          ...(policySource === undefined ? {} : { policySource, policyFile: basename(opts.policy!) }),
          ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
          onProgress: (p) => bar?.update(p.day, { users: p.users, started: p.rescuesStarted, closed: p.rescuesClosed, messages: p.messages }),
        });
      } finally {
        bar?.stop();
      }
      const wall = (Date.now() - began) / 1000;
      io.stdout.write(renderReport(result.report, 'table') + '\n');
      io.stdout.write(formatPlanted(result, opts) + '\n');
      io.stderr.write(`simulated ${opts.users} users over ${opts.days} days (seed ${opts.seed}) in ${wall.toFixed(1)} s wall time\n`);
      if (opts.out) {
        await writeFile(opts.out, renderReport(result.report, OUT_FORMATS[extname(opts.out).toLowerCase()]!));
        io.stderr.write(`report written to ${opts.out}\n`);
      }
    });
}

function formatPlanted(result: SimulationResult, opts: { planted: ReturnType<typeof parsePlanted> }): string {
  const { planted, lifts, totals } = result;
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const rates = planted.map((a) => `  ${a.campaign} / ${a.arm}: ${pct(a.rate)} over ${a.n} decided rescues${a.lift === null || a.holdout ? '' : `, lift ${(a.lift * 100).toFixed(2)} pp`}`);
  const covered = lifts.filter((l) => l.covered === true).length;
  const judged = lifts.filter((l) => l.covered !== null).length;
  return [
    '',
    `Planted: holdout ${opts.planted.holdout}, email ${opts.planted.email}, sms ${opts.planted.sms} (a user reached by both returns with the larger).`,
    'Planted rate per arm (mean true probability of the users actually in it):',
    ...rates,
    '',
    formatLiftChecks(lifts, result.report.confidence),
    '',
    `${covered} of ${judged} intervals contain their planted lift.`,
    `${totals.users} users, ${totals.events} events, ${totals.rescues} rescues (${totals.decided} decided by ${result.end}), ${totals.emails} emails and ${totals.sms} SMS delivered, ${totals.returns} returns;` +
      ` exposure other than planned: ${totals.exposureMismatches}; decided too late to return: ${totals.lateDecisions}; overlapping rescues: ${totals.overlaps}.`,
  ].join('\n');
}
