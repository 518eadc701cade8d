import { DecodeError, type DecodeLimits, FORBIDDEN_KEYS, type WirePlain } from "@convergent/core";
import type { ScanResult } from "./scan.js";

/**
 * Turns msgpackr's output (already structurally checked by the scan) into plain data: maps
 * become plain objects once their keys are checked (no `__proto__`, `constructor` or
 * `prototype`, no duplicates), int 64 values become numbers when they are safe integers,
 * byte arrays are copied out of the frame, and string lengths are checked exactly.
 * msgpackr's arrays are fresh, so they are reused in place.
 */
export function fromUnpacked(value: unknown, scan: ScanResult, limits: DecodeLimits): WirePlain {
  const cursor = { maps: 0, strings: 0 };

  const string = (raw: string): string => {
    const text = scan.bomStrings.get(cursor.strings++) ?? raw;
    if (text.length > limits.maxStringLength) {
      throw new DecodeError(
        "LIMIT_EXCEEDED",
        `a string of ${text.length} UTF-16 code units is longer than the limit of ${limits.maxStringLength}`,
      );
    }
    return text;
  };

  const walk = (item: unknown): WirePlain => {
    switch (typeof item) {
      case "string":
        return string(item);
      case "number":
        if (!Number.isFinite(item)) {
          throw new DecodeError("INVALID_VALUE", `the number ${item} is not finite`);
        }
        return item;
      case "bigint":
        if (item > BigInt(Number.MAX_SAFE_INTEGER) || item < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new DecodeError("INVALID_VALUE", `the integer ${item} is beyond ±(2^53 - 1)`);
        }
        return Number(item);
      case "boolean":
        return item;
      default:
        break;
    }
    if (item === null) return null;
    if (item instanceof Uint8Array) return new Uint8Array(item);
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) item[i] = walk(item[i]);
      return item as WirePlain[];
    }
    if (item instanceof Map) {
      if (item.size !== scan.mapSizes[cursor.maps++]) {
        throw new DecodeError("MALFORMED", "a map repeats a key");
      }
      const object: Record<string, WirePlain> = {};
      for (const [rawKey, entry] of item) {
        if (typeof rawKey !== "string")
          throw new DecodeError("WRONG_TYPE", "map key is not a string");
        const key = string(rawKey);
        if (FORBIDDEN_KEYS.has(key)) {
          throw new DecodeError("FORBIDDEN_KEY", `the map key "${key}" is not allowed`);
        }
        object[key] = walk(entry);
      }
      return object;
    }
    throw new DecodeError("MALFORMED", "the frame holds a value outside the format");
  };

  return walk(value);
}
