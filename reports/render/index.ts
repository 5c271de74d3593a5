import type { ReportFormat, RescueReport } from '../schema.ts';
import { renderCsv } from './csv.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderTable } from './table.ts';

export { REPORT_FORMATS, type ReportFormat } from '../schema.ts';

/** The report as a terminal table, CSV (RFC 4180), JSON, or a self-contained HTML page with SVG charts. */
export function renderReport(report: RescueReport, format: ReportFormat): string {
  switch (format) {
    case 'table':
      return renderTable(report);
    case 'csv':
      return renderCsv(report);
    case 'json':
      return renderJson(report);
    case 'html':
      return renderHtml(report);
  }
}
