import { InvalidArgumentError } from "./errors.js";

/**
 * The values a register can hold and the wire carries: JSON-like data plus byte arrays.
 * Numbers must be finite (NaN would make two equal states unequal).
 */
export type PlainValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly PlainValue[]
  | { readonly [key: string]: PlainValue };

// Keys that would reach Object.prototype when assigned to a plain object.
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  "__proto__",
  "constructor",
  "prototype",
]);

export const MAX_PLAIN_DEPTH = 32;

/** Returns why `value` is not a PlainValue, or undefined when it is. */
export function plainValueProblem(value: unknown, depth = 0): string | undefined {
  if (depth > MAX_PLAIN_DEPTH) return `nesting deeper than ${MAX_PLAIN_DEPTH}`;
  if (value === null || typeof value === "boolean") return undefined;
  if (typeof value === "string") {
    return hasLoneSurrogate(value) ? "string holds a lone surrogate (not valid UTF-8)" : undefined;
  }
  if (typeof value === "number")
    return Number.isFinite(value) ? undefined : `non-finite number ${value}`;
  if (value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = plainValueProblem(item, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return "objects must be plain objects";
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return `forbidden key ${key}`;
      if (hasLoneSurrogate(key)) return "object key holds a lone surrogate (not valid UTF-8)";
      const problem = plainValueProblem((value as Record<string, unknown>)[key], depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  return `${typeof value} is not a plain value`;
}

export function assertPlainValue(value: unknown): asserts value is PlainValue {
  const problem = plainValueProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(`not a plain value: ${problem}`);
}

/** A total order on plain values (by kind, then content), used to sort siblings canonically. */
export function comparePlainValues(a: PlainValue, b: PlainValue): number {
  const kindA = kindRank(a);
  const kindB = kindRank(b);
  if (kindA !== kindB) return kindA - kindB;
  switch (kindA) {
    case 0:
      return 0;
    case 1:
    case 2:
      return a === b ? 0 : (a as number) < (b as number) ? -1 : 1;
    case 3:
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 4:
      return compareSequences([...(a as Uint8Array)], [...(b as Uint8Array)], (x, y) => x - y);
    case 5:
      return compareSequences(
        a as readonly PlainValue[],
        b as readonly PlainValue[],
        comparePlainValues,
      );
    default:
      return compareSequences(sortedEntries(a), sortedEntries(b), (x, y) => {
        if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
        return comparePlainValues(x[1], y[1]);
      });
  }
}

export function equalPlainValues(a: PlainValue, b: PlainValue): boolean {
  return comparePlainValues(a, b) === 0;
}

function kindRank(value: PlainValue): number {
  if (value === null) return 0;
  if (typeof value === "boolean") return 1;
  if (typeof value === "number") return 2;
  if (typeof value === "string") return 3;
  if (value instanceof Uint8Array) return 4;
  if (Array.isArray(value)) return 5;
  return 6;
}

function sortedEntries(value: PlainValue): Array<[string, PlainValue]> {
  return Object.entries(value as Record<string, PlainValue>).sort(([x], [y]) =>
    x < y ? -1 : x > y ? 1 : 0,
  );
}

function compareSequences<T>(
  a: readonly T[],
  b: readonly T[],
  compare: (x: T, y: T) => number,
): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = compare(a[i] as T, b[i] as T);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/** True when `text` cannot be encoded as UTF-8: a high surrogate not followed by a low one, or the reverse. */
export function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
      else return true;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      return true;
    }
  }
  return false;
}
