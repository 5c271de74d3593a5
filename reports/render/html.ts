import type { ArmRow, CampaignReport, ChannelRow, RescueReport } from '../schema.ts';
import { escapeHtml as e } from './escape.ts';
import { groupLabel, windowText, costPerRescueText, costsText, daysText, filtersText, liftText, money, percent, pValueText, rateText, relativeLiftText, verdictText } from './format.ts';
import { rateChart, returnCurveChart } from './svg.ts';

/** Inline, so the page works offline and from a file: no stylesheet, font, script or image is fetched. */
const STYLE = `
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1d; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
  h1 { font-size: 1.5rem; margin-bottom: .25rem; }
  h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: .25rem; }
  h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
  .meta, .note { color: #555; }
  .charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
  figure { margin: 0; width: min-content; }
  figcaption { color: #444; font-size: .9em; margin-top: .25rem; }
  .scroll { overflow-x: auto; }
  table { border-collapse: collapse; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
  caption { text-align: left; font-weight: 600; padding: .25rem 0; }
  th, td { border-bottom: 1px solid #e5e5e5; padding: .3rem .6rem; white-space: nowrap; }
  th { background: #f6f6f6; text-align: left; }
  td.num { text-align: right; }
  tr.holdout td { color: #555; font-style: italic; }
  .verdict-better { color: #0a6b2d; font-weight: 600; }
  .verdict-worse { color: #a11; font-weight: 600; }
  .verdict-underpowered { color: #8a5a00; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
  dt { font-weight: 600; }
`;

const num = (text: string | number) => `<td class="num">${e(text)}</td>`;
const txt = (text: string) => `<td>${e(text)}</td>`;
const verdictCell = (row: ArmRow | ChannelRow) => `<td class="verdict verdict-${row.verdict.replace(/\s+/g, '-')}">${e(verdictText(row))}</td>`;

function armTable(c: CampaignReport, report: RescueReport): string {
  const conf = percent(report.confidence, 0);
  const currency = report.costs.currency;
  const head = ['arm', 'assigned', 'pending', 'decided (n)', 'sent', 'delivered', 'failed', 'rescued', `rate [${conf}]`, `lift vs holdout [${conf}]`, 'relative lift', 'p-value', 'cost', 'cost per incremental rescue', 'median days to return', 'revenue after rescue', 'revenue per user', 'verdict'];
  const rows = c.arms.map(
    (a) =>
      `<tr class="${a.holdout ? 'holdout' : 'arm'}" data-arm="${e(a.arm)}"><th scope="row">${e(groupLabel(a))}</th>` +
      [a.assigned, a.pending, a.n, a.messages.sent, a.messages.delivered, a.messages.failed, a.rescued].map(num).join('') +
      [rateText(a.rate), liftText(a.lift), relativeLiftText(a), pValueText(a.pValue), money(a.cost, currency), costPerRescueText(a, currency), daysText(a.medianDaysToReturn), money(a.revenueAfterRescue, currency), a.revenuePerUser === null ? '—' : money(a.revenuePerUser, currency)].map(num).join('') +
      verdictCell(a) +
      '</tr>',
  );
  return `<table class="arms"><caption>Arms of ${e(c.campaign)} against the holdout</caption><thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function channelTable(c: CampaignReport, report: RescueReport): string {
  if (!c.channels.length) return '';
  const conf = percent(report.confidence, 0);
  const currency = report.costs.currency;
  const head = ['channel', 'arms pooled', 'decided (n)', 'sent', 'delivered', 'failed', 'skipped', 'cost on channel', 'rescued', `rate [${conf}]`, `lift vs holdout [${conf}]`, 'p-value', 'cost per incremental rescue', 'verdict'];
  const rows = c.channels.map(
    (ch) =>
      `<tr data-channel="${e(ch.channel)}"><th scope="row">${e(ch.channel)}</th>${txt(ch.arms.join(', '))}` +
      [ch.n, ch.messages.sent, ch.messages.delivered, ch.messages.failed, ch.messages.skipped, money(ch.channelCost, currency), ch.rescued, rateText(ch.rate), liftText(ch.lift), pValueText(ch.pValue), costPerRescueText(ch, currency)].map(num).join('') +
      verdictCell(ch) +
      '</tr>',
  );
  return `<table class="channels"><caption>By channel: the arms that send on it, pooled, against the holdout</caption><thead><tr>${head.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function campaignSection(c: CampaignReport, i: number, report: RescueReport): string {
  return `<section class="campaign" data-campaign="${e(c.campaign)}" aria-labelledby="campaign-${i}">
<h2 id="campaign-${i}">Campaign ${e(c.campaign)}</h2>
<p class="note">Attribution window ${e(windowText(c.windowDays))}. Power: ${e(c.power.message)}.</p>
<div class="charts">
<figure>${rateChart(c, `rate-${i}`, report.confidence)}<figcaption>Rescue rate per arm with ${e(percent(report.confidence, 0))} intervals; the dashed line is the holdout's rate.</figcaption></figure>
<figure>${returnCurveChart(c, `curve-${i}`)}<figcaption>Share of users back by days since assignment.</figcaption></figure>
</div>
<div class="scroll">${armTable(c, report)}</div>
<div class="scroll">${channelTable(c, report)}</div>
</section>`;
}

const GLOSSARY: [string, string][] = [
  ['assigned', 'rescues started in the selection, whatever their state'],
  ['pending', 'assigned, but the attribution window had not closed by the report’s cutoff: left out of every rate'],
  ['decided (n)', 'rescues whose window closed with a recorded outcome: the denominator of the rates'],
  ['rescued', 'decided rescues whose user met the campaign’s success definition within the window'],
  ['rate', 'rescued / n, with a Wilson score interval'],
  ['lift', 'the arm’s rate minus the holdout’s, in percentage points, with a Newcombe hybrid score interval'],
  ['relative lift', 'the arm’s rate over the holdout’s, minus 1, with Katz’s log interval'],
  ['p-value', 'two-sided pooled two-proportion z-test against the holdout'],
  ['cost', 'messages handed to a provider × the channel’s unit cost'],
  ['cost per incremental rescue', 'cost / (lift × n): what each user who would not have come back anyway cost; ∞ when the lift interval reaches 0'],
  ['revenue after rescue', 'revenue of rescued users from their return to the revenue window’s end'],
  ['verdict', 'better / worse when the lift interval excludes 0; underpowered when the comparison lacks the users to tell (no winner is declared)'],
];

export function renderHtml(report: RescueReport): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lifeline rescue report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Rescue report</h1>
<p class="meta">${e(filtersText(report))}. ${e(percent(report.confidence, 0))} intervals; ${e(costsText(report))}; revenue within ${e(report.revenueDays)} days of the return.</p>
${report.campaigns.length ? report.campaigns.map((c, i) => campaignSection(c, i, report)).join('\n') : '<p class="empty">No rescues match.</p>'}
<h2>What the numbers mean</h2>
<dl>${GLOSSARY.map(([term, meaning]) => `<dt>${e(term)}</dt><dd>${e(meaning)}</dd>`).join('')}</dl>
</main>
</body>
</html>
`;
}
