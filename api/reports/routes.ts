import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Database } from '../../db/client.ts';
import { renderReport } from '../../reports/render/index.ts';
import { parseReportOptions, ReportOptionsError, rescueReport } from '../../reports/rescue-report.ts';
import type { RescueReportOptions } from '../../reports/schema.ts';
import { CHANNELS, type Channel } from '../../rules/campaigns.ts';
import { adminKeyChecker, adminPageChecker } from '../auth.ts';
import { HttpError } from '../errors.ts';

export interface ReportRouteDeps {
  database: Database;
  adminKeys: readonly string[];
}

/** Query parameters, as the report option each one sets. */
const PARAMS = new Map<string, string>([
  ['campaign', 'campaign'],
  ['since', 'since'],
  ['until', 'until'],
  ['asOf', 'asOf'],
  ['mde', 'minimumDetectableEffect'],
  ['confidence', 'confidence'],
  ['revenueDays', 'revenueDays'],
]);
/** `cost.sms=0.01`: a channel's unit cost, overriding the active policy's `costs:` (option `costs.sms`). */
const COST_PARAMS = new Map<string, Channel>(CHANNELS.map((channel) => [`cost.${channel}`, channel]));
const PARAM_OF = new Map<string, string>([
  ...[...PARAMS].map(([param, option]): [string, string] => [option, param]),
  ...[...COST_PARAMS].map(([param, channel]): [string, string] => [`costs.${channel}`, param]),
]);
const NUMERIC = new Set(['mde', 'confidence', 'revenueDays']);
const number = (value: string) => (value.trim() === '' ? Number.NaN : Number(value));

const Query = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/** The query string as report options; a mistake is a 400 naming the parameter. */
function optionsOf(request: FastifyRequest, extra: readonly string[] = []): RescueReportOptions {
  const query = Query.parse(request.query ?? {});
  const issues: { field: string; rule: string; message: string }[] = [];
  const options: Record<string, unknown> = {};
  for (const [param, value] of Object.entries(query)) {
    if (extra.includes(param)) continue;
    const option = PARAMS.get(param);
    const costOf = COST_PARAMS.get(param);
    if (!option && !costOf) {
      issues.push({ field: param, rule: 'unknown', message: `${param} is not a parameter: use ${[...PARAMS.keys(), ...COST_PARAMS.keys(), ...extra].join(', ')}` });
    } else if (Array.isArray(value)) {
      issues.push({ field: param, rule: 'single', message: `${param} is given more than once` });
    } else if (costOf) {
      options.costs = { ...(options.costs as object | undefined), [costOf]: number(value) };
    } else {
      options[option!] = NUMERIC.has(param) ? number(value) : value;
    }
  }
  if (!issues.length) {
    try {
      parseReportOptions(options);
      return options as RescueReportOptions;
    } catch (error) {
      if (!(error instanceof ReportOptionsError)) throw error;
      for (const i of error.issues) {
        const param = PARAM_OF.get(i.option) ?? i.option;
        issues.push({ field: param, rule: 'invalid', message: `${param} ${i.message}` });
      }
    }
  }
  throw new HttpError(400, 'invalid_request', issues.map((i) => i.message).join('; '), issues);
}

function wantsCsv(request: FastifyRequest): boolean {
  const format = (request.query as Record<string, unknown> | undefined)?.format;
  if (format !== undefined) {
    if (format === 'csv') return true;
    if (format === 'json') return false;
    throw new HttpError(400, 'invalid_request', 'format must be json or csv', [{ field: 'format', rule: 'one_of', message: 'format must be json or csv' }]);
  }
  const accept = request.headers.accept ?? '';
  return /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

/**
 * The rescue report for analysts. `GET /v1/reports/rescue` answers JSON, or CSV with `?format=csv`
 * or `Accept: text/csv` (Bearer admin key, like the operator routes). `GET /reports/rescue` is the
 * HTML page for a browser, which also takes the admin key as the password of HTTP Basic auth so the
 * browser asks for it once (the key never goes into a URL, history or access log).
 */
export async function reportRoutes(app: FastifyInstance, deps: ReportRouteDeps): Promise<void> {
  const checkKey = adminKeyChecker(deps.adminKeys);
  const checkPage = adminPageChecker(deps.adminKeys);

  app.get('/v1/reports/rescue', async (request, reply) => {
    checkKey(request.headers.authorization);
    const csv = wantsCsv(request);
    const report = await rescueReport(deps.database, optionsOf(request, ['format']));
    if (!csv) return report;
    return reply
      .type('text/csv; charset=utf-8; header=present')
      .header('content-disposition', 'attachment; filename="rescue-report.csv"')
      .send(renderReport(report, 'csv'));
  });

  app.get('/reports/rescue', async (request, reply) => {
    checkPage(request.headers.authorization);
    const report = await rescueReport(deps.database, optionsOf(request));
    return reply
      .type('text/html; charset=utf-8')
      // Nothing on the page loads anything: say so to the browser as well.
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
      .header('cache-control', 'no-store')
      .send(renderReport(report, 'html'));
  });
}
