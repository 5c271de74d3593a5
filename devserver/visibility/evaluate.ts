import type { AttributeReference, Expression } from './ast.ts';
import { resolveAttribute, type ResolvedAttribute } from './attributes.ts';
import { VisibilityQueryError } from './errors.ts';
import type { SearchAttributeType, VisibilityRecord } from './record.ts';
import { textTokens } from './text.ts';
import { compareScalars, literalValue, recordValues, type Scalar } from './values.ts';

export type Predicate = (record: VisibilityRecord) => boolean;

type Operation = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'IN' | 'BETWEEN' | 'STARTS_WITH' | 'IS';

const comparisons: Operation[] = ['=', '!=', '<', '<=', '>', '>=', 'IN', 'IS'];

// The operators the server accepts per type (its query converter's tables).
const supported: Record<SearchAttributeType, ReadonlySet<Operation>> = {
  Keyword: new Set([...comparisons, 'BETWEEN', 'STARTS_WITH']),
  KeywordList: new Set(['=', '!=', 'IN', 'IS']),
  Text: new Set(['=', '!=', 'IS']),
  Int: new Set([...comparisons, 'BETWEEN']),
  Double: new Set([...comparisons, 'BETWEEN']),
  Datetime: new Set([...comparisons, 'BETWEEN']),
  Bool: new Set(comparisons),
};

/**
 * Turns the parsed filter into a predicate, checking every attribute and value first so that a bad
 * query fails before any record is looked at. `referenced` collects the resolved attribute names.
 *
 * Semantics follow the Elasticsearch store (the one that supports ORDER BY): a predicate holds when
 * any of the run's values satisfies it, and a negation (!=, NOT IN, NOT BETWEEN, NOT STARTS_WITH,
 * NOT) is the plain complement, so it also matches runs that have no value at all.
 */
export function compilePredicate(
  expression: Expression,
  registry: ReadonlyMap<string, SearchAttributeType>,
  referenced: Set<string>,
): Predicate {
  const attribute = (reference: AttributeReference, operation: Operation, negated = false): ResolvedAttribute => {
    const resolved = resolveAttribute(reference, registry);
    referenced.add(resolved.name);
    if (!supported[resolved.type].has(operation)) {
      const written = negated ? `NOT ${operation}` : operation;
      throw new VisibilityQueryError(
        `Operator ${written} is not supported for ${resolved.type} search attribute "${reference.name}"`,
        reference.position,
      );
    }
    return resolved;
  };
  const compile = (node: Expression): Predicate => {
    switch (node.kind) {
      case 'and': {
        const [left, right] = [compile(node.left), compile(node.right)];
        return (r) => left(r) && right(r);
      }
      case 'or': {
        const [left, right] = [compile(node.left), compile(node.right)];
        return (r) => left(r) || right(r);
      }
      case 'not': {
        const operand = compile(node.operand);
        return (r) => !operand(r);
      }
      case 'isNull': {
        const target = attribute(node.attribute, 'IS');
        return (r) => (recordValues(target, r).length === 0) !== node.negated;
      }
      case 'compare': {
        const target = attribute(node.attribute, node.operator);
        const value = literalValue(node.value, target);
        if (target.type === 'Text') return textMatch(target, value as string, node.operator === '!=');
        const test = comparison(node.operator, value);
        if (node.operator === '!=') return (r) => !recordValues(target, r).some(test);
        return (r) => recordValues(target, r).some(test);
      }
      case 'in': {
        const target = attribute(node.attribute, 'IN', node.negated);
        const values = new Set(node.values.map((v) => literalValue(v, target)));
        return (r) => recordValues(target, r).some((v) => values.has(v)) !== node.negated;
      }
      case 'between': {
        const target = attribute(node.attribute, 'BETWEEN', node.negated);
        const [low, high] = [literalValue(node.low, target), literalValue(node.high, target)];
        const inRange = (v: Scalar) => compareScalars(v, low) >= 0 && compareScalars(v, high) <= 0;
        return (r) => recordValues(target, r).some(inRange) !== node.negated;
      }
      case 'startsWith': {
        const target = attribute(node.attribute, 'STARTS_WITH', node.negated);
        const prefix = literalValue(node.prefix, target) as string;
        return (r) => recordValues(target, r).some((v) => (v as string).startsWith(prefix)) !== node.negated;
      }
    }
  };
  return compile(expression);
}

function comparison(operator: Exclude<Operation, 'IN' | 'BETWEEN' | 'STARTS_WITH' | 'IS'>, value: Scalar) {
  switch (operator) {
    case '=':
    case '!=':
      return (v: Scalar) => compareScalars(v, value) === 0;
    case '<':
      return (v: Scalar) => compareScalars(v, value) < 0;
    case '<=':
      return (v: Scalar) => compareScalars(v, value) <= 0;
    case '>':
      return (v: Scalar) => compareScalars(v, value) > 0;
    case '>=':
      return (v: Scalar) => compareScalars(v, value) >= 0;
  }
}

/** Text `=` holds when any word of the query is a word of the value (Elasticsearch match query). */
function textMatch(target: ResolvedAttribute, query: string, negated: boolean): Predicate {
  const wanted = new Set(textTokens(query));
  return (r) => recordValues(target, r).some((v) => textTokens(v as string).some((t) => wanted.has(t))) !== negated;
}
