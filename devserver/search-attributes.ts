import { invalidArgument } from './errors.ts';
import type { Msg } from './proto.ts';
import type { SearchAttributeType } from './visibility/index.ts';

export const SEARCH_ATTRIBUTE_TYPES: readonly SearchAttributeType[] = [
  'Keyword',
  'Text',
  'Int',
  'Double',
  'Bool',
  'Datetime',
  'KeywordList',
];

/** Temporal's predefined custom attributes of the dev server, plus the SDK's patch-version list. */
const DEFAULT_CUSTOM: ReadonlyArray<[string, SearchAttributeType]> = [
  ['CustomKeywordField', 'Keyword'],
  ['CustomStringField', 'Text'],
  ['CustomTextField', 'Text'],
  ['CustomIntField', 'Int'],
  ['CustomDoubleField', 'Double'],
  ['CustomBoolField', 'Bool'],
  ['CustomDatetimeField', 'Datetime'],
  ['TemporalChangeVersion', 'KeywordList'],
  ['BinaryChecksums', 'KeywordList'],
  ['BuildIds', 'KeywordList'],
];

/** Attributes the server computes itself; a visibility query may use them, a workflow may not set them. */
export const SYSTEM_ATTRIBUTES: ReadonlyArray<[string, SearchAttributeType]> = [
  ['WorkflowId', 'Keyword'],
  ['RunId', 'Keyword'],
  ['WorkflowType', 'Keyword'],
  ['TaskQueue', 'Keyword'],
  ['ExecutionStatus', 'Keyword'],
  ['StartTime', 'Datetime'],
  ['ExecutionTime', 'Datetime'],
  ['CloseTime', 'Datetime'],
];

const ENUM_TO_TYPE: Record<string, SearchAttributeType> = {
  INDEXED_VALUE_TYPE_KEYWORD: 'Keyword',
  INDEXED_VALUE_TYPE_TEXT: 'Text',
  INDEXED_VALUE_TYPE_INT: 'Int',
  INDEXED_VALUE_TYPE_DOUBLE: 'Double',
  INDEXED_VALUE_TYPE_BOOL: 'Bool',
  INDEXED_VALUE_TYPE_DATETIME: 'Datetime',
  INDEXED_VALUE_TYPE_KEYWORD_LIST: 'KeywordList',
};

export function typeFromEnum(value: string | number): SearchAttributeType | undefined {
  return ENUM_TO_TYPE[String(value)];
}

export function typeToEnum(type: SearchAttributeType): string {
  return Object.entries(ENUM_TO_TYPE).find(([, t]) => t === type)![0];
}

export function parseSearchAttributeType(text: string): SearchAttributeType | undefined {
  const found = SEARCH_ATTRIBUTE_TYPES.find((t) => t.toLowerCase() === text.trim().toLowerCase());
  if (found) return found;
  return typeFromEnum(text.trim().toUpperCase());
}

export class SearchAttributeRegistry {
  private custom = new Map<string, SearchAttributeType>(DEFAULT_CUSTOM);

  register(name: string, type: SearchAttributeType): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw invalidArgument(`search attribute name "${name}" must be letters, digits and underscores`);
    }
    if (SYSTEM_ATTRIBUTES.some(([n]) => n === name)) {
      throw invalidArgument(`search attribute ${name} is reserved by the system`);
    }
    const existing = this.custom.get(name);
    if (existing && existing !== type) {
      throw invalidArgument(`search attribute ${name} is already registered with type ${existing}`);
    }
    this.custom.set(name, type);
  }

  customAttributes(): ReadonlyMap<string, SearchAttributeType> {
    return this.custom;
  }

  /** Custom plus system attributes: what a visibility query may name. */
  queryable(): ReadonlyMap<string, SearchAttributeType> {
    return new Map([...SYSTEM_ATTRIBUTES, ...this.custom]);
  }

  /**
   * Validates incoming indexed fields and stamps each payload with its registered type, which the
   * client's typedSearchAttributes needs to decode them. A null or empty-list value unsets the key.
   */
  stamp(fields: Record<string, Msg> | undefined | null): Record<string, Msg> {
    const out: Record<string, Msg> = {};
    for (const [name, payload] of Object.entries(fields ?? {})) {
      const type = this.custom.get(name);
      if (!type) {
        throw invalidArgument(`search attribute ${name} is not defined; register it first`);
      }
      out[name] = { ...payload, metadata: { ...(payload.metadata ?? {}), type: Buffer.from(type) } };
    }
    return out;
  }

  /** Payloads to plain values (string, number, boolean, Date, string[]) for visibility queries. */
  decode(fields: Record<string, Msg>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, payload] of Object.entries(fields)) {
      const value = decodeValue(payload, this.custom.get(name));
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
}

export function isUnset(payload: Msg): boolean {
  const data: Buffer | undefined = payload.data;
  if (!data || data.length === 0) return true;
  const text = data.toString('utf8').trim();
  return text === 'null' || text === '[]';
}

function decodeValue(payload: Msg, type: SearchAttributeType | undefined): unknown {
  if (isUnset(payload)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload.data).toString('utf8'));
  } catch {
    return undefined;
  }
  if (type === 'KeywordList') return Array.isArray(value) ? value.map(String) : [String(value)];
  // Untyped (older) client encodings wrap every value in a list.
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null) return undefined;
  switch (type) {
    case 'Datetime':
      return new Date(String(value));
    case 'Int':
    case 'Double':
      return Number(value);
    case 'Bool':
      return Boolean(value);
    default:
      return String(value);
  }
}
