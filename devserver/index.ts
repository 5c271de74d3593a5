export { startDevServer, type DevServer, type DevServerOptions } from './server.ts';
export { ACTION_KINDS, type ActionCounts, type ActionKind, type ActionsSnapshot } from './accounting.ts';
export { readActions, readServerStats, readWorkflowActions, resetActions } from './actions-client.ts';
export type { ServerStats } from './accounting-service.ts';
export { devServerExecutablePath } from './executable-path.ts';
