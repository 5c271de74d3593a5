import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../rules/policy.ts';
import { defaultPolicy } from '../../rules/default-policy.ts';
import { expectOneIssue, policyIssues } from '../support/policy-issues.ts';

/** A valid policy, with `stages` and `extra` replaceable; line numbers below are counted from here. */
const base = (stages: string, extra = '') => `name: test
stages:
${stages}${extra}`;

const catchAll = '  - stage: churned\n    otherwise: true\n';



describe('policy validation', () => {
  it('accepts the default policy and fills defaults', () => {
    const policy = defaultPolicy();
    expect(policy.stages.map((s) => s.stage)).toEqual(['paying', 'new', 'active', 'silent', 'churned']);
    expect(policy.events.activity).toEqual({});
    const minimal = parsePolicy(base(catchAll));
    expect(minimal.triggers).toEqual([]);
    expect(minimal.events.payment).toContain('purchase');
  });

  it('1. malformed YAML', () => {
    expectOneIssue('{"name": "x",, "stages": []}', { line: 1, column: 14, path: '' }, /not valid YAML or JSON: Unexpected , in flow map/, 'policy.json');
    const found = policyIssues('name: test\nstages:\n  - stage: new\n   when: x\n');
    expect(found[0]).toMatchObject({ line: 4, column: 1, message: 'not valid YAML or JSON: Sequence item without - indicator' });
  });

  it('2. empty policy', () => {
    expectOneIssue('# only a comment\n', { line: 1, column: 1, path: '' }, /policy is empty.*"name" and "stages"/);
  });

  it('3. unknown stage name', () => {
    expectOneIssue(base(`  - stage: dormant\n    when: { since_last_activity: { lt: 7 days } }\n${catchAll}`), { line: 3, column: 12, path: 'stages[0].stage' }, /unknown stage "dormant": stages are new, active, silent, churned, paying/);
  });

  it('4. unknown fact', () => {
    expectOneIssue(base(`  - stage: active\n    when: { days_idle: { lt: 7 days } }\n${catchAll}`), { line: 4, column: 13, path: 'stages[0].when.days_idle' }, /unknown fact "days_idle": allowed are all, any, not, account_age/);
  });

  it('5. a duration with an unknown unit ("7 dayz") names the allowed units', () => {
    expectOneIssue(base(`  - stage: active\n    when: { since_last_activity: { lt: 7 dayz } }\n${catchAll}`), { line: 4, column: 40, path: 'stages[0].when.since_last_activity.lt' }, /"7 dayz" has unknown unit "dayz": allowed units are minutes, hours, days, weeks/);
  });

  it('6. a duration that is not a number and unit', () => {
    expectOneIssue(base(`  - stage: active\n    when: { since_last_activity: { lt: a week } }\n${catchAll}`), { line: 4, column: 40, path: 'stages[0].when.since_last_activity.lt' }, /not a duration: write a whole number and a unit/);
  });

  it('7. duplicate stage', () => {
    expectOneIssue(base(`  - stage: active\n    when: { since_last_activity: { lt: 7 days } }\n  - stage: active\n    when: { since_last_activity: { lt: 9 days } }\n${catchAll}`), { line: 5, column: 12, path: 'stages[1].stage' }, /stage "active" is listed twice \(first as stages\[0\]\)/);
  });

  it('8. missing catch-all: some users would match no stage', () => {
    expectOneIssue(base(`  - stage: active\n    when: { since_last_activity: { lt: 7 days } }\n`), { line: 3, column: 5, path: 'stages[0]' }, /last stage must be a catch-all \("otherwise: true"\)/);
  });

  it('9. a stage after the catch-all can never match', () => {
    expectOneIssue(base(`${catchAll}  - stage: active\n    when: { since_last_activity: { lt: 7 days } }\n`), { line: 5, column: 5, path: 'stages[1]' }, /stage "active" can never match: stages\[0\] \("churned"\) above it matches every user/);
  });

  it('10. a stage after one whose condition is always true can never match', () => {
    const source = base(`  - stage: new\n    when: { account_age: { gte: 0 days } }\n  - stage: active\n    when: { since_last_activity: { lt: 7 days } }\n${catchAll}`);
    const found = policyIssues(source);
    expect(found.map((i) => i.path)).toEqual(['stages[1]', 'stages[2]']);
    expect(found[0]).toMatchObject({ line: 5, column: 5 });
    expect(found[0]!.message).toMatch(/can never match: stages\[0\] \("new"\) above it matches every user/);
  });

  it('11. a trigger from a stage to itself can never fire', () => {
    expectOneIssue(base(catchAll, '\ntriggers:\n  - { from: churned, to: churned, warn: { email: a@example.com } }\n'), { line: 7, column: 26, path: 'triggers[0].to' }, /from "churned" to itself can never fire/);
  });

  it('12. a trigger involving a stage no user can reach', () => {
    const stages = `  - stage: active\n    when: { since_last_activity: { lt: 7 days } }\n${catchAll}`;
    expectOneIssue(base(stages, '\ntriggers:\n  - { from: active, to: paying, warn: { email: a@example.com } }\n'), { line: 9, column: 25, path: 'triggers[0].to' }, /no user can be in stage "paying" under this policy.*can never fire/);
  });

  it('13. a trigger naming an unknown stage', () => {
    expectOneIssue(base(catchAll, '\ntriggers:\n  - { from: lost, to: churned, rescue: winback }\n'), { line: 7, column: 13, path: 'triggers[0].from' }, /unknown stage "lost": use one of new, active, silent, churned, paying or "\*"/);
  });

  it('14. a trigger that does nothing', () => {
    const stages = `  - stage: active\n    when: { since_last_activity: { lt: 7 days } }\n${catchAll}`;
    expectOneIssue(base(stages, '\ntriggers:\n  - { from: active, to: churned }\n'), { line: 9, column: 5, path: 'triggers[0]' }, /must name a churn warning \("warn:"\) and\/or a rescue campaign/);
  });

  it('15. a contact trait compared by value (PII)', () => {
    expectOneIssue(base(`  - stage: active\n    when: { trait: { name: email, eq: "a@example.com" } }\n${catchAll}`), { line: 4, column: 39, path: 'stages[0].when.trait.eq' }, /trait "email" is contact data: rules may only test whether it exists/);
  });

  it('16. a negative window', () => {
    expectOneIssue(base(`  - stage: active\n    when: { count: { events: [login], within: -7 days, gte: 3 } }\n${catchAll}`), { line: 4, column: 47, path: 'stages[0].when.count.within' }, /"-7 days" is negative/);
  });

  it('17. a zero window', () => {
    expectOneIssue(base(`  - stage: active\n    when: { revenue: { within: 0 days, gte: 10 } }\n${catchAll}`), { line: 4, column: 32, path: 'stages[0].when.revenue.within' }, /a window must be longer than zero/);
  });

  it('18. wrong types', () => {
    expectOneIssue(base(`  - stage: active\n    when: { count: { events: [login], within: 7 days, gte: three } }\n${catchAll}`), { line: 4, column: 60, path: 'stages[0].when.count.gte' }, /expected a whole number/);
    expectOneIssue('name: test\nstages: paying\n', { line: 2, column: 9, path: 'stages' }, /expected a list of stages/);
  });

  it('19. a condition with two facts side by side', () => {
    expectOneIssue(base(`  - stage: new\n    when:\n      account_age: { lt: 14 days }\n      since_last_activity: { lt: 7 days }\n${catchAll}`), { line: 5, column: 7, path: 'stages[0].when' }, /exactly one of all\/any\/not or a fact, found account_age, since_last_activity: wrap them in "all:"/);
  });

  it('20. a comparison that can never hold', () => {
    expectOneIssue(base(`  - stage: silent\n    when: { since_last_activity: { gte: 30 days, lt: 7 days } }\n${catchAll}`), { line: 4, column: 34, path: 'stages[0].when.since_last_activity' }, /range is empty/);
  });

  it('21. a missing policy name and an unknown top-level key, both reported', () => {
    const found = policyIssues(`stages:\n${catchAll}owner: ops\n`);
    expect(found).toEqual([
      expect.objectContaining({ path: 'name', line: 1, column: 1, message: 'expected a policy name' }),
      expect.objectContaining({ path: 'owner', line: 4, column: 1, message: expect.stringMatching(/unknown key "owner": allowed are name, description, events, stages, triggers/) }),
    ]);
  });

  it('22. revenue with more than two decimals', () => {
    expectOneIssue(base(`  - stage: paying\n    when: { revenue: { within: 30 days, gte: 9.999 } }\n${catchAll}`), { line: 4, column: 46, path: 'stages[0].when.revenue.gte' }, /9\.999 is not an amount with at most 2 decimals/);
  });

  it('23. a warning webhook that is not a URL', () => {
    expectOneIssue(base(catchAll, '\ntriggers:\n  - { from: "*", to: churned, warn: { webhook: "not a url" } }\n'), { line: 7, column: 48, path: 'triggers[0].warn.webhook' }, /expected an http\(s\) URL/);
  });

  it('24. activity events listed both as except and only', () => {
    expectOneIssue(`name: test\nevents:\n  activity: { except: [email_opened], only: [login] }\nstages:\n${catchAll}`, { line: 3, column: 13, path: 'events.activity' }, /either except or only, not both/);
  });

  it('25. a catch-all that also has a condition', () => {
    expectOneIssue(base(`  - stage: churned\n    when: { since_last_activity: { gte: 30 days } }\n    otherwise: true\n`), { line: 5, column: 16, path: 'stages[0].otherwise' }, /both "when" and "otherwise"/);
  });

  it('26. a JSON policy is located by line and column too', () => {
    const json = '{\n  "name": "j",\n  "stages": [\n    {"stage": "churned", "otherwise": "yes"}\n  ]\n}\n';
    expectOneIssue(json, { line: 4, column: 39, path: 'stages[0].otherwise' }, /otherwise can only be true/, 'policy.json');
  });

  it('27. duplicate keys in the YAML', () => {
    expectOneIssue('name: a\nname: b\nstages: []\n', { line: 2, column: 1, path: '' }, /not valid YAML or JSON: Map keys must be unique/);
  });

  it('reports every issue in the file, not only the first', () => {
    const found = policyIssues(base(`  - stage: actve\n    when: { since_last_activity: { lt: 7 dayz } }\n  - stage: churned\n    when: { trait: { name: phone, gt: 3 } }\n`));
    expect(found.map((i) => i.path)).toEqual(['stages[0].stage', 'stages[0].when.since_last_activity.lt', 'stages[1].when.trait.gt']);
  });
});
