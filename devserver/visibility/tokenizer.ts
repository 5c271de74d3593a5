import { VisibilityQueryError } from './errors.ts';

/**
 * `word` is a bare word (attribute name or keyword, told apart by the parser); `name` is a
 * back-quoted attribute name, never a keyword; `number` keeps its source text so that each
 * attribute type can read it at full precision (Datetime takes int64 nanoseconds).
 */
export type Token =
  | { kind: 'word'; text: string; position: number }
  | { kind: 'name'; text: string; position: number }
  | { kind: 'string'; text: string; position: number }
  | { kind: 'number'; text: string; position: number }
  | { kind: 'operator'; text: ComparisonOperator; position: number }
  | { kind: 'punctuation'; text: '(' | ')' | ',' | '-' | '+'; position: number }
  | { kind: 'end'; text: ''; position: number };

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

const wordStart = /[A-Za-z_]/;
const wordPart = /[A-Za-z0-9_$]/;
const digit = /[0-9]/;

// MySQL-style backslash escapes, as the server's SQL parser reads them.
const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', '0': '\0', Z: '\x1a' };

/** Splits a visibility query into tokens; positions are 1-based character indexes. */
export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const char = query[i]!;
    const position = i + 1;
    if (/\s/.test(char)) {
      i++;
    } else if (char === "'" || char === '"') {
      const { text, end } = readQuoted(query, i, char, 'string');
      tokens.push({ kind: 'string', text, position });
      i = end;
    } else if (char === '`') {
      const { text, end } = readQuoted(query, i, char, 'attribute name');
      if (text === '') throw new VisibilityQueryError('Empty attribute name ``', position);
      tokens.push({ kind: 'name', text, position });
      i = end;
    } else if (digit.test(char) || (char === '.' && digit.test(query[i + 1] ?? ''))) {
      const match = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(query.slice(i))!;
      const after = query[i + match[0].length];
      if (after !== undefined && wordPart.test(after)) {
        throw new VisibilityQueryError(`Malformed number "${match[0]}${after}"`, position);
      }
      tokens.push({ kind: 'number', text: match[0], position });
      i += match[0].length;
    } else if (wordStart.test(char)) {
      let end = i + 1;
      while (end < query.length && wordPart.test(query[end]!)) end++;
      tokens.push({ kind: 'word', text: query.slice(i, end), position });
      i = end;
    } else if ('<>!='.includes(char)) {
      const two = query.slice(i, i + 2);
      if (two === '<=' || two === '>=' || two === '!=') {
        tokens.push({ kind: 'operator', text: two, position });
        i += 2;
      } else if (two === '<>') {
        tokens.push({ kind: 'operator', text: '!=', position });
        i += 2;
      } else if (char === '!') {
        throw new VisibilityQueryError('Unexpected character "!" (use != or NOT)', position);
      } else {
        tokens.push({ kind: 'operator', text: char as '=' | '<' | '>', position });
        i++;
      }
    } else if ('(),-+'.includes(char)) {
      tokens.push({ kind: 'punctuation', text: char as '(' | ')' | ',' | '-' | '+', position });
      i++;
    } else {
      throw new VisibilityQueryError(`Unexpected character "${char}"`, position);
    }
  }
  tokens.push({ kind: 'end', text: '', position: query.length + 1 });
  return tokens;
}

/** Reads a quoted run starting at `start`; the quote doubles or takes a backslash to escape itself. */
function readQuoted(
  query: string,
  start: number,
  quote: string,
  what: string,
): { text: string; end: number } {
  let text = '';
  let i = start + 1;
  while (i < query.length) {
    const char = query[i]!;
    if (char === quote) {
      if (query[i + 1] === quote) {
        text += quote;
        i += 2;
        continue;
      }
      return { text, end: i + 1 };
    }
    if (char === '\\' && quote !== '`' && i + 1 < query.length) {
      const next = query[i + 1]!;
      text += escapes[next] ?? next;
      i += 2;
      continue;
    }
    text += char;
    i++;
  }
  throw new VisibilityQueryError(`Unterminated ${what} (missing closing ${quote})`, start + 1);
}
