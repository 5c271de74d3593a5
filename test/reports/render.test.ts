import { describe, expect, it } from 'vitest';
import { buildReport, type ArmData, type ReportData } from '../../reports/build.ts';
import { renderReport } from '../../reports/render/index.ts';
import { csvField, CSV_COLUMNS } from '../../reports/render/csv.ts';
import { windowText } from '../../reports/render/format.ts';
import { niceCeiling } from '../../reports/render/svg.ts';
import { parseReportOptions } from '../../reports/rescue-report.ts';
import { RescueReport } from '../../reports/schema.ts';

const NASTY_CAMPAIGN = '<script>alert("x")</script>';
const NASTY_ARM = 'a "quoted", arm\nwith a line break & <b>tags</b>';

function arm(campaign: string, name: string, decided: number, rescued: number): ArmData {
  return {
    campaign,
    arm: name,
    holdout: name === 'holdout',
    assigned: decided + 3,
    decided,
    rescued,
    returnDays: Array.from({ length: rescued }, (_, i) => (i % 10) + 0.5),
    revenue: rescued * 12.5,
    windowDays: 14,
  };
}

const data: ReportData = {
  asOf: new Date('2026-03-01T00:00:00Z'),
  arms: [
    arm('winback', 'holdout', 1000, 50),
    arm('winback', 'email', 1000, 92),
    arm('winback', 'sms', 1000, 118),
    arm(NASTY_CAMPAIGN, 'holdout', 300, 15),
    arm(NASTY_CAMPAIGN, NASTY_ARM, 300, 21),
  ],
  messages: [
    { campaign: 'winback', arm: 'email', channel: 'email', sent: 1900, delivered: 1870, failed: 30, skipped: 12 },
    { campaign: 'winback', arm: 'sms', channel: 'sms', sent: 980, delivered: 950, failed: 20, skipped: 20 },
    { campaign: NASTY_CAMPAIGN, arm: NASTY_ARM, channel: 'webhook', sent: 300, delivered: 300, failed: 0, skipped: 0 },
  ],
  armChannels: { winback: { email: ['email'], sms: ['sms'] } },
  costs: { currency: 'USD', email: 0.001, sms: 0.0079, webhook: 0 },
};
const report = buildReport(data, parseReportOptions({ minimumDetectableEffect: 0.04 }));

/** A strict RFC 4180 reader, to prove the writer's quoting round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else if (ch === '\n' || ch === '\r' || ch === '"') {
      throw new Error(`bare ${JSON.stringify(ch)} at ${i}`);
    } else {
      field += ch;
    }
  }
  if (field !== '' || row.length) throw new Error('the last record does not end with CRLF');
  return rows;
}

describe('renderReport: table', () => {
  const table = renderReport(report, 'table');

  it('aligns every column: cells fill the width the separator line gives them', () => {
    const lines = table.split('\n');
    const start = lines.findIndex((l) => l.startsWith('arm '));
    const separator = lines[start + 1]!;
    const spans = [...separator.matchAll(/─+/g)].map((m) => [m.index!, m.index! + m[0].length]);
    expect(spans.length).toBe(17);
    const body = lines.slice(start + 2, lines.indexOf('', start));
    expect(body).toHaveLength(2);
    for (const line of body) {
      const chars = [...line];
      for (const [, end] of spans.slice(0, -1)) expect(chars.slice(end!, end! + 2).join(''), line).toBe('  ');
      // Numbers are right-aligned: the column's last character is not padding.
      for (const [, end] of spans.slice(1, -1)) expect(chars[end! - 1], line).not.toBe(' ');
    }
  });

  it('writes rates as percentages with their intervals, lifts in points, and the verdicts', () => {
    expect(table).toContain('campaign winback (window 14 days)');
    // Wilson 92/1000 = [7.56%, 11.15%]; Newcombe 92/1000 − 50/1000 = [+1.96, +6.48] pp (worked separately).
    expect(table).toMatch(/email\s+1003\s+3\s+1000\s+1900\s+1870\s+30\s+92\s+9\.2% \[7\.6%, 11\.2%\]\s+\+4\.2 pp \[\+2\.0 pp, \+6\.5 pp\]/);
    expect(table).toMatch(/holdout\s+1003\s+3\s+1000\s+0\s+0\s+0\s+50\s+5\.0% \[3\.8%, 6\.5%\]\s+—/);
    expect(table).toContain('better than holdout');
    expect(table).toMatch(/underpowered — need \d+ per arm/);
    expect(table).toMatch(/power: detecting a lift of 4\.0 percentage points/);
    expect(table).toContain('unit costs (USD): email 0.001, sms 0.0079, webhook 0');
  });

  it('has a channel table per campaign', () => {
    expect(table).toMatch(/sms\s+sms\s+1000\s+980\s+950\s+20\s+20\s+7\.74 USD\s+118/);
  });

  it('keeps line breaks and escape sequences in names out of the terminal', () => {
    expect(table).toContain('campaign <script>alert("x")</script> (window 14 days)');
    expect(table).toContain('a "quoted", arm\\nwith a line break & <b>tags</b>');
    const hostile = buildReport({ ...data, arms: [arm('x\u001b[2Jy', 'holdout', 10, 1)] }, parseReportOptions({}));
    expect(renderReport(hostile, 'table')).toContain('campaign x\\x1b[2Jy');
    expect(renderReport(hostile, 'table')).not.toContain('\u001b');
  });

  it('says so when nothing matches', () => {
    expect(renderReport({ ...report, campaigns: [] }, 'table')).toContain('no rescues match.');
  });
});

describe('renderReport: CSV', () => {
  const csv = renderReport(report, 'csv');
  const rows = parseCsv(csv);

  it('is RFC 4180: CRLF records, a header, the same number of fields in every record', () => {
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    for (const r of rows) expect(r).toHaveLength(CSV_COLUMNS.length);
  });

  it('has one record per campaign × arm and per campaign × channel', () => {
    const keys = rows.slice(1).map((r) => `${r[0]}|${r[1]}|${r[2]}`);
    expect(keys).toEqual([
      `${NASTY_CAMPAIGN}|arm|holdout`,
      `${NASTY_CAMPAIGN}|arm|${NASTY_ARM}`,
      `${NASTY_CAMPAIGN}|channel|webhook`,
      'winback|arm|holdout',
      'winback|arm|email',
      'winback|arm|sms',
      'winback|channel|email',
      'winback|channel|sms',
    ]);
  });

  it('quotes commas, quotes and line breaks so names survive a round trip', () => {
    expect(rows[2]![2]).toBe(NASTY_ARM);
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(0.44549999999999995)).toBe('0.4455');
  });

  it('writes rates as fractions and leaves undefined values empty', () => {
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    const email = rows.find((r) => r[0] === 'winback' && r[2] === 'email')!;
    expect(Number(email[col('rate')])).toBe(0.092);
    expect(Number(email[col('lift')])).toBeCloseTo(0.042, 12);
    expect(email[col('verdict')]).toBe('better');
    expect(email[col('cost')]).toBe('1.9');
    const holdout = rows.find((r) => r[0] === 'winback' && r[2] === 'holdout')!;
    expect(holdout[col('lift')]).toBe('');
    expect(holdout[col('verdict')]).toBe('baseline');
    const channel = rows.find((r) => r[0] === 'winback' && r[1] === 'channel' && r[2] === 'sms')!;
    expect(channel[col('assigned')]).toBe('');
    expect(channel[col('channel_cost')]).toBe('7.742');
  });
});

describe('renderReport: JSON', () => {
  it('is the report itself', () => {
    const json = renderReport(report, 'json');
    expect(RescueReport.parse(JSON.parse(json))).toEqual(report);
  });
});

describe('renderReport: HTML', () => {
  const html = renderReport(report, 'html');

  it('escapes campaign and arm names', () => {
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>tags</b>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('a &quot;quoted&quot;, arm\nwith a line break &amp; &lt;b&gt;tags&lt;/b&gt;');
  });

  it('fetches nothing: no scripts, no external stylesheet, image or font', () => {
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"\s]+/g) ?? []).toEqual(['http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg']);
  });

  it('draws per campaign a rate chart with whiskers (holdout marked) and a return curve, each titled for screen readers', () => {
    expect(html.match(/<svg class="rate-chart"[^>]*role="img"/g)).toHaveLength(2);
    expect(html.match(/<svg class="return-curve"[^>]*role="img"/g)).toHaveLength(2);
    expect(html).toContain('<title id="rate-1-title">Rescue rate per arm, campaign winback</title>');
    expect(html).toMatch(/<desc id="rate-1-desc">holdout: 5\.0%, 95% interval 3\.8% to 6\.5%; email: 9\.2%/);
    expect(html).toMatch(/<g class="arm holdout" data-arm="holdout" data-rate="0.05"/);
    expect(html).toMatch(/<g class="arm" data-arm="sms" data-rate="0.118"/);
    expect(html).toContain('class="holdout-rate"');
    expect(html.match(/<polyline /g)).toHaveLength(5);
    expect(html).toMatch(/<g class="curve holdout" data-arm="holdout"/);
  });

  it('has the tables with captions and the verdicts, and the glossary', () => {
    expect(html).toContain('<caption>Arms of winback against the holdout</caption>');
    expect(html).toMatch(/<td class="verdict verdict-better">better than holdout<\/td>/);
    expect(html).toMatch(/<td class="verdict verdict-underpowered">underpowered — need \d+ per arm<\/td>/);
    expect(html).toContain('<dt>cost per incremental rescue</dt>');
  });

  it('says so when nothing matches', () => {
    expect(renderReport({ ...report, campaigns: [] }, 'html')).toContain('<p class="empty">No rescues match.</p>');
  });
});

describe('chart scales', () => {
  it('round the axis up to 1, 2, 2.5 or 5 times a power of ten, never past 100%', () => {
    expect([0.093, 0.12, 0.2, 0.21, 0.0042, 0.6, 0.99, 1.2, 0].map(niceCeiling)).toEqual([0.1, 0.2, 0.2, 0.25, 0.005, 1, 1, 1, 1]);
  });
});

describe('window text', () => {
  it('says whole and fractional days, and hours under a day', () => {
    expect([14, 7, 1.5, 1, 1 / 24, 0.5].map(windowText)).toEqual(['14 days', '7 days', '1.5 days', '1 day', '1 hour', '12 hours']);
  });
});
