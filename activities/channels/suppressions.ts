import type { Database, Query } from '../../db/client.ts';
import { SUPPRESSION_REASONS } from '../../db/schema.ts';
import type { SuppressibleChannel } from './unsubscribe.ts';

export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** Records that a user may not be contacted on a channel; the first reason recorded is kept. */
export async function suppress(query: Query, userId: string, channel: SuppressibleChannel, reason: SuppressionReason): Promise<void> {
  await query(
    `insert into suppressions (user_id, channel, reason) values ($1, $2, $3) on conflict (user_id, channel) do nothing`,
    [userId, channel, reason],
  );
}

/** SMS keywords (Twilio's defaults): opting out and back in. Matched on the whole trimmed message. */
export const SMS_STOP_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
export const SMS_START_WORDS = ['START', 'UNSTOP', 'YES'] as const;

export type SmsKeyword = 'stop' | 'start' | undefined;

export function smsKeyword(body: string): SmsKeyword {
  const word = body.trim().toUpperCase();
  if ((SMS_STOP_WORDS as readonly string[]).includes(word)) return 'stop';
  if ((SMS_START_WORDS as readonly string[]).includes(word)) return 'start';
  return undefined;
}

/**
 * Applies an inbound STOP or START from a phone number to every user with that phone trait.
 * Returns the user ids affected.
 */
export async function applySmsKeyword(database: Database, phone: string, keyword: 'stop' | 'start'): Promise<string[]> {
  return database.transaction(async (query) => {
    const users = await query<{ id: string }>(`select id from users where traits->>'phone' = $1 for update`, [phone]);
    for (const { id } of users) {
      if (keyword === 'stop') await suppress(query, id, 'sms', 'sms_stop');
      else await query(`delete from suppressions where user_id = $1 and channel = 'sms'`, [id]);
    }
    return users.map((u) => u.id);
  });
}

export interface EmailBounce {
  /** The Message-ID of the message that bounced (with or without angle brackets). */
  messageId: string;
  kind: 'bounce' | 'complaint';
}

/**
 * An asynchronous bounce or spam complaint (a DSN, a feedback loop, a provider webhook): marks the
 * ledger row bounced (a bounce only) and suppresses email for its user. Unknown ids change nothing.
 */
export async function recordEmailBounce(database: Database, bounce: EmailBounce): Promise<{ userId: string } | undefined> {
  const messageId = bounce.messageId.startsWith('<') ? bounce.messageId : `<${bounce.messageId}>`;
  return database.transaction(async (query) => {
    const [row] = await query<{ id: number; user_id: string }>(
      `select id, user_id from messages where provider_id = $1 and channel = 'email' for update`,
      [messageId],
    );
    if (!row) return undefined;
    if (bounce.kind === 'bounce') {
      await query(`update messages set status = 'bounced', reason = 'bounced', updated_at = now() where id = $1`, [row.id]);
    }
    await suppress(query, row.user_id, 'email', bounce.kind === 'bounce' ? 'bounced' : 'complaint');
    return { userId: row.user_id };
  });
}
