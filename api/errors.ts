/** One rule broken by one field of a request; `field` is a path such as `batch[3].timestamp`. */
export interface FieldIssue {
  field: string;
  rule: string;
  message: string;
}

/** The JSON body of every error response: a code to branch on, a sentence to read, the fields at fault. */
export interface ErrorBody {
  success: false;
  error: string;
  message: string;
  issues?: FieldIssue[];
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues?: FieldIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): ErrorBody {
    return { success: false, error: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) };
  }
}

/** `['batch', 3, 'timestamp']` → `batch[3].timestamp`; the empty path is the body itself. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(body)';
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);
// SQLSTATE class 08 is "connection exception"; the others are a server shutting down or full.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** True for errors that mean "the database cannot be reached now", as opposed to a bad statement. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code))) {
    return true;
  }
  if (/PGlite is closed/i.test(error.message)) return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return false;
}
