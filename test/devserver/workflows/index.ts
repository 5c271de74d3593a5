export * from './smoke.ts';
