import { z } from 'zod';

/** Bad input to a statistics function: every problem, each naming its field and the rule broken. */
export class StatsInputError extends Error {
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path || 'input'}: ${i.message}`).join('\n'));
    this.name = 'StatsInputError';
  }
}

/** zod 4's number() already refuses NaN and ±Infinity; the message says so. */
export const finiteNumber = (what = 'a finite number') => z.number({ error: `must be ${what}` });

export const Count = finiteNumber()
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must be 0 or more' });

export const Confidence = finiteNumber()
  .gt(0, { error: 'must be between 0 and 1 (exclusive), e.g. 0.95' })
  .lt(1, { error: 'must be between 0 and 1 (exclusive), e.g. 0.95' });

/** k successes out of n trials; n ≥ 1 because a rate over nobody is not a number. */
export const Proportion = z
  .object({
    successes: Count,
    trials: Count.min(1, { error: 'must be at least 1: a rate needs at least one trial' }),
  })
  .superRefine((v, ctx) => {
    if (v.trials >= 1 && v.successes > v.trials) {
      ctx.addIssue({ code: 'custom', path: ['successes'], message: `must be at most trials (${v.successes} > ${v.trials})` });
    }
  });
export type Proportion = z.infer<typeof Proportion>;

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, step) => (typeof step === 'number' ? `${out}[${step}]` : out ? `${out}.${String(step)}` : String(step)), '');
}

type Issue = StatsInputError['issues'][number];

function issuesOf(schema: z.ZodType, value: unknown, prefix: readonly PropertyKey[]): { data?: unknown; issues: Issue[] } {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { data: result.data, issues: [] };
  return {
    issues: result.error.issues.map((issue) => {
      const got = issue.code !== 'custom' && 'input' in issue && issue.input !== undefined && typeof issue.input !== 'object' ? ` (got ${String(issue.input)})` : '';
      return { path: formatPath([...prefix, ...issue.path]), message: issue.message + got };
    }),
  };
}

/** Parses or throws a StatsInputError; `prefix` places the value inside a larger input (e.g. "holdout"). */
export function parse<S extends z.ZodType>(schema: S, value: unknown, prefix: readonly PropertyKey[] = []): z.output<S> {
  const { data, issues } = issuesOf(schema, value, prefix);
  if (issues.length) throw new StatsInputError(issues);
  return data as z.output<S>;
}

/** Checks several arguments and reports the problems of all of them at once, not only the first's. */
export function checkAll(...parts: [schema: z.ZodType, value: unknown, prefix: readonly PropertyKey[]][]): void {
  const issues = parts.flatMap(([schema, value, prefix]) => issuesOf(schema, value, prefix).issues);
  if (issues.length) throw new StatsInputError(issues);
}
