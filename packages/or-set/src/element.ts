import { DEFAULT_DECODE_LIMITS } from "@convergent/core";

/** What the default set holds. `"1"` and `1` are different elements. */
export type OrSetElement = string | number;

/**
 * The identity of an element: two elements with equal keys are the same element. Kept as a
 * JavaScript Map key, whose SameValueZero equality already tells `"1"` from `1` and folds `-0`
 * into `0`.
 */
export type ElementKey = string | number;

/**
 * Longest string element the default set accepts: what a peer decoding with the default
 * limits accepts, so nothing added locally is refused by a peer.
 */
export const MAX_ELEMENT_STRING_LENGTH = DEFAULT_DECODE_LIMITS.maxStringLength;

/** Why `key` cannot identify an element (a string, or a finite number), or undefined. */
export function keyProblem(key: unknown): string | undefined {
  if (typeof key === "string") return undefined;
  if (typeof key === "number") {
    return Number.isFinite(key) ? undefined : `a key must be a finite number, got ${key}`;
  }
  return `a key must be a string or a finite number, got ${typeof key}`;
}

/** Why `element` cannot be an element of the default set, or undefined. */
export function defaultElementProblem(
  element: unknown,
  maxStringLength: number,
): string | undefined {
  if (typeof element === "string") {
    return element.length > maxStringLength
      ? `a string element is ${element.length} characters; the maximum is ${maxStringLength}`
      : undefined;
  }
  if (typeof element === "number") {
    return Number.isFinite(element) ? undefined : `a number element must be finite, got ${element}`;
  }
  return `an element must be a string or a finite number, got ${typeof element}`;
}

/** The canonical order of keys on the wire: numbers (ascending) before strings (UTF-16 order). */
export function compareKeys(a: ElementKey, b: ElementKey): number {
  const aIsNumber = typeof a === "number";
  if (aIsNumber !== (typeof b === "number")) return aIsNumber ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
