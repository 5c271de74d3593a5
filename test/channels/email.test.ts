import { ApplicationFailure } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailTransport, messageIdFor } from '../../activities/channels/email.ts';
import { signWebhook } from '../../activities/signature.ts';
import { addUser, BOUNCE_SECRET, deferred, emailInput, ledger, startRig, suppressionsOf, type Rig } from './support.ts';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

const mailTo = (address: string) => rig.smtp.messages.filter((m) => m.envelopeTo.includes(address));

describe('email through sendMessage to a real SMTP server', () => {
  it('sends once, with a Message-ID derived from the key and one List-Unsubscribe header', async () => {
    await addUser(rig.database, 'e1', { email: 'ada@example.com', firstName: 'Ada' });
    const input = emailInput('e1', 'rescue:e1:winback:1', {
      template: { subject: 'We miss you, {{user.firstName}}', body: 'Come back for {{offer}}. Unsubscribe: {{unsubscribe_url}}' },
    });
    const first = await rig.sendMessage(input);
    const again = await rig.sendMessage(input);

    const messageId = messageIdFor('rescue:e1:winback:1', 0, 'winback.test');
    expect(first).toEqual({ status: 'sent', providerId: messageId });
    expect(again).toEqual({ status: 'sent', providerId: messageId });
    const received = mailTo('ada@example.com');
    expect(received).toHaveLength(1);
    const mail = received[0]!;
    expect(mail.messageId).toBe(messageId);
    expect(mail.subject).toBe('We miss you, Ada');

    // Long headers arrive folded (RFC 5322 §2.2.3); unfolding removes the line breaks only.
    const lines = mail.headerLines.filter((h) => h.key === 'list-unsubscribe').map((h) => h.line.replace(/\r?\n(?=[ \t])/g, ''));
    expect(lines).toHaveLength(1);
    const match = /^List-Unsubscribe: <(https?:\/\/[^>]+)>, <(mailto:[^>]+)>$/.exec(lines[0]!);
    expect(match, lines[0]).not.toBeNull();
    const [, url, mailto] = match!;
    expect(url).toMatch(new RegExp(`^${rig.apiUrl}/v1/unsubscribe\\?token=[A-Za-z0-9_-]+\\.email\\.[A-Za-z0-9_-]+$`));
    expect(mailto).toMatch(/^mailto:unsubscribe@winback\.test\?subject=unsubscribe%20/);
    expect(url).not.toContain('ada');
    expect(mail.headerLines.filter((h) => h.key === 'list-unsubscribe-post').map((h) => h.line)).toEqual([
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    ]);
    // mailparser's own reading of the header agrees.
    const list = mail.parsed.headers.get('list') as { unsubscribe?: { url?: string; mail?: string } };
    expect(list.unsubscribe?.url).toBe(url);
    expect(mail.text).toContain(`Unsubscribe: ${url}`);

    expect(await ledger(rig.database, 'rescue:e1:winback:1')).toMatchObject({ status: 'sent', provider_id: messageId, attempts: 1 });
  });

  it('after a crash during the SMTP call the retry records the outcome unknown and sends nothing', async () => {
    await addUser(rig.database, 'e2', { email: 'crash@example.com' });
    const input = emailInput('e2', 'rescue:e2:winback:1', { template: { subject: 'Hi', body: 'Back?' } });
    const reached = deferred();
    const stuck = { sendMail: () => (reached.resolve(), new Promise(() => {})) } as unknown as Transporter;
    void rig.withDeps({ mailer: stuck })(input); // the worker "dies" here: the call never returns
    await reached.promise;
    expect(await ledger(rig.database, 'rescue:e2:winback:1')).toMatchObject({ status: 'sending', attempts: 1 });

    const unknown = { status: 'failed', reason: 'unknown_outcome: an earlier attempt ended during the provider call', permanent: false };
    expect(await rig.sendMessage(input)).toMatchObject(unknown);
    expect(await rig.sendMessage(input)).toMatchObject(unknown);
    expect(mailTo('crash@example.com')).toHaveLength(0);
    expect(await ledger(rig.database, 'rescue:e2:winback:1')).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('accepted then connection dropped: recorded unknown, never resent, so the server holds it once', async () => {
    await addUser(rig.database, 'e3', { email: 'drop@example.com' });
    const input = emailInput('e3', 'rescue:e3:winback:1', { template: { subject: 'Hi', body: 'Back?' } });
    rig.smtp.dropNext(1);
    const result = await rig.sendMessage(input);
    expect(result).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^unknown_outcome: smtp ECONNECTION/), permanent: false });
    expect(await rig.sendMessage(input)).toEqual(result);
    expect(mailTo('drop@example.com').map((m) => m.messageId)).toEqual([messageIdFor('rescue:e3:winback:1', 0, 'winback.test')]);
  });

  it('a refused connection proves nothing was sent: retried, then sent once', async () => {
    await addUser(rig.database, 'e20', { email: 'refused@example.com' });
    const input = emailInput('e20', 'rescue:e20:winback:1', { template: { subject: 'Hi', body: 'Back?' } });
    const closed = await closedPort();
    const nowhere = createMailTransport(`smtp://127.0.0.1:${closed}?ignoreTLS=true`, { maxConnections: 1, timeoutMs: 2_000 });
    try {
      const error = await rig.withDeps({ mailer: nowhere })(input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect((error as ApplicationFailure).nonRetryable).toBe(false);
      expect((error as ApplicationFailure).message).toMatch(/ECONNREFUSED/);
    } finally {
      nowhere.close();
    }
    expect(await ledger(rig.database, 'rescue:e20:winback:1')).toMatchObject({ status: 'queued' });
    expect(await rig.sendMessage(input)).toMatchObject({ status: 'sent' });
    expect(mailTo('refused@example.com')).toHaveLength(1);
  });

  it('a slow first attempt that succeeds after its retry recorded the outcome unknown corrects the row to sent', async () => {
    await addUser(rig.database, 'e21', { email: 'slow@example.com' });
    const input = emailInput('e21', 'rescue:e21:winback:1', { template: { subject: 'Hi', body: 'Back?' } });
    const reached = deferred();
    const release = deferred();
    const slow = {
      sendMail: async (mail: object) => {
        reached.resolve();
        await release.promise;
        return rig.mailer.sendMail(mail);
      },
    } as unknown as Transporter;
    const first = rig.withDeps({ mailer: slow })(input);
    await reached.promise;
    // Temporal timed the first attempt out and retried: the retry cannot know, and sends nothing.
    expect(await rig.sendMessage(input)).toMatchObject({ status: 'failed', permanent: false });
    release.resolve();
    expect(await first).toMatchObject({ status: 'sent' });
    expect(await ledger(rig.database, 'rescue:e21:winback:1')).toMatchObject({ status: 'sent', reason: null });
    expect(mailTo('slow@example.com')).toHaveLength(1);
  });

  it('retries a 4xx and sends once', async () => {
    await addUser(rig.database, 'e4', { email: 'busy@example.com' });
    const input = emailInput('e4', 'rescue:e4:winback:1', { template: { subject: 'Hi', body: 'Back?' } });
    rig.smtp.failNext(1, { code: 451 });
    await expect(rig.sendMessage(input)).rejects.toThrow(/smtp 451/);
    expect(await ledger(rig.database, 'rescue:e4:winback:1')).toMatchObject({ status: 'queued' });
    expect(await rig.sendMessage(input)).toMatchObject({ status: 'sent' });
    expect(mailTo('busy@example.com')).toHaveLength(1);
  });

  it('a 5xx for the recipient bounces, suppresses email, and is permanent', async () => {
    await addUser(rig.database, 'e5', { email: 'gone@example.com' });
    rig.smtp.failNext(1, { code: 550, stage: 'rcpt' });
    const result = await rig.sendMessage(emailInput('e5', 'rescue:e5:winback:1'));
    expect(result).toMatchObject({ status: 'bounced', permanent: true });
    // The server quoted the address; the reason (bound for workflow history) must not.
    expect(result.reason).toMatch(/^smtp 550 at RCPT TO: .*<email>/);
    expect(JSON.stringify(result)).not.toContain('gone@example.com');
    expect(await suppressionsOf(rig.database, 'e5')).toEqual([{ channel: 'email', reason: 'bounced' }]);
    const later = await rig.sendMessage(emailInput('e5', 'rescue:e5:other:1', { campaign: 'other' }));
    expect(later).toMatchObject({ status: 'suppressed', reason: 'bounced', permanent: true });
    expect(mailTo('gone@example.com')).toHaveLength(0);
  });

  it('an asynchronous bounce reported by the SMTP server suppresses email', async () => {
    await addUser(rig.database, 'e6', { email: 'later-bounce@example.com' });
    rig.smtp.bounce('later-bounce@example.com');
    expect(await rig.sendMessage(emailInput('e6', 'rescue:e6:winback:1'))).toMatchObject({ status: 'sent' });
    await rig.smtp.deliverBounces();
    expect(await ledger(rig.database, 'rescue:e6:winback:1')).toMatchObject({ status: 'bounced' });
    expect(await suppressionsOf(rig.database, 'e6')).toEqual([{ channel: 'email', reason: 'bounced' }]);
    expect(await rig.sendMessage(emailInput('e6', 'rescue:e6:winback:1', { step: 1 }))).toMatchObject({ status: 'suppressed' });
    expect(mailTo('later-bounce@example.com')).toHaveLength(1);
  });

  it('the bounce webhook suppresses on a valid signature and refuses a wrong one', async () => {
    await addUser(rig.database, 'e7', { email: 'complains@example.com' });
    const sent = await rig.sendMessage(emailInput('e7', 'rescue:e7:winback:1'));
    const body = JSON.stringify({ messageId: sent.providerId, kind: 'complaint' });
    const post = (signature: string, text = body) =>
      fetch(`${rig.apiUrl}/v1/webhooks/email/bounce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-lifeline-timestamp': '1700000000', 'x-lifeline-signature': signature },
        body: text,
      });
    const wrong = await post(signWebhook('not-the-secret', '1700000000', body));
    expect(wrong.status).toBe(403);
    expect(await suppressionsOf(rig.database, 'e7')).toEqual([]);

    const bad = JSON.stringify({ messageId: sent.providerId, kind: 'spam' });
    const invalid = await post(signWebhook(BOUNCE_SECRET, '1700000000', bad), bad);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { issues: { field: string }[] }).issues[0]!.field).toBe('kind');

    const ok = await post(signWebhook(BOUNCE_SECRET, '1700000000', body));
    expect(await ok.json()).toEqual({ success: true, matched: true });
    expect(await suppressionsOf(rig.database, 'e7')).toEqual([{ channel: 'email', reason: 'complaint' }]);
  });

  it('suppressed users get nothing', async () => {
    await addUser(rig.database, 'e8', { email: 'optout@example.com' });
    await rig.database.query(`insert into suppressions (user_id, channel, reason) values ('e8', 'email', 'unsubscribed')`);
    const result = await rig.sendMessage(emailInput('e8', 'rescue:e8:winback:1'));
    expect(result).toEqual({ status: 'suppressed', reason: 'unsubscribed', permanent: true });
    expect(mailTo('optout@example.com')).toHaveLength(0);
  });

  it('unsubscribe link: GET shows a confirm page without suppressing, POST (one-click) suppresses', async () => {
    await addUser(rig.database, 'e9', { email: 'leaver@example.com' });
    await rig.sendMessage(emailInput('e9', 'rescue:e9:winback:1'));
    const line = mailTo('leaver@example.com')[0]!.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    const url = /<(http[^>]+)>/.exec(line)![1]!;

    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    expect(await suppressionsOf(rig.database, 'e9')).toEqual([]);

    const tampered = url.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await fetch(tampered, { method: 'POST' })).status).toBe(400);
    expect(await suppressionsOf(rig.database, 'e9')).toEqual([]);

    const oneClick = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(await suppressionsOf(rig.database, 'e9')).toEqual([{ channel: 'email', reason: 'unsubscribed' }]);
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    expect((await fetch(url, { method: 'POST', body: form })).status).toBe(200);
    expect(await rig.sendMessage(emailInput('e9', 'rescue:e9:winback:1', { step: 1 }))).toMatchObject({ status: 'suppressed' });
    expect(mailTo('leaver@example.com')).toHaveLength(1);
  });

  it('caps across two campaigns, per day and per week', async () => {
    await addUser(rig.database, 'e10', { email: 'capped@example.com' });
    const cap = { perDay: 1, perWeek: 3 };
    const day = 24 * 3600_000;
    const t0 = Date.now();
    const at = (offsetDays: number) => rig.withDeps({ now: () => new Date(t0 + offsetDays * day) });
    const send = (offsetDays: number, campaign: string, step: number) =>
      at(offsetDays)(emailInput('e10', `rescue:e10:${campaign}:1`, { campaign, step, cap, template: { subject: 'Hi', body: 'Back?' } }));

    expect(await send(-3, 'winback', 0)).toMatchObject({ status: 'sent' });
    expect(await send(-3 + 0.5, 'upsell', 0)).toMatchObject({ status: 'capped', permanent: false });
    expect(await send(-2, 'upsell', 0)).toMatchObject({ status: 'sent' });
    expect(await send(-1, 'winback', 1)).toMatchObject({ status: 'sent' });
    const weekly = await send(0, 'upsell', 1);
    expect(weekly).toMatchObject({ status: 'capped' });
    expect(weekly.reason).toMatch(/7 days/);
    expect(mailTo('capped@example.com')).toHaveLength(3);
  });

  it('a user without an email address is a permanent failure', async () => {
    await addUser(rig.database, 'e11', { phone: '+15551230011' });
    expect(await rig.sendMessage(emailInput('e11', 'rescue:e11:winback:1'))).toEqual({ status: 'failed', reason: 'no_contact', permanent: true });
  });

  it('a missing template variable is a clear, non-retryable error and nothing is sent', async () => {
    await addUser(rig.database, 'e12', { email: 'tpl@example.com' });
    const input = emailInput('e12', 'rescue:e12:winback:1', { variables: {} });
    const error = await rig.sendMessage(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect((error as ApplicationFailure).nonRetryable).toBe(true);
    expect((error as Error).message).toBe('template.body uses {{offer}} but no such variable was given');
    expect(await ledger(rig.database, 'rescue:e12:winback:1')).toMatchObject({ status: 'failed' });
    expect(mailTo('tpl@example.com')).toHaveLength(0);
  });

  it('lists received mail on the dev page', async () => {
    const response = await fetch(`${rig.apiUrl}/dev/mail/`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`${rig.smtp.messages.length} message(s)`);
    expect(html).toContain('ada@example.com');
  });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
