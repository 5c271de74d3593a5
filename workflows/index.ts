export * from './user-lifecycle.ts';
