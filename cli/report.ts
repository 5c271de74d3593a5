import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { renderReport, REPORT_FORMATS, type ReportFormat } from '../reports/render/index.ts';
import { parseReportOptions, ReportOptionsError, rescueReport } from '../reports/rescue-report.ts';
import { CHANNELS, type Channel } from '../rules/campaigns.ts';
import { readConfig } from '../worker/config.ts';
import { openConfiguredDatabase } from './processes.ts';

/** The flag that sets each report option, for errors that name what the user typed. */
const FLAGS: Record<string, string> = {
  campaign: '--campaign',
  since: '--since',
  until: '--until',
  asOf: '--as-of',
  confidence: '--confidence',
  minimumDetectableEffect: '--mde',
  revenueDays: '--revenue-days',
};

const number = (flag: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number, got "${value}"`);
  return n;
};

/** `--cost sms=0.01 email=0.002`: unit costs per channel, overriding the policy's `costs:`. */
function cost(value: string, previous: Partial<Record<Channel, number>> = {}): Partial<Record<Channel, number>> {
  const match = /^([a-z]+)=(.+)$/.exec(value);
  if (!match) throw new InvalidArgumentError(`--cost takes channel=value, e.g. sms=0.0079; got "${value}"`);
  const [, channel, amount] = match;
  if (!(CHANNELS as readonly string[]).includes(channel!)) throw new InvalidArgumentError(`--cost: unknown channel "${channel}": channels are ${CHANNELS.join(', ')}`);
  const n = Number(amount);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`--cost ${channel}: the cost per message must be a number, 0 or more; got "${amount}"`);
  return { ...previous, [channel!]: n };
}

interface ReportFlags {
  campaign?: string;
  since?: string;
  until?: string;
  asOf?: string;
  format?: ReportFormat;
  out?: string;
  cost?: Partial<Record<Channel, number>>;
  mde?: number;
  confidence?: number;
  revenueDays?: number;
}

/** --format, else the --out file's extension (.html, .csv, .json), else the terminal table. */
function formatOf(flags: ReportFlags): ReportFormat {
  if (flags.format) return flags.format;
  const ext = flags.out ? extname(flags.out).slice(1).toLowerCase() : '';
  return ext === 'htm' ? 'html' : (REPORT_FORMATS as readonly string[]).includes(ext) && ext !== 'table' ? (ext as ReportFormat) : 'table';
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('rescue report: per campaign and arm (and per channel) the rescue rate, lift over the holdout with intervals, cost per incremental rescue')
    .option('--campaign <name>', 'only this campaign')
    .option('--since <instant>', 'rescues assigned at or after this ISO 8601 instant')
    .option('--until <instant>', 'rescues assigned before this ISO 8601 instant')
    .option('--as-of <instant>', 'count rescues whose window closed by then (default: the latest recorded outcome)')
    .addOption(new Option('--format <format>', 'output format (default: from the --out extension, else table)').choices(REPORT_FORMATS))
    .option('--out <file>', 'write the report to this file instead of the terminal')
    .option('--cost <channel=value...>', 'unit cost per message, overriding the policy (repeatable: --cost sms=0.01 email=0.001)', cost)
    .option('--mde <effect>', 'minimum detectable effect the campaign was sized for, as a difference of rates (0.02 = 2 points)', number('--mde'))
    .option('--confidence <level>', 'confidence level of the intervals (default 0.95)', number('--confidence'))
    .option('--revenue-days <days>', 'revenue after rescue counts this many days from the return (default 30)', number('--revenue-days'))
    .action(async (flags: ReportFlags) => {
      const options = toOptions(flags);
      const config = readConfig();
      const database = await openConfiguredDatabase(config);
      try {
        const text = renderReport(await rescueReport(database, options), formatOf(flags));
        if (flags.out) {
          await writeFile(flags.out, text);
          console.error(`wrote ${flags.out}`);
        } else process.stdout.write(text);
      } finally {
        await database.close();
      }
    });
}

/** The flags as report options, checked before the database is opened; mistakes name the flag. */
function toOptions(flags: ReportFlags) {
  const options = {
    campaign: flags.campaign,
    since: flags.since,
    until: flags.until,
    asOf: flags.asOf,
    costs: flags.cost,
    minimumDetectableEffect: flags.mde,
    confidence: flags.confidence,
    revenueDays: flags.revenueDays,
  };
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  try {
    parseReportOptions(given);
  } catch (error) {
    if (!(error instanceof ReportOptionsError)) throw error;
    const flag = (option: string) => FLAGS[option] ?? (option.startsWith('costs.') ? `--cost ${option.slice(6)}` : `--${option}`);
    throw new Error(error.issues.map((i) => `${flag(i.option)}: ${i.message}`).join('\n'), { cause: error });
  }
  return given;
}
