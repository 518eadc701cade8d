// Internal guards for decoding untrusted plain data; not re-exported from the package.
import { InvalidClockValueError } from "./errors.js";

/**
 * Untrusted input typed as iterable may be anything at run time; a TypeError from `for...of`
 * would escape the typed-error contract, so check first. Strings are refused: they iterate
 * as characters, never as entries.
 */
export function iterableOf<T>(value: Iterable<T>, what: string): Iterable<T> {
  const candidate = value as unknown;
  if (
    typeof candidate !== "object" ||
    candidate === null ||
    typeof (candidate as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== "function"
  ) {
    throw new InvalidClockValueError(`${what} must be an iterable collection`);
  }
  return value;
}
