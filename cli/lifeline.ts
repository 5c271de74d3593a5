#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { registerPolicyCommands } from './policy.ts';
import { runApi, runDev, runMigrate, runWorker } from './processes.ts';
import { simulateCommand } from './simulate.ts';
import { registerReportCommand } from './report.ts';

const program = new Command('lifeline')
  .description('User lifecycle and churn-rescue engine on Temporal')
  .showHelpAfterError();

program
  .command('dev')
  .description('run everything embedded: PGlite, the in-memory Temporal devserver, the worker and the API')
  .action(runDev);
program.command('worker').description('run a worker (needs DATABASE_URL and TEMPORAL_ADDRESS)').action(runWorker);
program.command('api').description('run the HTTP API (needs DATABASE_URL and TEMPORAL_ADDRESS)').action(runApi);
program.command('migrate').description('apply database migrations').action(runMigrate);
registerPolicyCommands(program);
program.addCommand(simulateCommand());
registerReportCommand(program);

program.parseAsync().catch((error: unknown) => {
  const detail = error instanceof Error ? (process.env.LIFELINE_DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(`lifeline: ${detail}\n`);
  process.exit(1);
});
