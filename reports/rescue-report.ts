import type { Database } from '../db/client.ts';
import { buildReport } from './build.ts';
import { gatherReportData } from './queries.ts';
import { RescueReportOptions, type ResolvedOptions, type RescueReport } from './schema.ts';

export { RescueReport, RescueReportOptions } from './schema.ts';

/** Bad report options: one line per problem, each naming the option and the rule broken. */
export class ReportOptionsError extends Error {
  constructor(readonly issues: { option: string; message: string }[]) {
    super(issues.map((i) => `${i.option}: ${i.message}`).join('\n'));
    this.name = 'ReportOptionsError';
  }
}

export function parseReportOptions(options: unknown): ResolvedOptions {
  const result = RescueReportOptions.safeParse(options ?? {});
  if (result.success) return result.data;
  throw new ReportOptionsError(
    result.error.issues.map((issue) => ({
      option: issue.path.map(String).join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(options)'),
      message: issue.code === 'unrecognized_keys' ? `unknown option: allowed are ${Object.keys(RescueReportOptions.shape).join(', ')}` : issue.message,
    })),
  );
}

/**
 * The rescue report: per campaign, each arm and each channel against the holdout (rate, lift,
 * p-value, cost per incremental rescue, time to return, revenue after rescue), the return curves and
 * the power note. Works on PostgreSQL and PGlite; reads only.
 */
export async function rescueReport(database: Database, options: RescueReportOptions = {}): Promise<RescueReport> {
  const resolved = parseReportOptions(options);
  return buildReport(await gatherReportData(database, resolved), resolved);
}
