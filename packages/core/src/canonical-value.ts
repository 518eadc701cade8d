import { assertPlainValue, hasLoneSurrogate, type PlainValue } from "./plain-value.js";

/**
 * A frozen deep copy of an already validated value in one canonical representation: object keys
 * sorted, -0 as 0. `comparePlainValues` treats those variants as equal already; storing one form
 * gives equal states identical wire forms, and the copy cuts the link to the caller's object,
 * which could otherwise change a state without a delta. Byte arrays are copied but cannot be
 * frozen. Primitives, the common case on hot paths, cost one type check.
 */
export function canonicalPlainValue(value: PlainValue): PlainValue {
  if (typeof value === "number") return Object.is(value, -0) ? 0 : value;
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return Object.freeze(Array.from(value, canonicalPlainValue));
  const record = value as { readonly [key: string]: PlainValue };
  const copy: Record<string, PlainValue> = {};
  // Forbidden keys were rejected by validation, so assignment cannot reach a prototype.
  for (const key of Object.keys(record).sort()) {
    copy[key] = canonicalPlainValue(record[key] as PlainValue);
  }
  return Object.freeze(copy);
}

/**
 * Validates a value passed to a write and returns what the write stores: its canonical frozen
 * copy. Primitives and byte arrays, the values of hot paths, are checked and copied in one step;
 * anything else, valid or not, goes through `assertPlainValue` (so errors read the same), then
 * `canonicalPlainValue`.
 */
export function storedPlainValue(value: PlainValue): PlainValue {
  switch (typeof value) {
    case "number":
      // `value === 0` also holds for -0, which is stored as 0.
      if (Number.isFinite(value)) return value === 0 ? 0 : value;
      break;
    case "string":
      if (!hasLoneSurrogate(value)) return value;
      break;
    case "boolean":
      return value;
    case "object":
      if (value === null) return null;
      // A copy, so changing the caller's array afterwards cannot change a state without a delta.
      if (value instanceof Uint8Array) return new Uint8Array(value);
      break;
  }
  assertPlainValue(value);
  return canonicalPlainValue(value);
}
