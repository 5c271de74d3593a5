import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();

/** Every setting Lifeline reads from the environment, with its default; documented in the README. */
export const configSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  LIFELINE_DATA_DIR: z.string().default('.lifeline/data'),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  LIFELINE_TASK_QUEUE: z.string().default('lifeline'),
  LIFELINE_WRITE_KEYS: z
    .string()
    .optional()
    .transform((value) => (value ? value.split(',').map((key) => key.trim()).filter(Boolean) : [])),
  LIFELINE_ADMIN_KEYS: z
    .string()
    .optional()
    .transform((value) => (value ? value.split(',').map((key) => key.trim()).filter(Boolean) : [])),
  /** Where `lifeline policy preview|apply` finds a running API; default http://HOST:PORT. */
  LIFELINE_URL: z.string().url().optional(),
  LIFELINE_WEBHOOK_SECRET: z.string().optional(),
  SMTP_URL: z.string().url().optional(),
  /** Where recipients and providers reach the API: unsubscribe links, Twilio callbacks. Default http://HOST:PORT. */
  LIFELINE_PUBLIC_URL: z.string().url().optional(),
  LIFELINE_EMAIL_FROM: z.string().default('Lifeline <lifeline@localhost>'),
  LIFELINE_UNSUBSCRIBE_SECRET: z.string().optional(),
  TWILIO_ACCOUNT_SID: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM: z.string().optional(),
  TWILIO_MESSAGING_SERVICE_SID: z.string().optional(),
  LIFELINE_TEAM_SENDER: z.string().default('lifeline@localhost'),
  /** `npm start` only: keep webhooks at /dev/webhooks (the default) or send them. */
  LIFELINE_DEV_WEBHOOKS: z.enum(['keep', 'send']).default('keep'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** How often a worker re-wakes users whose wake may have been lost; 0 turns it off. */
  LIFELINE_RECONCILE_SECONDS: z.coerce.number().int().min(0).default(60),
  LIFELINE_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('WARN'),
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt.default(40),
});
export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
