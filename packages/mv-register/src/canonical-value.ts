import type { PlainValue } from "@convergent/core";

/**
 * A frozen deep copy of an already validated value in one canonical representation: object keys
 * sorted, -0 as 0. `comparePlainValues` already treats those variants as equal, so canonicalizing
 * at write time makes equal states carry identical data and hence identical wire forms. The copy
 * also cuts the link to the caller's object, which could otherwise change a state without a delta.
 * Byte arrays are copied but cannot be frozen.
 */
export function canonicalPlainValue(value: PlainValue): PlainValue {
  if (typeof value === "number") return Object.is(value, -0) ? 0 : value;
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return Object.freeze(Array.from(value, canonicalPlainValue));
  const record = value as { readonly [key: string]: PlainValue };
  const keys = Object.keys(record).sort();
  return Object.freeze(
    Object.fromEntries(keys.map((key) => [key, canonicalPlainValue(record[key] as PlainValue)])),
  );
}
