/** Whole cents, so revenue compares exactly in TypeScript and in SQL (events.revenue is numeric(14,2)). */
export function moneyCents(value: number | string): number | undefined {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = /^(-?)(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) return undefined;
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -cents : cents;
}
