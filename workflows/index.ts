export * from './user-lifecycle.ts';
export * from './rescue.ts';
