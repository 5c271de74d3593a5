import type { CampaignReport } from '../schema.ts';
import { escapeHtml as e } from './escape.ts';
import { groupLabel, percent } from './format.ts';

/** Inline SVG charts: no script, no external asset, readable by screen readers through title and desc. */

const ARM_COLOURS = ['#1f77b4', '#d95f02', '#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#a6761d'];
const HOLDOUT_COLOUR = '#6b6b6b';

/** A round upper bound for an axis (1, 2, 2.5 or 5 times a power of ten) at or above `value`, at most 1. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value - 1e-12) return Math.min(1, step * power);
  return 1;
}

const fixed = (n: number) => Number(n.toFixed(1));

export function colourOf(campaign: CampaignReport, arm: string): string {
  const treated = campaign.arms.filter((a) => !a.holdout).map((a) => a.arm);
  const i = treated.indexOf(arm);
  return i < 0 ? HOLDOUT_COLOUR : ARM_COLOURS[i % ARM_COLOURS.length]!;
}

/** Rescue rate per arm as a dot with its interval's whiskers; the holdout in grey with a dashed reference line. */
export function rateChart(campaign: CampaignReport, id: string, confidence: number): string {
  const rows = campaign.arms.filter((a) => a.rate);
  const title = `Rescue rate per arm, campaign ${campaign.campaign}`;
  const desc =
    rows.length === 0
      ? 'No rescue is decided yet.'
      : rows.map((a) => `${groupLabel(a)}: ${percent(a.rate!.estimate)}, ${percent(confidence, 0)} interval ${percent(a.rate!.lower)} to ${percent(a.rate!.upper)}`).join('; ') + '.';
  const [left, right, top, rowHeight] = [150, 50, 20, 34];
  const width = 540;
  const plotWidth = width - left - right;
  const height = top + Math.max(1, rows.length) * rowHeight + 44;
  const max = niceCeiling(Math.max(0.01, ...rows.map((a) => a.rate!.upper)) * 1.05);
  const x = (rate: number) => fixed(left + (rate / max) * plotWidth);
  const axisY = top + Math.max(1, rows.length) * rowHeight;
  const ticks = Array.from({ length: 6 }, (_, i) => (max * i) / 5);
  const holdout = rows.find((a) => a.holdout);
  const parts = [
    ...svgHeading('rate-chart', { width, height, id, title, desc }),
    ...ticks.map(
      (t) =>
        `<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${axisY}" stroke="#e3e3e3"/><text x="${x(t)}" y="${axisY + 16}" text-anchor="middle" font-size="11">${e(percent(t, max < 0.05 ? 1 : 0))}</text>`,
    ),
    `<line x1="${left}" y1="${axisY}" x2="${width - right}" y2="${axisY}" stroke="#444"/>`,
    `<text x="${left + plotWidth / 2}" y="${axisY + 36}" text-anchor="middle" font-size="12">rescue rate (${e(percent(confidence, 0))} Wilson interval)</text>`,
  ];
  if (holdout) {
    parts.push(
      `<line class="holdout-rate" x1="${x(holdout.rate!.estimate)}" y1="${top - 6}" x2="${x(holdout.rate!.estimate)}" y2="${axisY}" stroke="${HOLDOUT_COLOUR}" stroke-dasharray="4 3"/>`,
    );
  }
  rows.forEach((a, i) => {
    const y = top + i * rowHeight + rowHeight / 2;
    const colour = colourOf(campaign, a.arm);
    const r = a.rate!;
    const label = groupLabel(a);
    parts.push(
      `<g class="arm${a.holdout ? ' holdout' : ''}" data-arm="${e(a.arm)}" data-rate="${r.estimate}" data-lower="${r.lower}" data-upper="${r.upper}">`,
      `<title>${e(`${label}: ${percent(r.estimate)} [${percent(r.lower)}, ${percent(r.upper)}], n = ${a.n}`)}</title>`,
      `<text x="${left - 10}" y="${y + 4}" text-anchor="end" font-size="12"${a.holdout ? ' font-style="italic"' : ''}>${e(label)}</text>`,
      `<line x1="${x(r.lower)}" y1="${y}" x2="${x(r.upper)}" y2="${y}" stroke="${colour}" stroke-width="2"/>`,
      `<line x1="${x(r.lower)}" y1="${y - 6}" x2="${x(r.lower)}" y2="${y + 6}" stroke="${colour}" stroke-width="2"/>`,
      `<line x1="${x(r.upper)}" y1="${y - 6}" x2="${x(r.upper)}" y2="${y + 6}" stroke="${colour}" stroke-width="2"/>`,
      a.holdout
        ? `<rect x="${x(r.estimate) - 5}" y="${y - 5}" width="10" height="10" fill="${colour}"/>`
        : `<circle cx="${x(r.estimate)}" cy="${y}" r="5" fill="${colour}"/>`,
      `<text x="${x(r.upper) + 8}" y="${y + 4}" font-size="11">${e(percent(r.estimate))}</text>`,
      `</g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Share of decided rescues returned by each day since assignment: one line per arm, the holdout dashed. */
export function returnCurveChart(campaign: CampaignReport, id: string): string {
  const curves = campaign.returnCurve;
  const days = Math.max(1, ...curves.map((c) => c.share.length - 1));
  const title = `Return curve, campaign ${campaign.campaign}: share of users back by days since assignment`;
  const desc =
    curves.length === 0
      ? 'No rescue is decided yet.'
      : curves.map((c) => `${groupLabel(c)}: ${percent(c.share[c.share.length - 1] ?? 0)} back by day ${c.share.length - 1}`).join('; ') + '.';
  const [left, right, top, bottom] = [56, 150, 16, 46];
  const [width, height] = [600, 300];
  const [plotWidth, plotHeight] = [width - left - right, height - top - bottom];
  const max = niceCeiling(Math.max(0.01, ...curves.flatMap((c) => c.share)) * 1.05);
  const x = (day: number) => fixed(left + (day / days) * plotWidth);
  const y = (share: number) => fixed(top + plotHeight - (share / max) * plotHeight);
  const yTicks = Array.from({ length: 6 }, (_, i) => (max * i) / 5);
  const dayStep = days <= 14 ? 1 : days <= 31 ? 7 : Math.ceil(days / 10);
  const xTicks = Array.from({ length: Math.floor(days / dayStep) + 1 }, (_, i) => i * dayStep);
  const parts = [
    ...svgHeading('return-curve', { width, height, id, title, desc }),
    ...yTicks.map(
      (t) =>
        `<line x1="${left}" y1="${y(t)}" x2="${left + plotWidth}" y2="${y(t)}" stroke="#e3e3e3"/><text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11">${e(percent(t, max < 0.05 ? 1 : 0))}</text>`,
    ),
    ...xTicks.map((d) => `<text x="${x(d)}" y="${top + plotHeight + 16}" text-anchor="middle" font-size="11">${d}</text>`),
    `<line x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}" stroke="#444"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#444"/>`,
    `<text x="${left + plotWidth / 2}" y="${height - 8}" text-anchor="middle" font-size="12">days since assignment</text>`,
    `<text transform="translate(14 ${top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="12">share returned</text>`,
  ];
  curves.forEach((c, i) => {
    const colour = colourOf(campaign, c.arm);
    const label = groupLabel(c);
    const path = c.share.map((s, d) => `${x(d)},${y(s)}`).join(' ');
    const legendY = top + 10 + i * 18;
    parts.push(
      `<g class="curve${c.holdout ? ' holdout' : ''}" data-arm="${e(c.arm)}" data-final-share="${c.share[c.share.length - 1] ?? 0}">`,
      `<title>${e(`${label}: ${c.share.map((s, d) => `day ${d} ${percent(s)}`).join(', ')}`)}</title>`,
      `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"${c.holdout ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<line x1="${left + plotWidth + 12}" y1="${legendY}" x2="${left + plotWidth + 32}" y2="${legendY}" stroke="${colour}" stroke-width="2"${c.holdout ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${left + plotWidth + 38}" y="${legendY + 4}" font-size="12">${e(label)}</text>`,
      `</g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The opening tag with the accessible name and description every chart carries. */
function svgHeading(className: string, c: { width: number; height: number; id: string; title: string; desc: string }): string[] {
  return [
    `<svg class="${className}" xmlns="http://www.w3.org/2000/svg" width="${c.width}" height="${c.height}" viewBox="0 0 ${c.width} ${c.height}" role="img" aria-labelledby="${c.id}-title ${c.id}-desc">`,
    `<title id="${c.id}-title">${e(c.title)}</title>`,
    `<desc id="${c.id}-desc">${e(c.desc)}</desc>`,
  ];
}
