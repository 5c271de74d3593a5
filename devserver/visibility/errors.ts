/**
 * A query the server must reject with INVALID_ARGUMENT. `position` is the 1-based character index
 * in the query where the offending token starts, so callers can point at it.
 */
export class VisibilityQueryError extends Error {
  override readonly name = 'VisibilityQueryError';

  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
  }
}
