import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parsePolicy, STAGES } from '../rules/index.ts';
import { readConfig } from '../worker/config.ts';
import type { PolicyPreview } from '../worker/policy-changes.ts';
import { readLocalSecret } from './processes.ts';

export function registerPolicyCommands(program: Command): void {
  const policy = program
    .command('policy')
    .description('validate, preview and activate lifecycle policies (preview and apply go through a running API)');

  policy
    .command('check <file>')
    .alias('validate')
    .description('validate a policy file and print every mistake with its line and column')
    .action(async (file: string) => {
      const parsed = parsePolicy(await readFile(file, 'utf8'), basename(file));
      console.log(`${file}: valid — ${parsed.stages.length} stages, ${parsed.triggers.length} triggers`);
    });

  policy
    .command('preview <file>')
    .description('stage counts now under the active and the proposed policy, and what activating it would fire')
    .action(async (file: string) => {
      console.log(formatPreview(await callApi<PolicyPreview>('/v1/policy/preview', file)));
    });

  policy
    .command('apply <file>')
    .description('validate, store and activate a policy, then wake only the users whose stage it changes')
    .action(async (file: string) => {
      const result = await callApi<{ version: number; woken: number }>('/v1/policy', file);
      console.log(`policy v${result.version} is active; woke ${result.woken} users whose stage changes`);
    });
}

/** Sends the policy file to the API named by LIFELINE_URL (default: the local one) with the admin key. */
async function callApi<T>(path: string, file: string): Promise<T> {
  const config = readConfig();
  const source = await readFile(file, 'utf8');
  parsePolicy(source, basename(file)); // mistakes are reported here, with no server needed
  const url = new URL(path, config.LIFELINE_URL ?? `http://${config.HOST}:${config.PORT}`);
  const adminKey = process.env.LIFELINE_ADMIN_KEY ?? config.LIFELINE_ADMIN_KEYS[0] ?? (await readLocalSecret(config, 'admin-key'));
  if (!adminKey) throw new Error('set LIFELINE_ADMIN_KEY (the API’s LIFELINE_ADMIN_KEYS), or run `npm start` here first');
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/yaml', 'x-policy-file': basename(file) },
    body: source,
  }).catch((error: unknown) => {
    throw new Error(`cannot reach Lifeline at ${url.origin} (${describeError(error)}); is it running? set LIFELINE_URL otherwise`);
  });
  const body = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(`${url.origin} answered ${response.status}: ${body.message ?? JSON.stringify(body)}`);
  return body;
}

function describeError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
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
