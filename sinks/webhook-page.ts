import type { FastifyInstance } from 'fastify';
import { sinkPage } from './page.ts';
import type { WebhookSink } from './webhook-sink.ts';

/** A page listing the webhooks the local sink kept; mount with `{ prefix: '/dev/webhooks' }`. */
export async function webhookPage(app: FastifyInstance, sink: WebhookSink): Promise<void> {
  app.get('/', async (_request, reply) => {
    const rows = sink.requests.map((w, i) => [
      String(i + 1),
      w.receivedAt.toISOString(),
      w.url,
      w.signatureValid ? 'valid' : 'INVALID',
      w.idempotencyKey ?? '',
      w.body,
    ]);
    const html = sinkPage(`Local webhooks: ${sink.requests.length} request(s)`, ['#', 'received', 'to', 'signature', 'Idempotency-Key', 'body'], rows);
    return reply.type('text/html; charset=utf-8').send(html);
  });
}
