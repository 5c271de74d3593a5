export * from './basics.ts';
export * from './activities.ts';
export * from './children.ts';
export * from './visibility.ts';
