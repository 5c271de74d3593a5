const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body>${body}</body></html>`;

const channelName = (channel: string) => (channel === 'sms' ? 'text messages' : 'emails');

/** GET never unsubscribes: link scanners and previews follow links; only the POST does. */
export function confirmPage(token: string, channel: string): string {
  return page(
    'Unsubscribe',
    `<h1>Unsubscribe</h1><p>Stop receiving ${channelName(channel)} from us?</p>` +
      `<form method="post" action="/v1/unsubscribe?token=${escape(encodeURIComponent(token))}">` +
      `<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
  );
}

export function donePage(channel: string): string {
  return page('Unsubscribed', `<h1>You are unsubscribed</h1><p>You will not receive any more ${channelName(channel)} from us.</p>`);
}

export function invalidLinkPage(): string {
  return page('Invalid link', '<h1>This unsubscribe link is not valid</h1><p>Please use the link from the message you received.</p>');
}
