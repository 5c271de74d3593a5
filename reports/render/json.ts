import type { RescueReport } from '../schema.ts';

export function renderJson(report: RescueReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
