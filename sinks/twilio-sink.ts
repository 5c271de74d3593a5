import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import twilio from 'twilio';
import { faultDice, type FaultKind, type RandomFaults } from './faults.ts';

export interface SinkSms {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  statusCallback?: string;
  status: 'queued' | 'sent' | 'delivered' | 'undelivered';
}

export interface CallbackResult {
  url: string;
  messageStatus: string;
  httpStatus: number | 'error';
}

export interface TwilioSink {
  /** Set as `client.api.baseUrl` on a real twilio client. */
  url: string;
  accountSid: string;
  authToken: string;
  /** Every message created, in order (including ones whose response was dropped). */
  readonly messages: SinkSms[];
  readonly callbacks: CallbackResult[];
  /** Answer the next `count` creates with this HTTP status (5xx) and create nothing. */
  failNext(count: number, status?: number): void;
  /** Create the next `count` messages, then close the connection without answering. */
  dropNext(count: number): void;
  /** Numbers that replied STOP: creating a message to them fails with 21610. */
  readonly optedOut: Set<string>;
  /** Numbers whose messages end `undelivered` (ErrorCode 30003) instead of `delivered`. */
  readonly unreachable: Set<string>;
  /** A reply from a handset, POSTed signed to the inbound webhook; STOP/START also change `optedOut` as Twilio does. */
  sendInbound(webhookUrl: string, message: { from: string; to: string; body: string }): Promise<Response>;
  /** Forgets faults not yet used (failNext, dropNext). */
  clearFaults(): void;
  /** Hold status callbacks back (as a slow Twilio would) until `resumeCallbacks`. */
  pauseCallbacks(): void;
  resumeCallbacks(): void;
  /** Resolves when every status callback sent so far has been answered. */
  settled(): Promise<void>;
  /** Random faults injected so far (the `faults` option), by kind. */
  readonly faultsInjected: Readonly<Record<FaultKind, number>>;
  clear(): void;
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const STOP = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const START = new Set(['START', 'UNSTOP', 'YES']);

export interface TwilioSinkOptions {
  accountSid?: string;
  authToken?: string;
  port?: number;
  /**
   * Seeded random faults on `rate` of creates: `error` answers 500, 503 or 429 and creates nothing;
   * `timeout` creates the message or not (a coin) and never answers; `dropped` creates it and
   * closes the connection unanswered. Runs beside failNext/dropNext, which go first.
   */
  faults?: RandomFaults;
  /** Called with each message created, before the client hears anything; awaited. */
  onMessage?: (sms: SinkSms) => Promise<unknown> | unknown;
}

/** A local HTTP service speaking the part of Twilio's Messages API Lifeline uses. */
export async function startTwilioSink(options: TwilioSinkOptions = {}): Promise<TwilioSink> {
  const accountSid = options.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const messages: SinkSms[] = [];
  const callbacks: CallbackResult[] = [];
  const pending = new Set<Promise<void>>();
  const optedOut = new Set<string>();
  const unreachable = new Set<string>();
  const failures: number[] = [];
  let drops = 0;
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const dice = faultDice(options.faults);
  /** Requests left without an answer: cut when the sink closes. */
  const hung = new Set<Socket>();

  const app: FastifyInstance = Fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const error = (reply: FastifyReply, status: number, code: number, message: string) =>
    reply.code(status).send({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

  app.post<{ Params: { sid: string }; Body: Record<string, string> }>('/2010-04-01/Accounts/:sid/Messages.json', async (request, reply) => {
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (request.headers.authorization !== expected || request.params.sid !== accountSid) {
      return error(reply, 401, 20003, 'Authentication Error - invalid username');
    }
    const failure = failures.shift();
    if (failure !== undefined) return error(reply, failure, 20500, 'Internal Server Error (sink fault)');
    const random = dice.roll();
    if (random === 'error') {
      const status = dice.pick([500, 503, 429]);
      return status === 429 ? error(reply, 429, 20429, 'Too Many Requests (sink fault)') : error(reply, status, 20500, 'Internal Server Error (sink fault)');
    }
    /** No answer at all: the client times out (or hears the connection close) and cannot know what happened. */
    const silence = (kind: 'timeout' | 'dropped') => {
      if (kind === 'timeout') hung.add(request.raw.socket);
      else request.raw.socket.destroy();
      return reply.hijack();
    };

    const form = request.body ?? {};
    const to = form.To ?? '';
    const from = form.From ?? form.MessagingServiceSid ?? '';
    const invalid: [code: number, message: string] | undefined = !E164.test(to)
      ? [21211, `The 'To' number ${to} is not a valid phone number.`]
      : !from
        ? [21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"]
        : !form.Body
          ? [21602, 'Message body is required.']
          : optedOut.has(to)
            ? [21610, 'Attempt to send to unsubscribed recipient']
            : undefined;
    if (invalid) return random ? silence(random) : error(reply, 400, ...invalid);
    // A provider that goes silent may or may not have created the message.
    if (random === 'timeout' && !dice.coin()) return silence(random);

    const sms: SinkSms = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      accountSid,
      to,
      from,
      body: form.Body!,
      statusCallback: form.StatusCallback,
      status: 'queued',
    };
    messages.push(sms);
    await options.onMessage?.(sms);
    if (sms.statusCallback) track(deliver(sms));
    if (random) return silence(random);
    if (drops > 0) {
      drops--;
      return silence('dropped');
    }
    return reply.code(201).send({
      sid: sms.sid,
      account_sid: accountSid,
      to: sms.to,
      from: form.From ?? null,
      messaging_service_sid: form.MessagingServiceSid ?? null,
      body: sms.body,
      status: sms.status,
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      price: null,
      error_code: null,
      error_message: null,
      date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sms.sid}.json`,
    });
  });

  function track(work: Promise<void>) {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  }

  async function deliver(sms: SinkSms): Promise<void> {
    // Let the create response go first, as Twilio's callbacks follow it.
    await new Promise((resolve) => setImmediate(resolve));
    while (gate) await gate.promise;
    await callback(sms, 'sent');
    if (unreachable.has(sms.to)) await callback(sms, 'undelivered', '30003');
    else await callback(sms, 'delivered');
  }

  async function callback(sms: SinkSms, status: SinkSms['status'], errorCode?: string): Promise<void> {
    sms.status = status;
    const params: Record<string, string> = {
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      From: sms.from,
      MessageSid: sms.sid,
      MessageStatus: status,
      SmsSid: sms.sid,
      SmsStatus: status,
      To: sms.to,
      ...(errorCode ? { ErrorCode: errorCode } : {}),
    };
    const url = sms.statusCallback!;
    callbacks.push({ url, messageStatus: status, httpStatus: await post(url, params) });
  }

  /** Signed as Twilio signs: HMAC-SHA1 of the URL and the sorted form parameters with the auth token. */
  async function post(url: string, params: Record<string, string>): Promise<number | 'error'> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, url, params),
        },
        body: new URLSearchParams(params).toString(),
      });
      await response.body?.cancel();
      return response.status;
    } catch {
      return 'error';
    }
  }

  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  return {
    url,
    accountSid,
    authToken,
    messages,
    callbacks,
    optedOut,
    unreachable,
    failNext: (count, status = 500) => {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    dropNext: (count) => {
      drops += count;
    },
    sendInbound: async (webhookUrl, message) => {
      const word = message.body.trim().toUpperCase();
      if (STOP.has(word)) optedOut.add(message.from);
      if (START.has(word)) optedOut.delete(message.from);
      const params = {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        Body: message.body,
        From: message.from,
        MessageSid: `SM${randomBytes(16).toString('hex')}`,
        NumMedia: '0',
        To: message.to,
        ...(STOP.has(word) ? { OptOutType: 'STOP' } : START.has(word) ? { OptOutType: 'START' } : {}),
      };
      return fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, webhookUrl, params),
        },
        body: new URLSearchParams(params).toString(),
      });
    },
    pauseCallbacks: () => {
      if (gate) return;
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
    },
    resumeCallbacks: () => {
      const current = gate;
      gate = undefined;
      current?.open();
    },
    settled: async () => {
      while (pending.size) await Promise.all([...pending]);
    },
    clearFaults: () => {
      failures.length = 0;
      drops = 0;
    },
    clear: () => {
      messages.length = 0;
      callbacks.length = 0;
      failures.length = 0;
      drops = 0;
      optedOut.clear();
      unreachable.clear();
    },
    faultsInjected: dice.injected,
    close: async () => {
      for (const socket of hung) socket.destroy();
      await app.close();
    },
  };
}
