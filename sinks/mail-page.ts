import type { FastifyInstance } from 'fastify';
import type { SmtpSink } from './smtp-sink.ts';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A page listing what the local SMTP sink received; mount with `{ prefix: '/dev/mail' }`. */
export async function mailPage(app: FastifyInstance, sink: SmtpSink): Promise<void> {
  app.get('/', async (_request, reply) => {
    const rows = sink.messages
      .map(
        (m, i) =>
          `<tr><td>${i + 1}</td><td>${m.receivedAt.toISOString()}</td><td>${escape(m.envelopeTo.join(', '))}</td>` +
          `<td>${escape(m.subject ?? '')}</td><td><code>${escape(m.messageId ?? '')}</code></td>` +
          `<td><pre>${escape(m.text ?? '')}</pre></td></tr>`,
      )
      .reverse()
      .join('\n');
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html><head><meta charset="utf-8"><title>Local mail (${sink.messages.length})</title></head><body>` +
          `<h1>Local mail: ${sink.messages.length} message(s)</h1>` +
          `<table border="1" cellpadding="4"><tr><th>#</th><th>received</th><th>to</th><th>subject</th><th>Message-ID</th><th>text</th></tr>${rows}</table>` +
          `</body></html>`,
      );
  });
}
