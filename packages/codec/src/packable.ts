import { type DecodeLimits, FORBIDDEN_KEYS } from "@convergent/core";
import { EncodeError } from "./errors.js";

/** What msgpackr is handed: every choice that could vary the bytes is already made. */
export type Packable =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly Packable[]
  | Map<string, Packable>;

const INT32_MIN = -0x80000000;
const UINT32_MAX = 0xffffffff;
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface PackableResult {
  readonly value: Packable;
  /** Whether a safe integer beyond 32 bits occurs, which msgpackr writes as float 64. */
  readonly largeIntegers: boolean;
}

/**
 * Validates plain data against the format and the limits and makes it canonical for msgpackr:
 * object keys sorted by UTF-16 code units into Maps (a plain object would enumerate
 * integer-like keys first, whatever their order). Arrays without objects are passed through as
 * they are. The input is never modified.
 */
export function toPackable(value: unknown, limits: DecodeLimits): PackableResult {
  const seen = { largeIntegers: false };
  return { value: walk(value, 0, limits, seen), largeIntegers: seen.largeIntegers };
}

function walk(
  value: unknown,
  depth: number,
  limits: DecodeLimits,
  seen: { largeIntegers: boolean },
): Packable {
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value)) throw unsupported(`the number ${value} is not finite`);
      if ((value > UINT32_MAX || value < INT32_MIN) && Number.isSafeInteger(value)) {
        seen.largeIntegers = true;
      }
      return value;
    case "string":
      checkString(value, limits);
      return value;
    case "boolean":
      return value;
    case "object":
      break;
    default:
      throw unsupported(`a ${typeof value} is not plain data`);
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return value;
  if (depth + 1 > limits.maxDepth) {
    throw new EncodeError(
      "LIMIT_EXCEEDED",
      `nesting is deeper than the limit of ${limits.maxDepth}`,
    );
  }
  if (Array.isArray(value)) {
    checkEntries(value.length, limits);
    let out: Packable[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const packed = walk(item, depth + 1, limits, seen);
      if (out === undefined && packed !== item) out = value.slice(0, i) as Packable[];
      out?.push(packed);
    }
    return out ?? (value as Packable[]);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw unsupported("only arrays, plain objects and Uint8Array are plain data");
  }
  const keys = Object.keys(value).sort();
  checkEntries(keys.length, limits);
  const map = new Map<string, Packable>();
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key)) throw unsupported(`the key "${key}" is not allowed`);
    checkString(key, limits);
    map.set(key, walk((value as Record<string, unknown>)[key], depth + 1, limits, seen));
  }
  return map;
}

function checkString(value: string, limits: DecodeLimits): void {
  if (value.length > limits.maxStringLength) {
    throw new EncodeError(
      "LIMIT_EXCEEDED",
      `a string of ${value.length} UTF-16 code units is longer than the limit of ${limits.maxStringLength}`,
    );
  }
  // UTF-8 cannot carry a lone surrogate; encoding would silently turn it into U+FFFD.
  if (SURROGATE.test(value) && LONE_SURROGATE.test(value)) {
    throw unsupported("a string holds a lone surrogate, which UTF-8 cannot represent");
  }
}

function checkEntries(count: number, limits: DecodeLimits): void {
  if (count > limits.maxEntries) {
    throw new EncodeError(
      "LIMIT_EXCEEDED",
      `a collection of ${count} entries is larger than the limit of ${limits.maxEntries}`,
    );
  }
}

function unsupported(message: string): EncodeError {
  return new EncodeError("UNSUPPORTED_VALUE", message);
}
