import type { OrderTerm } from './ast.ts';
import { resolveAttribute, type ResolvedAttribute } from './attributes.ts';
import { VisibilityQueryError } from './errors.ts';
import type { SearchAttributeType, VisibilityRecord } from './record.ts';
import { compareScalars, recordValues, type Scalar } from './values.ts';

export type Comparator = (a: VisibilityRecord, b: VisibilityRecord) => number;

interface SortKey {
  attribute: ResolvedAttribute;
  descending: boolean;
  missingFirst: boolean;
}

const noRegistry: ReadonlyMap<string, SearchAttributeType> = new Map();
const systemKey = (name: string, descending: boolean, missingFirst: boolean): SortKey => ({
  attribute: resolveAttribute({ name, position: 0 }, noRegistry),
  descending,
  missingFirst,
});

// The server's default order: open runs first, then the most recently closed, then the most
// recently started. RunId last only makes the order total, so pages never shuffle.
const defaultKeys: SortKey[] = [
  systemKey('CloseTime', true, true),
  systemKey('StartTime', true, true),
  systemKey('RunId', false, false),
];

/**
 * Sorts by the ORDER BY terms, then by the default order. As in Elasticsearch, runs without a value
 * sort last in either direction, and a run with several values sorts by its smallest ascending
 * and by its largest descending.
 */
export function compileComparator(
  terms: OrderTerm[],
  registry: ReadonlyMap<string, SearchAttributeType>,
): Comparator {
  const keys: SortKey[] = terms.map(({ attribute: reference, descending }) => {
    const attribute = resolveAttribute(reference, registry);
    if (attribute.type === 'Text') {
      throw new VisibilityQueryError(`Cannot ORDER BY Text search attribute "${reference.name}"`, reference.position);
    }
    return { attribute, descending, missingFirst: false };
  });
  keys.push(...defaultKeys);
  return (a, b) => {
    for (const key of keys) {
      const [x, y] = [sortValue(key, a), sortValue(key, b)];
      if (x === undefined || y === undefined) {
        if (x !== y) return (x === undefined) === key.missingFirst ? -1 : 1;
        continue;
      }
      const order = compareScalars(x, y);
      if (order !== 0) return key.descending ? -order : order;
    }
    return 0;
  };
}

function sortValue(key: SortKey, record: VisibilityRecord): Scalar | undefined {
  const values = recordValues(key.attribute, record);
  let best = values[0];
  for (const value of values) {
    const order = compareScalars(value, best!);
    if (key.descending ? order > 0 : order < 0) best = value;
  }
  return best;
}
