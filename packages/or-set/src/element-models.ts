import {
  DecodeError,
  type DecodeLimits,
  InvalidArgumentError,
  type WirePlain,
} from "@convergent/core";
import {
  defaultElementProblem,
  type ElementKey,
  keyProblem,
  MAX_ELEMENT_STRING_LENGTH,
  type OrSetElement,
} from "./element.js";
import type { ElementModel } from "./element-model.js";

/** Strings and finite numbers, each its own key and its own wire form. */
export const defaultElements: ElementModel<OrSetElement> = {
  keyed: false,
  keyOf(element) {
    const problem = defaultElementProblem(element, MAX_ELEMENT_STRING_LENGTH);
    if (problem !== undefined) throw new InvalidArgumentError(problem);
    return element;
  },
  toWire: (element) => element,
  fromWire(plain, limits) {
    if (typeof plain === "string" && plain.length > limits.maxStringLength) {
      throw new DecodeError(
        "LIMIT_EXCEEDED",
        `an element is longer than ${limits.maxStringLength}`,
      );
    }
    if (typeof plain !== "string" && typeof plain !== "number") {
      throw new DecodeError(
        "WRONG_TYPE",
        `an element must be a string or a number, got ${typeof plain}`,
      );
    }
    const problem = defaultElementProblem(plain, limits.maxStringLength);
    if (problem !== undefined) throw new DecodeError("INVALID_VALUE", problem);
    // -0 is the same element as 0 (Map keys agree); keep one spelling so states compare equal.
    const element = plain === 0 ? 0 : plain;
    return { element, key: element };
  },
};

/** What `createOrSet` needs to hold values that are not their own keys. */
export interface OrSetOptions<E> {
  /** Type tag on the wire; default "or-set". Give sets with different element encodings different names. */
  readonly name?: string;
  /** The element's identity: equal keys mean the same element, and must mean equal elements. */
  readonly key: (element: E) => ElementKey;
  /** The element's plain form; must be canonical (equal elements give equal plain data). */
  readonly toWire: (element: E) => WirePlain;
  /** Validates and rebuilds an element from untrusted plain data; may throw anything. */
  readonly fromWire: (plain: unknown, limits: DecodeLimits) => E;
}

export function keyedElements<E>(options: OrSetOptions<E>): ElementModel<E> {
  return {
    keyed: true,
    keyOf(element) {
      let key: unknown;
      try {
        key = options.key(element);
      } catch (error) {
        throw new InvalidArgumentError(`the key function rejected the element: ${message(error)}`);
      }
      const problem = keyProblem(key);
      if (problem !== undefined) throw new InvalidArgumentError(problem);
      return key as ElementKey;
    },
    toWire: (element) => options.toWire(element),
    fromWire(plain, limits) {
      let element: E;
      let key: unknown;
      try {
        element = options.fromWire(plain, limits);
        key = options.key(element);
      } catch (error) {
        if (error instanceof DecodeError) throw error;
        throw new DecodeError("INVALID_VALUE", `element rejected: ${message(error)}`, {
          cause: error,
        });
      }
      const problem = keyProblem(key);
      if (problem !== undefined) throw new DecodeError("INVALID_VALUE", problem);
      return { element, key: key as ElementKey };
    },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
