import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { faultDice, type FaultKind, type RandomFaults } from './faults.ts';

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  messageId?: string;
  subject?: string;
  text?: string;
  /** Raw header lines as received, in order: what a strict check of headers should read. */
  headerLines: readonly { key: string; line: string }[];
  parsed: ParsedMail;
  receivedAt: Date;
}

export interface SmtpFault {
  /** SMTP reply code: 4xx asks the sender to retry, 5xx refuses. */
  code: number;
  /** Refuse the recipient (RCPT TO) or the message after DATA. */
  stage?: 'rcpt' | 'data';
}

export interface SmtpSink {
  port: number;
  /** Connection URL for createMailTransport. */
  url: string;
  /** Every accepted message, in arrival order; a resent Message-ID appears again. */
  readonly messages: ReceivedMail[];
  /** Refuse the next `count` deliveries with `fault`. */
  failNext(count: number, fault: SmtpFault): void;
  /** Keep the next `count` messages, then close the connection without confirming them. */
  dropNext(count: number): void;
  /** Accept mail to `address`, and queue a bounce report (an asynchronous DSN) for it. */
  bounce(address: string): void;
  /** Hands every queued bounce to `onBounce`, as a DSN arriving later would. */
  deliverBounces(): Promise<void>;
  /** Forgets faults not yet used (failNext, dropNext). */
  clearFaults(): void;
  /** Message-IDs seen more than once. */
  duplicateMessageIds(): string[];
  /** Random faults injected so far (the `faults` option), by kind. */
  readonly faultsInjected: Readonly<Record<FaultKind, number>>;
  clear(): void;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  port?: number;
  /** Called for each bounce of an address registered with `bounce()`: wire it to recordEmailBounce. */
  onBounce?: (bounce: { messageId: string; recipient: string }) => Promise<unknown> | unknown;
  /**
   * Seeded random faults on `rate` of deliveries: `error` answers 451 after DATA; `timeout` takes
   * the message, keeps it or not (a coin), and never answers; `dropped` keeps it and closes the
   * connection unanswered. Runs beside failNext/dropNext, which go first.
   */
  faults?: RandomFaults;
  /** Called with each message kept, before the sender hears anything; awaited. */
  onMessage?: (mail: ReceivedMail) => Promise<unknown> | unknown;
}

/** An in-process SMTP server that keeps what it receives, for `npm start` and tests. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const faults: SmtpFault[] = [];
  let drops = 0;
  const bouncing = new Set<string>();
  const queuedBounces: { messageId: string; recipient: string }[] = [];
  const dice = faultDice(options.faults);
  /** Sessions left waiting for an answer that never comes: cut when the sink closes. */
  const hung = new Set<string>();

  // Worded like real servers, which quote the recipient.
  const refusal = (fault: SmtpFault, recipient = '') =>
    Object.assign(new Error(fault.code >= 500 ? `<${recipient}>: Recipient address rejected (sink fault)` : 'Try again later (sink fault)'), {
      responseCode: fault.code,
    });

  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onRcptTo(address, _session, callback) {
      if (faults[0]?.stage === 'rcpt') return callback(refusal(faults.shift()!, address.address));
      callback();
    },
    onData(stream, session, callback) {
      const fault = faults[0]?.stage !== 'rcpt' ? faults.shift() : undefined;
      const random = fault ? undefined : dice.roll();
      if (fault || random === 'error') {
        stream.on('end', () => callback(refusal(fault ?? { code: 451 })));
        stream.resume();
        return;
      }
      simpleParser(stream)
        .then(async (parsed) => {
          const mail: ReceivedMail = {
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            messageId: parsed.messageId,
            subject: parsed.subject,
            text: parsed.text,
            headerLines: parsed.headerLines,
            parsed,
            receivedAt: new Date(),
          };
          // A server that goes silent may or may not have committed the message.
          const kept = random !== 'timeout' || dice.coin();
          if (kept) {
            messages.push(mail);
            await options.onMessage?.(mail);
          }
          if (random === 'timeout') {
            hung.add(session.id);
            return;
          }
          if (random === 'dropped' || drops > 0) {
            if (random !== 'dropped') drops--;
            return dropConnection(server, session.id);
          }
          callback();
          for (const recipient of mail.envelopeTo) {
            if (bouncing.has(recipient.toLowerCase()) && mail.messageId) queuedBounces.push({ messageId: mail.messageId, recipient });
          }
        })
        .catch((error: Error) => callback(error));
    },
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    messages,
    failNext: (count, fault) => {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    dropNext: (count) => {
      drops += count;
    },
    bounce: (address) => bouncing.add(address.toLowerCase()),
    deliverBounces: async () => {
      for (const bounce of queuedBounces.splice(0)) await options.onBounce?.(bounce);
    },
    duplicateMessageIds: () => {
      const seen = new Map<string, number>();
      for (const m of messages) if (m.messageId) seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1);
      return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    },
    faultsInjected: dice.injected,
    clearFaults: () => {
      faults.length = 0;
      drops = 0;
    },
    clear: () => {
      messages.length = 0;
      faults.length = 0;
      drops = 0;
      bouncing.clear();
      queuedBounces.length = 0;
    },
    close: () => {
      for (const id of hung) dropConnection(server, id);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The message is stored, but the sender never hears "250 OK": the accepted-then-dropped fault. */
function dropConnection(server: SMTPServer, sessionId: string): void {
  const connections = (server as unknown as { connections: Set<{ id: string; _socket?: { destroy(): void } }> }).connections;
  for (const connection of connections) {
    if (connection.id === sessionId) connection._socket?.destroy();
  }
}
