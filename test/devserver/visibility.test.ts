import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileVisibilityQuery,
  defaultSearchAttributes,
  VisibilityQueryError,
  type SearchAttributeType,
  type VisibilityRecord,
} from '../../devserver/visibility/index.ts';

const registry: ReadonlyMap<string, SearchAttributeType> = new Map<string, SearchAttributeType>([
  ...defaultSearchAttributes,
  ['LifecycleStage', 'Keyword'],
  ['Score', 'Int'],
  ['Ratio', 'Double'],
  ['Vip', 'Bool'],
  ['Tags', 'KeywordList'],
  ['Notes', 'Text'],
  ['LastSeen', 'Datetime'],
  ['Odd-Name', 'Keyword'],
]);

function run(workflowId: string, fields: Partial<VisibilityRecord> = {}): VisibilityRecord {
  const startTime = fields.startTime ?? new Date('2026-01-01T00:00:00Z');
  return {
    workflowId,
    runId: `run-${workflowId}`,
    workflowType: 'userLifecycle',
    taskQueue: 'lifeline',
    status: 'Running',
    startTime,
    executionTime: startTime,
    searchAttributes: {},
    ...fields,
  };
}

const records: VisibilityRecord[] = [
  run('life-1', {
    startTime: new Date('2026-01-01T00:00:00Z'),
    searchAttributes: {
      LifecycleStage: 'active', Score: 10, Ratio: 0.5, Vip: true, Tags: ['email', 'sms'],
      Notes: 'my-business-id-foobar', LastSeen: new Date('2026-01-01T12:00:00.123Z'), 'Odd-Name': 'x',
    },
  }),
  run('rescue-1', {
    workflowType: 'rescue', taskQueue: 'rescues', status: 'Completed',
    startTime: new Date('2026-01-02T00:00:00Z'), closeTime: new Date('2026-01-05T00:00:00Z'),
    searchAttributes: { LifecycleStage: 'silent', Score: 3, Ratio: 1.5, Vip: false, Tags: ['email'], Notes: 'My business ID FooBar' },
  }),
  run('rescue-2', {
    workflowType: 'rescue', status: 'Failed',
    startTime: new Date('2026-01-03T00:00:00Z'), closeTime: new Date('2026-01-04T00:00:00Z'),
    searchAttributes: { LifecycleStage: 'churned', Score: -2, Tags: [] },
  }),
  run('life-3', { startTime: new Date('2026-01-04T00:00:00Z') }),
  run('rescue-3', {
    workflowType: 'rescue', status: 'TimedOut',
    startTime: new Date('2026-01-01T06:00:00Z'), closeTime: new Date('2026-01-05T00:00:00Z'),
    executionTime: new Date('2026-01-01T07:00:00Z'),
    searchAttributes: { LifecycleStage: 'silent', Score: 7, Ratio: 2 },
  }),
  run('schedule-1', { searchAttributes: { TemporalNamespaceDivision: 'TemporalScheduler', Score: 10 } }),
];

/** The workflow ids a List call would return, in order. */
function list(query: string, from: VisibilityRecord[] = records, types = registry): string[] {
  const compiled = compileVisibilityQuery(query, types);
  return from.filter((r) => compiled.matches(r)).sort((a, b) => compiled.compare(a, b)).map((r) => r.workflowId);
}

/** The matching ids, order ignored. */
function matching(query: string, from: VisibilityRecord[] = records): string[] {
  return list(query, from).sort();
}

function queryError(query: string, types = registry): VisibilityQueryError {
  try {
    compileVisibilityQuery(query, types);
  } catch (error) {
    if (error instanceof VisibilityQueryError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
}

describe('visibility query: filters', () => {
  it('matches every visible run with an empty or blank query, newest first', () => {
    const expected = ['life-3', 'life-1', 'rescue-1', 'rescue-3', 'rescue-2'];
    expect(list('')).toEqual(expected);
    expect(list('   \n\t')).toEqual(expected);
  });

  it('compares Keyword attributes with = != < <= > >= (and <> as !=)', () => {
    expect(matching("WorkflowType = 'rescue'")).toEqual(['rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching("WorkflowType != 'rescue'")).toEqual(['life-1', 'life-3']);
    expect(matching("WorkflowType <> 'rescue'")).toEqual(['life-1', 'life-3']);
    expect(matching("WorkflowId < 'life-3'")).toEqual(['life-1']);
    expect(matching("WorkflowId <= 'life-3'")).toEqual(['life-1', 'life-3']);
    expect(matching("WorkflowId > 'rescue-2'")).toEqual(['rescue-3']);
    expect(matching("WorkflowId >= 'rescue-2'")).toEqual(['rescue-2', 'rescue-3']);
    expect(matching("TaskQueue = 'rescues'")).toEqual(['rescue-1']);
    expect(matching("RunId = 'run-life-1'")).toEqual(['life-1']);
  });

  it('compares Int and Double numerically, with negative, fractional and exponent literals', () => {
    expect(matching('Score = 10')).toEqual(['life-1']);
    expect(matching('Score != 10')).toEqual(['life-3', 'rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching('Score < 3')).toEqual(['rescue-2']);
    expect(matching('Score <= 3')).toEqual(['rescue-1', 'rescue-2']);
    expect(matching('Score > -2')).toEqual(['life-1', 'rescue-1', 'rescue-3']);
    expect(matching('Score >= -2')).toEqual(['life-1', 'rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching('Score > 2.5')).toEqual(['life-1', 'rescue-1', 'rescue-3']);
    expect(matching('Score = 1e1')).toEqual(['life-1']);
    expect(matching('Ratio >= 1.5')).toEqual(['rescue-1', 'rescue-3']);
    expect(matching('Ratio = 2')).toEqual(['rescue-3']);
    expect(matching('Ratio < .6')).toEqual(['life-1']);
    expect(matching('Score > +5')).toEqual(['life-1', 'rescue-3']);
  });

  it('compares Bool attributes with true and false in any case', () => {
    expect(matching('Vip = true')).toEqual(['life-1']);
    expect(matching('Vip = FALSE')).toEqual(['rescue-1']);
    expect(matching('Vip != True')).toEqual(['life-3', 'rescue-1', 'rescue-2', 'rescue-3']);
  });

  it('compares Datetime attributes given RFC 3339 strings with any offset, or integer nanoseconds', () => {
    expect(matching("StartTime > '2026-01-02T00:00:00Z'")).toEqual(['life-3', 'rescue-2']);
    expect(matching("StartTime >= '2026-01-02T00:00:00Z'")).toEqual(['life-3', 'rescue-1', 'rescue-2']);
    // 2026-01-01T18:00:00-08:00 is 2026-01-02T02:00:00Z
    expect(matching("StartTime < '2026-01-01T18:00:00-08:00'")).toEqual(['life-1', 'rescue-1', 'rescue-3']);
    expect(matching("ExecutionTime = '2026-01-01T07:00:00Z'")).toEqual(['rescue-3']);
    expect(matching("CloseTime = '2026-01-05T00:00:00Z'")).toEqual(['rescue-1', 'rescue-3']);
    expect(matching("CloseTime < '2026-01-05T00:00:00Z'")).toEqual(['rescue-2']);
    const nanos = BigInt(Date.parse('2026-01-03T00:00:00Z')) * 1_000_000n;
    expect(matching(`StartTime = ${nanos}`)).toEqual(['rescue-2']);
    expect(matching(`StartTime >= ${nanos + 1n}`)).toEqual(['life-3']);
  });

  it('keeps nanosecond precision that a Date would lose', () => {
    expect(matching("LastSeen = '2026-01-01T12:00:00.123Z'")).toEqual(['life-1']);
    expect(matching("LastSeen = '2026-01-01T12:00:00.123000000Z'")).toEqual(['life-1']);
    expect(matching("LastSeen >= '2026-01-01T12:00:00.123000001Z'")).toEqual([]);
    expect(matching("LastSeen > '2026-01-01T12:00:00.122999999Z'")).toEqual(['life-1']);
  });

  it('filters ExecutionStatus by name or by its enum code, and rejects unknown statuses', () => {
    expect(matching("ExecutionStatus = 'Running'")).toEqual(['life-1', 'life-3']);
    expect(matching("ExecutionStatus != 'Running'")).toEqual(['rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching("ExecutionStatus IN ('Completed', 'TimedOut')")).toEqual(['rescue-1', 'rescue-3']);
    expect(matching('ExecutionStatus = 3')).toEqual(['rescue-2']);
    expect(queryError("ExecutionStatus = 'running'").message).toMatch(/Invalid ExecutionStatus value 'running'; expected one of Running, Completed/);
    expect(queryError('ExecutionStatus = 42').message).toMatch(/Invalid ExecutionStatus value 42/);
  });

  it('supports IN and NOT IN', () => {
    expect(matching("LifecycleStage IN ('silent', 'churned')")).toEqual(['rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching("LifecycleStage IN ('active')")).toEqual(['life-1']);
    expect(matching("LifecycleStage NOT IN ('silent', 'churned')")).toEqual(['life-1', 'life-3']);
    expect(matching('Score IN (3, 7, 99)')).toEqual(['rescue-1', 'rescue-3']);
    expect(matching('Score NOT IN (3, 7)')).toEqual(['life-1', 'life-3', 'rescue-2']);
    expect(matching("StartTime IN ('2026-01-03T00:00:00Z', '2026-01-04T00:00:00+00:00')")).toEqual(['life-3', 'rescue-2']);
  });

  it('supports BETWEEN and NOT BETWEEN with both bounds inclusive', () => {
    expect(matching('Score BETWEEN 3 AND 7')).toEqual(['rescue-1', 'rescue-3']);
    expect(matching('Score NOT BETWEEN 3 AND 7')).toEqual(['life-1', 'life-3', 'rescue-2']);
    expect(matching("StartTime BETWEEN '2026-01-02T00:00:00Z' AND '2026-01-03T00:00:00Z'")).toEqual(['rescue-1', 'rescue-2']);
    expect(matching('Ratio BETWEEN 0.5 AND 1.5')).toEqual(['life-1', 'rescue-1']);
    // The documented suffix trick for Keyword: every id after the prefix below "~".
    expect(matching("WorkflowId BETWEEN 'rescue-' AND 'rescue-~'")).toEqual(['rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching('Score BETWEEN 7 AND 3')).toEqual([]);
  });

  it('supports STARTS_WITH and NOT STARTS_WITH on Keyword attributes', () => {
    expect(matching("WorkflowId STARTS_WITH 'rescue-'")).toEqual(['rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching("WorkflowId NOT STARTS_WITH 'rescue-'")).toEqual(['life-1', 'life-3']);
    expect(matching("LifecycleStage starts_with 'si'")).toEqual(['rescue-1', 'rescue-3']);
    expect(matching("WorkflowId STARTS_WITH ''")).toHaveLength(5);
    // Pattern characters are literal, not wildcards.
    expect(matching("WorkflowId STARTS_WITH 'rescue_'")).toEqual([]);
    expect(matching("WorkflowId STARTS_WITH 'r%'")).toEqual([]);
  });

  it('supports IS NULL and IS NOT NULL, CloseTime being null while a run is open', () => {
    expect(matching('CloseTime IS NULL')).toEqual(['life-1', 'life-3']);
    expect(matching('CloseTime IS NOT NULL')).toEqual(['rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching('Vip is null')).toEqual(['life-3', 'rescue-2', 'rescue-3']);
    expect(matching('LifecycleStage IS NOT NULL')).toEqual(['life-1', 'rescue-1', 'rescue-2', 'rescue-3']);
    // An empty list is no value at all.
    expect(matching('Tags IS NULL')).toEqual(['life-3', 'rescue-2', 'rescue-3']);
  });

  it('treats KeywordList = as "contains", != as "does not contain", IN as "contains any"', () => {
    expect(matching("Tags = 'email'")).toEqual(['life-1', 'rescue-1']);
    expect(matching("Tags = 'sms'")).toEqual(['life-1']);
    expect(matching("Tags != 'sms'")).toEqual(['life-3', 'rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching("Tags IN ('sms', 'push')")).toEqual(['life-1']);
    expect(matching("Tags NOT IN ('sms', 'push')")).toEqual(['life-3', 'rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching("Tags = 'email' AND Tags = 'sms'")).toEqual(['life-1']);
  });

  it('matches Text attributes word by word, ignoring case, as the documentation describes', () => {
    expect(matching("Notes = 'foobar'")).toEqual(['life-1', 'rescue-1']);
    expect(matching("Notes = 'foo'")).toEqual([]);
    expect(matching("Notes = 'BUSINESS'")).toEqual(['life-1', 'rescue-1']);
    // Any word of the query may match: "processing-v2" is "processing" OR "v2".
    expect(matching("Notes = 'nothing-id'")).toEqual(['life-1', 'rescue-1']);
    expect(matching("Notes != 'foobar'")).toEqual(['life-3', 'rescue-2', 'rescue-3']);
    const text = [
      run('t1', { searchAttributes: { Notes: 'payment_retry_handler' } }),
      run('t2', { searchAttributes: { Notes: 'com.example.workflows.ProcessOrder' } }),
      run('t3', { searchAttributes: { Notes: 'v1.ProcessOrder' } }),
    ];
    expect(matching("Notes = 'retry'", text)).toEqual([]);
    expect(matching("Notes = 'payment_retry_handler'", text)).toEqual(['t1']);
    expect(matching("Notes = 'processorder'", text)).toEqual(['t3']);
  });

  it('reads string literals in single or double quotes, with doubled quotes and backslash escapes', () => {
    const quoted = [
      run("it's"), run('say "hi"'), run('back\\slash'), run('tab\there'), run('über-ünïcode'),
    ];
    expect(matching("WorkflowId = 'it''s'", quoted)).toEqual(["it's"]);
    expect(matching("WorkflowId = 'it\\'s'", quoted)).toEqual(["it's"]);
    expect(matching('WorkflowId = "it\'s"', quoted)).toEqual(["it's"]);
    expect(matching('WorkflowId = "say ""hi"""', quoted)).toEqual(['say "hi"']);
    expect(matching('WorkflowId = "say \\"hi\\""', quoted)).toEqual(['say "hi"']);
    expect(matching("WorkflowId = 'back\\\\slash'", quoted)).toEqual(['back\\slash']);
    expect(matching("WorkflowId = 'tab\\there'", quoted)).toEqual(['tab\there']);
    expect(matching("WorkflowId STARTS_WITH 'über'", quoted)).toEqual(['über-ünïcode']);
  });

  it('accepts attribute names in backticks and keywords in any case', () => {
    expect(matching("`Odd-Name` = 'x'")).toEqual(['life-1']);
    expect(matching("`WorkflowType` = 'rescue' and Score > 5")).toEqual(['rescue-3']);
    expect(matching("WorkflowType = 'rescue' Or Score Between 9 And 11")).toEqual(['life-1', 'rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching("not WorkflowType in ('rescue')")).toEqual(['life-1', 'life-3']);
  });

  it('resolves the Temporal-prefixed alias, letting a custom attribute of the short name win', () => {
    const patched = [run('p1', { searchAttributes: { TemporalChangeVersion: ['fix-1'] } }), run('p2')];
    expect(matching("ChangeVersion = 'fix-1'", patched)).toEqual(['p1']);
    expect(matching("TemporalChangeVersion = 'fix-1'", patched)).toEqual(['p1']);
    const custom = new Map([...registry, ['ChangeVersion', 'Int' as const]]);
    expect(() => compileVisibilityQuery("ChangeVersion = 'fix-1'", custom)).toThrow(/"ChangeVersion" is Int/);
  });

  it('knows the system attributes even with an empty registry', () => {
    expect(list("WorkflowType = 'rescue' AND CloseTime IS NOT NULL", records, new Map())).toEqual([
      'rescue-1', 'rescue-3', 'rescue-2',
    ]);
    expect(() => compileVisibilityQuery("TemporalChangeVersion = 'x'", new Map())).toThrow(VisibilityQueryError);
  });

  it('lists the predefined attributes with their server types, each usable in a query', () => {
    expect(Object.fromEntries([...defaultSearchAttributes].filter(([name]) => !name.startsWith('Temporal')))).toEqual({
      WorkflowId: 'Keyword', RunId: 'Keyword', WorkflowType: 'Keyword', TaskQueue: 'Keyword', ExecutionStatus: 'Keyword',
      StartTime: 'Datetime', ExecutionTime: 'Datetime', CloseTime: 'Datetime',
      BuildIds: 'KeywordList', BinaryChecksums: 'KeywordList',
    });
    expect(defaultSearchAttributes.get('TemporalChangeVersion')).toBe('KeywordList');
    expect(defaultSearchAttributes.get('TemporalSchedulePaused')).toBe('Bool');
    for (const name of defaultSearchAttributes.keys()) {
      expect(() => compileVisibilityQuery(`${name} IS NOT NULL ORDER BY ${name}`, defaultSearchAttributes)).not.toThrow();
    }
  });

  it('reports a registry entry of an unknown type as a configuration error', () => {
    const broken = new Map([['Stage', 'KEYWORD' as SearchAttributeType]]);
    expect(() => compileVisibilityQuery("Stage = 'x'", broken)).toThrow(
      /"Stage" is registered with unknown type "KEYWORD"; expected one of Keyword, Text/,
    );
  });

  it('hides runs of another namespace division unless the query mentions the division', () => {
    expect(matching('Score = 10')).toEqual(['life-1']);
    expect(matching("TemporalNamespaceDivision = 'TemporalScheduler'")).toEqual(['schedule-1']);
    expect(matching('Score = 10 AND (TemporalNamespaceDivision IS NULL OR TemporalNamespaceDivision IS NOT NULL)')).toEqual([
      'life-1', 'schedule-1',
    ]);
  });

  it('matches when any value of a multi-valued attribute does, and ignores values of the wrong type', () => {
    const multi = [
      run('m1', { searchAttributes: { LifecycleStage: ['active', 'paying'], Score: [1, 20] } }),
      run('m2', { searchAttributes: { LifecycleStage: 42, Score: '5', LastSeen: '2026-01-01T00:00:00Z' } }),
    ];
    expect(matching("LifecycleStage = 'paying'", multi)).toEqual(['m1']);
    expect(matching('Score > 10 AND Score < 5', multi)).toEqual(['m1']);
    expect(matching('Score BETWEEN 2 AND 19', multi)).toEqual([]);
    expect(matching('LifecycleStage IS NULL AND Score IS NULL', multi)).toEqual(['m2']);
    expect(matching("LastSeen = '2026-01-01T00:00:00Z'", multi)).toEqual(['m2']);
  });
});

describe('visibility query: logic and precedence', () => {
  it('binds AND tighter than OR, and parentheses override', () => {
    const q = "WorkflowType = 'userLifecycle' OR WorkflowType = 'rescue' AND Score > 5";
    expect(matching(q)).toEqual(['life-1', 'life-3', 'rescue-3']);
    expect(matching(`(${q.replace(' AND', ') AND')}`)).toEqual(['life-1', 'rescue-3']);
    expect(matching("Score > 5 AND WorkflowType = 'rescue' OR WorkflowType = 'userLifecycle'")).toEqual([
      'life-1', 'life-3', 'rescue-3',
    ]);
  });

  it('binds NOT tighter than AND and lets it stack', () => {
    expect(matching("NOT WorkflowType = 'rescue' AND Score > 5")).toEqual(['life-1']);
    expect(matching("NOT (WorkflowType = 'rescue' AND Score > 5)")).toEqual(['life-1', 'life-3', 'rescue-1', 'rescue-2']);
    expect(matching("NOT NOT WorkflowType = 'rescue'")).toEqual(['rescue-1', 'rescue-2', 'rescue-3']);
    expect(matching("((((WorkflowType = 'rescue'))))")).toEqual(['rescue-1', 'rescue-2', 'rescue-3']);
  });

  it('lets negations match runs without the attribute, like the Elasticsearch store', () => {
    expect(matching("LifecycleStage != 'silent'")).toEqual(['life-1', 'life-3', 'rescue-2']);
    expect(matching('NOT Score > 0')).toEqual(['life-3', 'rescue-2']);
    expect(matching('Score > 0 OR NOT Score > 0')).toHaveLength(5);
  });

  // Atoms with an independent oracle: every operator against Int, Keyword and Bool attributes,
  // each of which may be absent.
  interface Row { score?: number; kind?: string; flag?: boolean }
  type Atom = { text: string; holds: (row: Row) => boolean };
  type Tree = { atom: Atom } | { not: Tree } | { and: [Tree, Tree] } | { or: [Tree, Tree] };

  const n = fc.integer({ min: -3, max: 3 });
  const compare = (op: string, a: number | string, b: number | string) =>
    ({ '=': a === b, '!=': a !== b, '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b })[op]!;
  const operator = fc.constantFrom('=', '!=', '<', '<=', '>', '>=');
  const atom: fc.Arbitrary<Atom> = fc.oneof(
    fc.tuple(operator, n).map(([op, v]) => ({
      text: `Score ${op} ${v}`,
      holds: (r: Row) => (op === '!=' ? r.score !== v : r.score !== undefined && compare(op, r.score, v)),
    })),
    fc.tuple(operator, fc.constantFrom('a', 'ab', 'b')).map(([op, v]) => ({
      text: `LifecycleStage ${op} '${v}'`,
      holds: (r: Row) => (op === '!=' ? r.kind !== v : r.kind !== undefined && compare(op, r.kind, v)),
    })),
    fc.tuple(fc.boolean(), fc.constantFrom('a', 'b')).map(([not, v]) => ({
      text: `LifecycleStage ${not ? 'NOT ' : ''}STARTS_WITH '${v}'`,
      holds: (r: Row) => (r.kind?.startsWith(v) ?? false) !== not,
    })),
    fc.tuple(fc.boolean(), fc.uniqueArray(n, { minLength: 1, maxLength: 3 })).map(([not, vs]) => ({
      text: `Score ${not ? 'NOT ' : ''}IN (${vs.join(', ')})`,
      holds: (r: Row) => (r.score !== undefined && vs.includes(r.score)) !== not,
    })),
    fc.tuple(fc.boolean(), n, n).map(([not, lo, hi]) => ({
      text: `Score ${not ? 'NOT ' : ''}BETWEEN ${lo} AND ${hi}`,
      holds: (r: Row) => (r.score !== undefined && r.score >= lo && r.score <= hi) !== not,
    })),
    fc.tuple(fc.boolean(), fc.boolean()).map(([not, v]) => ({
      text: `Vip ${not ? '!=' : '='} ${v}`,
      holds: (r: Row) => (r.flag === v) !== not,
    })),
    fc.tuple(fc.boolean(), fc.constantFrom('Score', 'LifecycleStage', 'Vip')).map(([not, name]) => ({
      text: `${name} IS ${not ? 'NOT ' : ''}NULL`,
      holds: (r: Row) => (({ Score: r.score, LifecycleStage: r.kind, Vip: r.flag })[name] === undefined) !== not,
    })),
  );
  const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom.map((a) => ({ atom: a })),
      tie('tree').map((t) => ({ not: t })),
      fc.tuple(tie('tree'), tie('tree')).map((p) => ({ and: p })),
      fc.tuple(tie('tree'), tie('tree')).map((p) => ({ or: p })),
    ),
  }));
  const row: fc.Arbitrary<Row> = fc.record(
    { score: n, kind: fc.constantFrom('a', 'ab', 'b', 'ba', ''), flag: fc.boolean() },
    { requiredKeys: [] },
  );

  const evaluate = (t: Tree, r: Row): boolean =>
    'atom' in t ? t.atom.holds(r)
      : 'not' in t ? !evaluate(t.not, r)
        : 'and' in t ? evaluate(t.and[0], r) && evaluate(t.and[1], r)
          : evaluate(t.or[0], r) || evaluate(t.or[1], r);

  // Writes the tree with only the parentheses precedence needs (plus some the coin adds), so the
  // parser's precedence is what the property checks. Levels: OR 1, AND 2, NOT 3, predicate 4.
  const render = (t: Tree, min: number, coin: () => boolean, word: (w: string) => string): string => {
    const [level, text] =
      'atom' in t ? [4, t.atom.text]
        : 'not' in t ? [3, `${word('NOT')} ${render(t.not, 3, coin, word)}`]
          : 'and' in t ? [2, `${render(t.and[0], 2, coin, word)} ${word('AND')} ${render(t.and[1], 3, coin, word)}`]
            : [1, `${render(t.or[0], 1, coin, word)} ${word('OR')} ${render(t.or[1], 2, coin, word)}`];
    return level < min || coin() ? `(${text})` : text;
  };

  it('agrees with direct evaluation on any AND/OR/NOT combination of predicates (property)', () => {
    fc.assert(
      fc.property(tree, fc.array(row, { minLength: 1, maxLength: 8 }), fc.infiniteStream(fc.boolean()), (t, rows, coins) => {
        const flips = coins[Symbol.iterator]();
        const coin = () => flips.next().value === true && flips.next().value === true;
        const word = (w: string) => (coin() ? w.toLowerCase() : w);
        const query = render(t, 0, coin, word);
        const compiled = compileVisibilityQuery(query, registry);
        for (const r of rows) {
          const record = run('r', { searchAttributes: { Score: r.score, LifecycleStage: r.kind, Vip: r.flag } });
          if (compiled.matches(record) !== evaluate(t, r)) {
            throw new Error(`${query} on ${JSON.stringify(r)}: expected ${evaluate(t, r)}`);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('rejects exactly the same inputs whatever the spacing, and never fails with anything but VisibilityQueryError (property)', () => {
    const piece = fc.constantFrom(
      'Score', 'WorkflowId', '=', '!=', '<', '>=', 'AND', 'OR', 'NOT', 'IN', 'BETWEEN', 'IS', 'NULL',
      'STARTS_WITH', '(', ')', ',', "'a'", '"b"', '3', '-', '2.5', 'true', 'ORDER', 'BY', 'DESC', '`Tags`', "'", '`', '@',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const outcome = (q: string) => {
          try {
            compileVisibilityQuery(q, registry);
            return 'ok';
          } catch (error) {
            if (!(error instanceof VisibilityQueryError)) throw error;
            return 'rejected';
          }
        };
        // Quotes may swallow the separator, so spacing only matters outside them.
        if (pieces.some((p) => p === "'" || p === '`')) return outcome(pieces.join(' ')) !== undefined;
        return outcome(pieces.join(' ')) === outcome(pieces.join('   '));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          compileVisibilityQuery(text, registry);
        } catch (error) {
          if (!(error instanceof VisibilityQueryError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('finds exactly the run whose id a quoted literal spells, for any string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ maxLength: 12 }), fc.boolean(), (id, other, doubleQuotes) => {
        const quote = doubleQuotes ? '"' : "'";
        const literal = quote + id.replace(/\\/g, '\\\\').replaceAll(quote, quote + quote) + quote;
        const compiled = compileVisibilityQuery(`WorkflowId = ${literal}`, registry);
        return compiled.matches(run(id)) && compiled.matches(run(other)) === (other === id);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('visibility query: ordering', () => {
  it('orders by default: open runs first, then by CloseTime and StartTime, newest first', () => {
    expect(list("WorkflowType = 'rescue' OR WorkflowType = 'userLifecycle'")).toEqual([
      'life-3', 'life-1', 'rescue-1', 'rescue-3', 'rescue-2',
    ]);
  });

  it('orders by one attribute ascending (the default) or descending, runs without a value last', () => {
    expect(list('ORDER BY Score')).toEqual(['rescue-2', 'rescue-1', 'rescue-3', 'life-1', 'life-3']);
    expect(list('ORDER BY Score ASC')).toEqual(['rescue-2', 'rescue-1', 'rescue-3', 'life-1', 'life-3']);
    expect(list('order by Score desc')).toEqual(['life-1', 'rescue-3', 'rescue-1', 'rescue-2', 'life-3']);
    expect(list("WorkflowType = 'rescue' ORDER BY StartTime")).toEqual(['rescue-3', 'rescue-1', 'rescue-2']);
    expect(list('ORDER BY CloseTime ASC')).toEqual(['rescue-2', 'rescue-1', 'rescue-3', 'life-3', 'life-1']);
    expect(list('ORDER BY WorkflowId DESC')).toEqual(['rescue-3', 'rescue-2', 'rescue-1', 'life-3', 'life-1']);
  });

  it('orders by several attributes, then falls back to the default order', () => {
    expect(list('ORDER BY LifecycleStage ASC, Score DESC')).toEqual(['life-1', 'rescue-2', 'rescue-3', 'rescue-1', 'life-3']);
    expect(list('ORDER BY ExecutionStatus')).toEqual(['rescue-1', 'rescue-2', 'life-3', 'life-1', 'rescue-3']);
    expect(list('ORDER BY `Vip` DESC, WorkflowType')).toEqual(['life-1', 'rescue-1', 'rescue-3', 'rescue-2', 'life-3']);
  });

  it('sorts a multi-valued attribute by its smallest value ascending and its largest descending', () => {
    const multi = [
      run('a', { searchAttributes: { Tags: ['m', 'z'] } }),
      run('b', { searchAttributes: { Tags: ['n'] } }),
      run('c', { searchAttributes: { Tags: ['a', 'y'] } }),
    ];
    expect(list('ORDER BY Tags', multi)).toEqual(['c', 'a', 'b']);
    expect(list('ORDER BY Tags DESC', multi)).toEqual(['a', 'c', 'b']);
  });

  it('sorts keywords by code point (UTF-8 byte order), not by UTF-16 unit', () => {
    const ids = [run('\u{1F600}'), run('\uFF5E'), run('z')];
    expect(list('ORDER BY WorkflowId', ids)).toEqual(['z', '\uFF5E', '\u{1F600}']);
  });

  it('is a total order consistent with itself (property)', () => {
    const record = fc
      .record({
        id: fc.string({ maxLength: 3 }),
        score: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        start: fc.integer({ min: 0, max: 3 }),
        close: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      })
      .map(({ id, score, start, close }) =>
        run(id, {
          startTime: new Date(start * 1000),
          closeTime: close === undefined ? undefined : new Date(close * 1000),
          searchAttributes: score === undefined ? {} : { Score: score },
        }),
      );
    const orders = fc.constantFrom('', 'ORDER BY Score', 'ORDER BY Score DESC, WorkflowId', 'ORDER BY CloseTime');
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), orders, (rs, order) => {
        const { compare } = compileVisibilityQuery(order, registry);
        for (const a of rs) {
          if (compare(a, a) !== 0) return false;
          for (const b of rs) {
            if (Math.sign(compare(a, b)) !== -Math.sign(compare(b, a))) return false;
            for (const c of rs) if (compare(a, b) < 0 && compare(b, c) < 0 && !(compare(a, c) < 0)) return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('visibility query: errors', () => {
  const cases: Array<[query: string, message: RegExp, position: number]> = [
    ['Nope = 1', /Unknown search attribute "Nope"/, 1],
    ["WorkflowId = 'a' AND workflowtype = 'b'", /Unknown search attribute "workflowtype".*did you mean "WorkflowType"/, 22],
    ["Score = 'abc'", /"Score" is Int and needs a number, found the string 'abc'/, 9],
    ['Score = true', /"Score" is Int and needs a number, found the boolean true/, 9],
    ['Vip = 1', /"Vip" is Bool and needs true or false, found the number 1/, 7],
    ["Vip = 'true'", /"Vip" is Bool and needs true or false/, 7],
    ['LifecycleStage = 5', /"LifecycleStage" is Keyword and needs a quoted string, found the number 5/, 18],
    ["StartTime > 'yesterday'", /"StartTime" is Datetime and needs an RFC 3339 time.*'yesterday'/, 13],
    ["StartTime > '2026-02-30T00:00:00Z'", /RFC 3339.*2026-02-30/, 13],
    ["StartTime > '2026-01-01 00:00:00'", /RFC 3339/, 13],
    ['StartTime > 1.5', /"StartTime" is Datetime and needs an RFC 3339 string or integer nanoseconds/, 13],
    ["Score IN (1, 'two')", /"Score" is Int and needs a number, found the string 'two'/, 14],
    ["Score BETWEEN 1 AND 'x'", /"Score" is Int/, 21],
    ["WorkflowId = 'abc", /Unterminated string \(missing closing '\)/, 14],
    ['WorkflowId = "abc', /Unterminated string \(missing closing "\)/, 14],
    ["`Odd-Name = 'x'", /Unterminated attribute name/, 1],
    ["WorkflowId == 'a'", /Expected a value, found "="/, 13],
    ["WorkflowId 'a'", /Expected an operator .* after "WorkflowId", found the string 'a'/, 12],
    ['ExecutionStatus = Running', /found the name "Running" \(did you forget to quote it\?\)/, 19],
    ["'a' = WorkflowId", /Expected a search attribute name, found the string 'a'/, 1],
    ['WorkflowId = `RunId`', /values cannot be attributes/, 14],
    ["WorkflowId = 'a' AND", /Expected a search attribute name, found the end of the query/, 21],
    ["WorkflowId = 'a' 'b'", /Expected AND, OR, ORDER BY or the end of the query, found the string 'b'/, 18],
    ["(WorkflowId = 'a'", /Expected "\)" to close the parenthesis/, 18],
    ["WorkflowId = 'a')", /Expected AND, OR, ORDER BY or the end of the query, found "\)"/, 17],
    ['()', /Expected a search attribute name, found "\)"/, 2],
    ['Score IN ()', /IN needs at least one value/, 11],
    ['Score IN 1, 2', /Expected "\(" to open the IN list/, 10],
    ['Score IN (1, 2', /Expected "\)" to close the IN list/, 15],
    ['Score BETWEEN 1 OR 2', /Expected AND in BETWEEN, found OR/, 17],
    ['Score NOT = 1', /Expected IN, BETWEEN or STARTS_WITH after NOT/, 11],
    ['Score IS 1', /IS can only be followed by NULL or NOT NULL/, 10],
    ['Score = NULL', /NULL is not a value here \(use IS NULL/, 9],
    ["WorkflowId LIKE 'a%'", /LIKE is not supported \(use STARTS_WITH/, 12],
    ['Score STARTS_WITH 1', /Operator STARTS_WITH is not supported for Int search attribute "Score"/, 1],
    ["Tags NOT STARTS_WITH 'a'", /Operator NOT STARTS_WITH is not supported for KeywordList/, 1],
    ["Tags > 'a'", /Operator > is not supported for KeywordList search attribute "Tags"/, 1],
    ["Tags BETWEEN 'a' AND 'b'", /Operator BETWEEN is not supported for KeywordList/, 1],
    ["Notes > 'a'", /Operator > is not supported for Text/, 1],
    ["Notes IN ('a')", /Operator IN is not supported for Text/, 1],
    ["Notes = '  '", /Text search attribute "Notes" needs a value with at least one word/, 9],
    ['Vip BETWEEN false AND true', /Operator BETWEEN is not supported for Bool/, 1],
    ['Score = 1 ORDER Score', /Expected BY after ORDER, found "Score"/, 17],
    ['ORDER BY Notes', /Cannot ORDER BY Text search attribute "Notes"/, 10],
    ['ORDER BY Nope DESC', /Unknown search attribute "Nope"/, 10],
    ['ORDER BY Score DESC WorkflowId', /Expected a comma, ASC, DESC or the end of the query, found "WorkflowId"/, 21],
    ['ORDER BY Score, ', /Expected a search attribute name, found the end of the query/, 17],
    ["Score = 1 GROUP BY ExecutionStatus", /GROUP BY is not supported/, 11],
    ['Score = 1 LIMIT 5', /LIMIT is not supported/, 11],
    ['Score = 1 && Vip = true', /Unexpected character "&"/, 11],
    ['Score = 1; Vip = true', /Unexpected character ";"/, 10],
    ['!(Score = 1)', /Unexpected character "!" \(use != or NOT\)/, 1],
    ['Score = 12abc', /Malformed number "12a"/, 9],
    ['Score = -', /Expected a number after "-", found the end of the query/, 10],
    ["Score = - 'a'", /Expected a number after "-", found the string 'a'/, 11],
    ["AND = 'x'", /found keyword AND \(quote an attribute of that name with backticks\)/, 1],
    ["`` = 'x'", /Empty attribute name/, 1],
  ];

  it.each(cases)('rejects %j', (query, message, position) => {
    const error = queryError(query);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('VisibilityQueryError');
    expect(error.message).toMatch(message);
    expect(error.position).toBe(position);
    expect(error.message).toMatch(new RegExp(`at position ${position}$`));
  });
});
