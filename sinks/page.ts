import { escapeHtml } from '../reports/render/escape.ts';

/** A bare HTML table of what a local sink kept, newest first; cells are escaped here. */
export function sinkPage(title: string, columns: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const body = [...rows]
    .reverse()
    .map((cells) => `<tr>${cells.map((cell) => `<td><pre>${escapeHtml(cell)}</pre></td>`).join('')}</tr>`)
    .join('\n');
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>` +
    `<h1>${escapeHtml(title)}</h1><table border="1" cellpadding="4"><tr>${head}</tr>${body}</table></body></html>`
  );
}
