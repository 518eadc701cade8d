import { DecodeError, type DecodeLimits } from "@convergent/core";

/** Shape checks shared by the decoders: each throws DecodeError with the reason that fits. */
export function expectArray(plain: unknown, what: string, maxLength: number): readonly unknown[] {
  if (!Array.isArray(plain)) throw new DecodeError("WRONG_TYPE", `${what} must be an array`);
  if (plain.length > maxLength) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `${what} has ${plain.length} entries; the limit is ${maxLength}`,
    );
  }
  return plain;
}

export function expectTuple(plain: unknown, length: number, what: string): readonly unknown[] {
  const tuple = expectArray(plain, what, Number.MAX_SAFE_INTEGER);
  if (tuple.length !== length) {
    throw new DecodeError("MALFORMED", `${what} must have ${length} fields, got ${tuple.length}`);
  }
  return tuple;
}

/** A dot counter or vector entry: a positive safe integer. */
export function expectCounter(plain: unknown, what: string): number {
  if (typeof plain !== "number") throw new DecodeError("WRONG_TYPE", `${what} must be a number`);
  if (!Number.isSafeInteger(plain) || plain < 1) {
    throw new DecodeError("INVALID_VALUE", `${what} must be a positive safe integer, got ${plain}`);
  }
  return plain;
}

/** Counts entries across nested collections that together form one logical collection. */
export function entryBudget(limits: DecodeLimits, what: string): (count: number) => void {
  let used = 0;
  return (count) => {
    used += count;
    if (used > limits.maxEntries) {
      throw new DecodeError(
        "LIMIT_EXCEEDED",
        `${what} has more than ${limits.maxEntries} entries in total`,
      );
    }
  };
}
