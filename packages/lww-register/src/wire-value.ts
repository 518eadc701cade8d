import {
  canonicalPlainValue,
  DecodeError,
  type DecodeLimits,
  FORBIDDEN_KEYS,
  MAX_PLAIN_DEPTH,
  type PlainValue,
} from "@convergent/core";

/**
 * Validates a user value received from outside and returns its canonical frozen copy (the form
 * `set` stores), so decoded states equal written ones and never alias the decoder's buffers.
 * Applies the PlainValue rules (finite numbers, plain objects, none of the keys that reach
 * Object.prototype) and the limits: depth counted from the value itself, capped at
 * MAX_PLAIN_DEPTH like a local write; entries per array or object; string and key length.
 */
export function decodePlainValue(plain: unknown, limits: DecodeLimits): PlainValue {
  checkValue(plain, limits, Math.min(limits.maxDepth, MAX_PLAIN_DEPTH), 0);
  return canonicalPlainValue(plain as PlainValue);
}

function checkValue(plain: unknown, limits: DecodeLimits, maxDepth: number, depth: number): void {
  if (depth > maxDepth) {
    throw new DecodeError("LIMIT_EXCEEDED", `value nested deeper than ${maxDepth}`);
  }
  if (plain === null || typeof plain === "boolean") return;
  if (typeof plain === "number") {
    if (!Number.isFinite(plain)) throw new DecodeError("INVALID_VALUE", `non-finite ${plain}`);
    return;
  }
  if (typeof plain === "string") {
    checkStringLength(plain, limits);
    return;
  }
  if (typeof plain !== "object") {
    throw new DecodeError("WRONG_TYPE", `${typeof plain} is not a plain value`);
  }
  if (plain instanceof Uint8Array) return;
  if (Array.isArray(plain)) {
    checkEntries(plain.length, limits);
    for (const item of plain) checkValue(item, limits, maxDepth, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(plain);
  if (proto !== Object.prototype && proto !== null) {
    throw new DecodeError("WRONG_TYPE", "objects in values must be plain objects");
  }
  const keys = Object.keys(plain);
  checkEntries(keys.length, limits);
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key)) throw new DecodeError("FORBIDDEN_KEY", `forbidden key ${key}`);
    checkStringLength(key, limits);
    checkValue((plain as Record<string, unknown>)[key], limits, maxDepth, depth + 1);
  }
}

export function checkStringLength(text: string, limits: DecodeLimits): void {
  if (text.length > limits.maxStringLength) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `string of ${text.length} code units; the limit is ${limits.maxStringLength}`,
    );
  }
}

export function checkEntries(count: number, limits: DecodeLimits): void {
  if (count > limits.maxEntries) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `collection of ${count} entries; the limit is ${limits.maxEntries}`,
    );
  }
}

/**
 * Runs a decoder and turns anything but a DecodeError (a throwing getter or a proxy in hostile
 * input) into one, so `fromWire` throws DecodeError and nothing else.
 */
export function decoding<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError("MALFORMED", `${what} could not be read`, { cause: error });
  }
}
