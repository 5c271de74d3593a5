import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parsePolicy, STAGES, type Policy } from '../rules/index.ts';
import { readConfig } from '../worker/config.ts';
import { applyPolicy, previewPolicy, type PolicyPreview } from '../worker/policy-changes.ts';
import { createTemporalWaker } from '../worker/temporal-waker.ts';
import { openConfiguredDatabase } from './processes.ts';

async function readPolicyFile(file: string): Promise<{ policy: Policy; source: string }> {
  const source = await readFile(file, 'utf8');
  return { policy: parsePolicy(source, basename(file)), source };
}

export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('validate, preview and activate lifecycle policies');

  policy
    .command('check <file>')
    .alias('validate')
    .description('validate a policy file and print every mistake with its line and column')
    .action(async (file: string) => {
      const { policy: parsed } = await readPolicyFile(file);
      console.log(`${file}: valid — ${parsed.stages.length} stages, ${parsed.triggers.length} triggers`);
    });

  policy
    .command('preview <file>')
    .description('show stage counts under the active and the proposed policy, and what activating it would fire now')
    .action(async (file: string) => {
      const { policy: proposed } = await readPolicyFile(file);
      const database = await openConfiguredDatabase(readConfig());
      try {
        console.log(formatPreview(await previewPolicy(database, proposed)));
      } finally {
        await database.close();
      }
    });

  policy
    .command('apply <file>')
    .description('validate, store and activate a policy, then wake only the users whose stage it changes')
    .action(async (file: string) => {
      const config = readConfig();
      if (!config.TEMPORAL_ADDRESS) throw new Error('set TEMPORAL_ADDRESS: applying a policy wakes the affected users’ workflows');
      const { policy: proposed, source } = await readPolicyFile(file);
      const database = await openConfiguredDatabase(config);
      const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
      try {
        const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
        const result = await applyPolicy(database, proposed, source, createTemporalWaker(client, config.LIFELINE_TASK_QUEUE));
        console.log(`policy v${result.version} is active; woke ${result.woken} users whose stage changes`);
      } finally {
        await connection.close();
        await database.close();
      }
    });
}

export function formatPreview(preview: PolicyPreview): string {
  const width = Math.max(...STAGES.map((s) => s.length));
  const lines = [
    `stage${' '.repeat(width - 5)}  ${'active' + (preview.activeVersion ? ` v${preview.activeVersion}` : '')}  proposed`,
    ...STAGES.map(
      (stage) =>
        `${stage.padEnd(width)}  ${String(preview.counts.active[stage]).padStart(9)}  ${String(preview.counts.proposed[stage]).padStart(8)}`,
    ),
    '',
    preview.transitions.length ? 'activating it now would move:' : 'activating it now would move nobody',
    ...preview.transitions.map((t) => {
      const fires = [...t.warnings.map((w) => `warn ${w.channel === 'webhook' ? w.url : w.to}`), ...t.rescues.map((r) => `rescue ${r}`)];
      return `  ${String(t.users).padStart(7)}  ${t.from ?? '(unclassified)'} → ${t.to}${fires.length ? `  fires: ${fires.join(', ')}` : ''}`;
    }),
  ];
  return lines.join('\n');
}
