import type { AttributeReference, Expression, Literal, OrderTerm, Query } from './ast.ts';
import { VisibilityQueryError } from './errors.ts';
import { tokenize, type Token } from './tokenizer.ts';

const keywords = new Set([
  'AND', 'OR', 'NOT', 'IN', 'BETWEEN', 'STARTS_WITH', 'IS', 'NULL', 'TRUE', 'FALSE',
  'ORDER', 'BY', 'ASC', 'DESC', 'GROUP', 'LIMIT', 'WHERE', 'LIKE',
]);

/**
 * Recursive descent over the grammar the server accepts (a MySQL WHERE clause plus ORDER BY).
 * Precedence, loosest first: OR, AND, NOT, then one predicate `attribute <op> value`.
 */
export function parseQuery(query: string): Query {
  return new Parser(tokenize(query)).query();
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  query(): Query {
    const where = this.isKeyword('ORDER') || this.peek().kind === 'end' ? undefined : this.or();
    const orderBy = this.isKeyword('ORDER') ? this.orderBy() : [];
    const token = this.peek();
    if (token.kind === 'end') return { where, orderBy };
    if (this.isKeyword('GROUP')) this.fail('GROUP BY is not supported by the in-memory server', token);
    if (this.isKeyword('LIMIT')) this.fail('LIMIT is not supported in a visibility query (use the page size)', token);
    const expected = orderBy.length > 0 ? 'a comma, ASC, DESC or the end of the query' : 'AND, OR, ORDER BY or the end of the query';
    return this.fail(`Expected ${expected}, found ${describe(token)}`, token);
  }

  private or(): Expression {
    let left = this.and();
    while (this.acceptKeyword('OR')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): Expression {
    let left = this.not();
    while (this.acceptKeyword('AND')) left = { kind: 'and', left, right: this.not() };
    return left;
  }

  private not(): Expression {
    if (this.acceptKeyword('NOT')) return { kind: 'not', operand: this.not() };
    return this.predicate();
  }

  private predicate(): Expression {
    if (this.acceptPunctuation('(')) {
      const inner = this.or();
      this.expectPunctuation(')', 'to close the parenthesis');
      return inner;
    }
    const attribute = this.attribute();
    const token = this.peek();
    if (token.kind === 'operator') {
      this.index++;
      return { kind: 'compare', attribute, operator: token.text, value: this.literal() };
    }
    const negated = this.acceptKeyword('NOT');
    if (this.acceptKeyword('IN')) return { kind: 'in', attribute, negated, values: this.tuple() };
    if (this.acceptKeyword('BETWEEN')) {
      const low = this.literal();
      if (!this.acceptKeyword('AND')) this.fail(`Expected AND in BETWEEN, found ${describe(this.peek())}`, this.peek());
      return { kind: 'between', attribute, negated, low, high: this.literal() };
    }
    if (this.acceptKeyword('STARTS_WITH')) return { kind: 'startsWith', attribute, negated, prefix: this.literal() };
    if (negated) {
      return this.fail(`Expected IN, BETWEEN or STARTS_WITH after NOT, found ${describe(this.peek())}`, this.peek());
    }
    if (this.acceptKeyword('IS')) {
      const isNot = this.acceptKeyword('NOT');
      if (!this.acceptKeyword('NULL')) {
        this.fail(`IS can only be followed by NULL or NOT NULL, found ${describe(this.peek())}`, this.peek());
      }
      return { kind: 'isNull', attribute, negated: isNot };
    }
    if (this.isKeyword('LIKE')) this.fail('LIKE is not supported (use STARTS_WITH for a prefix)', token);
    return this.fail(
      `Expected an operator (=, !=, <, <=, >, >=, IN, BETWEEN, STARTS_WITH, IS) after "${attribute.name}", found ${describe(token)}`,
      token,
    );
  }

  private attribute(): AttributeReference {
    const token = this.peek();
    if (token.kind === 'name' || (token.kind === 'word' && !keywords.has(token.text.toUpperCase()))) {
      this.index++;
      return { name: token.text, position: token.position };
    }
    if (token.kind === 'word') {
      return this.fail(
        `Expected a search attribute name, found keyword ${token.text.toUpperCase()} (quote an attribute of that name with backticks)`,
        token,
      );
    }
    return this.fail(`Expected a search attribute name, found ${describe(token)}`, token);
  }

  private literal(): Literal {
    const token = this.peek();
    if (token.kind === 'string') {
      this.index++;
      return { kind: 'string', text: token.text, position: token.position };
    }
    if (token.kind === 'number') {
      this.index++;
      return { kind: 'number', text: token.text, position: token.position };
    }
    if (token.kind === 'punctuation' && (token.text === '-' || token.text === '+')) {
      const next = this.tokens[this.index + 1]!;
      if (next.kind !== 'number') this.fail(`Expected a number after "${token.text}", found ${describe(next)}`, next);
      this.index += 2;
      return { kind: 'number', text: token.text === '-' ? `-${next.text}` : next.text, position: token.position };
    }
    if (token.kind === 'word') {
      const upper = token.text.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE') {
        this.index++;
        return { kind: 'boolean', value: upper === 'TRUE', position: token.position };
      }
      if (upper === 'NULL') this.fail('NULL is not a value here (use IS NULL or IS NOT NULL)', token);
      if (!keywords.has(upper)) {
        this.fail(`Expected a value, found the name "${token.text}" (did you forget to quote it?)`, token);
      }
    }
    if (token.kind === 'name') {
      this.fail(`Expected a value, found the attribute name \`${token.text}\` (values cannot be attributes)`, token);
    }
    return this.fail(`Expected a value, found ${describe(token)}`, token);
  }

  private tuple(): Literal[] {
    this.expectPunctuation('(', 'to open the IN list');
    if (this.peek().kind === 'punctuation' && this.peek().text === ')') {
      this.fail('IN needs at least one value', this.peek());
    }
    const values = [this.literal()];
    while (this.acceptPunctuation(',')) values.push(this.literal());
    this.expectPunctuation(')', 'to close the IN list');
    return values;
  }

  private orderBy(): OrderTerm[] {
    this.index++; // ORDER
    if (!this.acceptKeyword('BY')) this.fail(`Expected BY after ORDER, found ${describe(this.peek())}`, this.peek());
    const terms: OrderTerm[] = [];
    do {
      const attribute = this.attribute();
      const descending = this.acceptKeyword('DESC');
      if (!descending) this.acceptKeyword('ASC');
      terms.push({ attribute, descending });
    } while (this.acceptPunctuation(','));
    return terms;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private isKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.text.toUpperCase() === keyword;
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.isKeyword(keyword)) return false;
    this.index++;
    return true;
  }

  private acceptPunctuation(text: string): boolean {
    const token = this.peek();
    if (token.kind !== 'punctuation' || token.text !== text) return false;
    this.index++;
    return true;
  }

  private expectPunctuation(text: string, why: string): void {
    if (!this.acceptPunctuation(text)) this.fail(`Expected "${text}" ${why}, found ${describe(this.peek())}`, this.peek());
  }

  private fail(message: string, token: Token): never {
    throw new VisibilityQueryError(message, token.position);
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the query';
    case 'string':
      return `the string '${token.text}'`;
    case 'number':
      return `the number ${token.text}`;
    case 'name':
      return `\`${token.text}\``;
    case 'word':
      return keywords.has(token.text.toUpperCase()) ? token.text.toUpperCase() : `"${token.text}"`;
    default:
      return `"${token.text}"`;
  }
}
