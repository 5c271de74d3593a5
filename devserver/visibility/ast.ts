import type { ComparisonOperator } from './tokenizer.ts';

/** The query as written, before attribute names and values are checked against their types. */
export interface Query {
  where: Expression | undefined;
  orderBy: OrderTerm[];
}

export interface OrderTerm {
  attribute: AttributeReference;
  descending: boolean;
}

export interface AttributeReference {
  name: string;
  position: number;
}

/** A literal keeps its source text: what it means depends on the attribute it is compared with. */
export type Literal =
  | { kind: 'string'; text: string; position: number }
  | { kind: 'number'; text: string; position: number }
  | { kind: 'boolean'; value: boolean; position: number };

export type Expression =
  | { kind: 'and' | 'or'; left: Expression; right: Expression }
  | { kind: 'not'; operand: Expression }
  | { kind: 'compare'; attribute: AttributeReference; operator: ComparisonOperator; value: Literal }
  | { kind: 'in'; attribute: AttributeReference; negated: boolean; values: Literal[] }
  | { kind: 'between'; attribute: AttributeReference; negated: boolean; low: Literal; high: Literal }
  | { kind: 'startsWith'; attribute: AttributeReference; negated: boolean; prefix: Literal }
  | { kind: 'isNull'; attribute: AttributeReference; negated: boolean };
