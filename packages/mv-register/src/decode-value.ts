import {
  canonicalPlainValue,
  DecodeError,
  type DecodeLimits,
  FORBIDDEN_KEYS,
  MAX_PLAIN_DEPTH,
  type PlainValue,
} from "@convergent/core";

/**
 * Validates an untrusted sibling value against PlainValue and the decode limits, then returns
 * its canonical frozen copy (the form `write` stores), so decoded states equal written ones.
 */
export function decodePlainValue(plain: unknown, limits: DecodeLimits): PlainValue {
  checkPlainValue(plain, limits, Math.min(limits.maxDepth, MAX_PLAIN_DEPTH), 0);
  return canonicalPlainValue(plain as PlainValue);
}

function checkPlainValue(plain: unknown, limits: DecodeLimits, maxDepth: number, depth: number) {
  if (depth > maxDepth) {
    throw new DecodeError("LIMIT_EXCEEDED", `value nests deeper than ${maxDepth}`);
  }
  if (plain === null || typeof plain === "boolean") return;
  if (typeof plain === "number") {
    if (!Number.isFinite(plain)) throw new DecodeError("INVALID_VALUE", `non-finite number`);
    return;
  }
  if (typeof plain === "string") {
    checkStringLength(plain, limits, "string value");
    return;
  }
  if (typeof plain !== "object") {
    throw new DecodeError("WRONG_TYPE", `${typeof plain} is not a plain value`);
  }
  if (plain instanceof Uint8Array) return;
  if (Array.isArray(plain)) {
    checkEntryCount(plain.length, limits, "array value");
    for (const item of plain) checkPlainValue(item, limits, maxDepth, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(plain);
  if (proto !== Object.prototype && proto !== null) {
    throw new DecodeError("WRONG_TYPE", "objects in values must be plain objects");
  }
  const keys = Object.keys(plain);
  checkEntryCount(keys.length, limits, "object value");
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key)) throw new DecodeError("FORBIDDEN_KEY", `forbidden key ${key}`);
    checkStringLength(key, limits, "object key");
    checkPlainValue((plain as Record<string, unknown>)[key], limits, maxDepth, depth + 1);
  }
}

function checkStringLength(text: string, limits: DecodeLimits, what: string): void {
  if (text.length > limits.maxStringLength) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `${what} is ${text.length} characters; the limit is ${limits.maxStringLength}`,
    );
  }
}

function checkEntryCount(count: number, limits: DecodeLimits, what: string): void {
  if (count > limits.maxEntries) {
    throw new DecodeError(
      "LIMIT_EXCEEDED",
      `${what} has ${count} entries; the limit is ${limits.maxEntries}`,
    );
  }
}
