// The policy language. Workflows should import classify.ts and triggers.ts directly: this index also
// pulls in the YAML parser and the file system (default policy).
export * from './policy.ts';
export { classify, compileClassifier, type Classification, type Classifier } from './classify.ts';
export { compile, type CompiledPolicy } from './compile.ts';
export { FactsSchema, factsFor, type Facts, type FactsQuery } from './facts.ts';
export { eventKinds, isTriggerEvent, ENGAGEMENT_EVENTS, DEFAULT_PAYMENT_EVENTS, type EventKinds } from './events.ts';
export { triggersFor, type Fired, type WarningTarget } from './triggers.ts';
export { defaultPolicy, defaultPolicySource } from './default-policy.ts';
export { parseDuration, formatDuration, DURATION_UNITS } from './duration.ts';
