import { expect } from 'vitest';
import { parsePolicy, PolicyError, type PolicyIssue } from '../../rules/policy.ts';

/** The issues a policy source is rejected with; fails the test if it is accepted. */
export function policyIssues(source: string, fileName = 'policy.yaml'): PolicyIssue[] {
  try {
    parsePolicy(source, fileName);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues;
  }
  throw new Error('expected the policy to be rejected');
}

/** Exactly one issue, at the given place, and the thrown message shows it as file:line:col: path: rule. */
export function expectOneIssue(source: string, where: { line: number; column: number; path: string }, rule: RegExp, fileName = 'policy.yaml') {
  const found = policyIssues(source, fileName);
  expect(found, JSON.stringify(found)).toHaveLength(1);
  expect(found[0]).toMatchObject(where);
  expect(found[0]!.message).toMatch(rule);
  const prefix = `${fileName}:${where.line}:${where.column}: ${where.path ? `${where.path}: ` : ''}`;
  expect(() => parsePolicy(source, fileName)).toThrow(`${prefix}${found[0]!.message}`);
}
