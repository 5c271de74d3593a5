import { z } from 'zod';
import { MESSAGE_CHANNELS, MESSAGE_STATUSES } from '../../db/schema.ts';

/** What the rescue workflow passes: ids and operator-written text only, never contact details. */
export const sendMessageInput = z.object({
  rescueId: z.string().min(1),
  step: z.number().int().nonnegative(),
  userId: z.string().min(1),
  campaign: z.string().min(1),
  channel: z.enum(MESSAGE_CHANNELS),
  template: z.object({
    subject: z.string().min(1).optional(),
    body: z.string().min(1),
    /** The webhook channel's target. */
    url: z.string().url().optional(),
  }),
  variables: z.record(z.string(), z.string()).optional(),
  cap: z
    .object({ perDay: z.number().int().positive(), perWeek: z.number().int().positive() })
    .optional(),
});
export type SendMessageInput = z.infer<typeof sendMessageInput>;

export const sendResult = z.object({
  status: z.enum(MESSAGE_STATUSES),
  reason: z.string().optional(),
  providerId: z.string().optional(),
  /** True when this channel will never reach this user: the workflow should fall back to the next one. */
  permanent: z.boolean().optional(),
});
export type SendResult = z.infer<typeof sendResult>;
export type MessageStatus = SendResult['status'];
export type Channel = SendMessageInput['channel'];
