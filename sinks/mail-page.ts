import type { FastifyInstance } from 'fastify';
import { sinkPage } from './page.ts';
import type { SmtpSink } from './smtp-sink.ts';

/** A page listing what the local SMTP sink received; mount with `{ prefix: '/dev/mail' }`. */
export async function mailPage(app: FastifyInstance, sink: SmtpSink): Promise<void> {
  app.get('/', async (_request, reply) => {
    const rows = sink.messages.map((m, i) => [
      String(i + 1),
      m.receivedAt.toISOString(),
      m.envelopeTo.join(', '),
      m.subject ?? '',
      m.messageId ?? '',
      m.text ?? '',
    ]);
    const html = sinkPage(`Local mail: ${sink.messages.length} message(s)`, ['#', 'received', 'to', 'subject', 'Message-ID', 'text'], rows);
    return reply.type('text/html; charset=utf-8').send(html);
  });
}
