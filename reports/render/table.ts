import type { RescueReport } from '../schema.ts';
import { groupLabel, windowText, costPerRescueText, costsText, daysText, filtersText, liftText, money, percent, pValueText, rateText, relativeLiftText, verdictText } from './format.ts';

/**
 * A cell on one line with nothing the terminal would act on: names are data, and a line break or an
 * escape sequence in one must neither break the table nor reach the terminal.
 */
function printable(cell: string): string {
  // eslint-disable-next-line no-control-regex
  return cell.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => (ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : ch === '\t' ? '\\t' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** Columns padded to their widest cell; numbers right-aligned, text left-aligned. */
function align(header: string[], cells: string[][], numeric: boolean[]): string {
  const rows = cells.map((row) => row.map(printable));
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const pad = ' '.repeat(width[i]! - [...cell].length);
        return numeric[i] ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(header), line(width.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

export function renderTable(report: RescueReport): string {
  const conf = percent(report.confidence, 0);
  const out: string[] = [printable(`Rescue report — ${filtersText(report)}`), `${conf} intervals; ${costsText(report)}; revenue within ${report.revenueDays} days of the return`];
  if (!report.campaigns.length) out.push('', 'no rescues match.');
  for (const c of report.campaigns) {
    const currency = report.costs.currency;
    out.push('', printable(`campaign ${c.campaign}`) + ` (window ${windowText(c.windowDays)})`, '');
    out.push(
      align(
        ['arm', 'assigned', 'pending', 'n', 'sent', 'delivered', 'failed', 'rescued', `rate [${conf}]`, `lift vs holdout [${conf}]`, 'relative', 'p', 'cost', 'cost / incremental rescue', 'median return', 'revenue', 'verdict'],
        c.arms.map((a) => [
          groupLabel(a),
          String(a.assigned),
          String(a.pending),
          String(a.n),
          String(a.messages.sent),
          String(a.messages.delivered),
          String(a.messages.failed),
          String(a.rescued),
          rateText(a.rate),
          liftText(a.lift),
          relativeLiftText(a),
          pValueText(a.pValue),
          money(a.cost, currency),
          costPerRescueText(a, currency),
          daysText(a.medianDaysToReturn),
          money(a.revenueAfterRescue, currency),
          verdictText(a),
        ]),
        [false, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, false],
      ),
    );
    if (c.channels.length) {
      out.push('', 'by channel (the arms that send on it, pooled, against the holdout; messages and cost on that channel)', '');
      out.push(
        align(
          ['channel', 'arms', 'n', 'sent', 'delivered', 'failed', 'skipped', 'channel cost', 'rescued', `rate [${conf}]`, `lift vs holdout [${conf}]`, 'p', 'cost / incremental rescue', 'verdict'],
          c.channels.map((ch) => [
            ch.channel,
            ch.arms.join(', '),
            String(ch.n),
            String(ch.messages.sent),
            String(ch.messages.delivered),
            String(ch.messages.failed),
            String(ch.messages.skipped),
            money(ch.channelCost, currency),
            String(ch.rescued),
            rateText(ch.rate),
            liftText(ch.lift),
            pValueText(ch.pValue),
            costPerRescueText(ch, currency),
            verdictText(ch),
          ]),
          [false, false, true, true, true, true, true, true, true, true, true, true, true, false],
        ),
      );
    }
    out.push('', printable(`power: ${c.power.message}`));
  }
  return out.join('\n') + '\n';
}
