import { createSendChurnWarning, type ChurnWarningDeps } from './churn-warnings.ts';
import { createLifecycleActivities, type LifecycleDeps } from './lifecycle.ts';

export type ActivityDeps = LifecycleDeps & ChurnWarningDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createLifecycleActivities(deps),
    sendChurnWarning: createSendChurnWarning(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
