import { createSendMessage, type SendMessageDeps } from './channels/send-message.ts';
import { createSendChurnWarning, type ChurnWarningDeps } from './churn-warnings.ts';
import { createLifecycleActivities, type LifecycleDeps } from './lifecycle.ts';
import { createRescueActivities } from './rescue.ts';

/** `channels` configures win-back delivery; without it sendMessage fails with ChannelNotConfigured. */
export type ActivityDeps = LifecycleDeps & ChurnWarningDeps & { channels?: Omit<SendMessageDeps, 'database'> };

export function createActivities(deps: ActivityDeps) {
  return {
    ...createLifecycleActivities(deps),
    ...createRescueActivities(deps),
    sendChurnWarning: createSendChurnWarning(deps),
    sendMessage: createSendMessage({ webhookSecret: deps.webhookSecret, fetch: deps.fetch, ...deps.channels, database: deps.database }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
