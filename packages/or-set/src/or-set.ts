/**
 * An add-wins observed-remove set without tombstones: the optimized OR-Set of Bieniusa et al.
 * 2012 (Riak's ORSWOT), in the delta-state form of Almeida, Shoker and Baquero 2018 (add-wins
 * set over a dot store and one causal context). A remove undoes exactly the adds it observed,
 * so an add concurrent with a remove survives; removed adds leave only their dots in the
 * causal context, which compacts to a version vector, so memory is O(live elements + replicas).
 * `reset` (a delete) is the same observed-remove over every live element.
 */
import { InvalidArgumentError } from "@convergent/core";
import type { OrSetElement } from "./element.js";
import { defaultElements, keyedElements, type OrSetOptions } from "./element-models.js";
import { makeKit, type OrSetKit } from "./kit.js";

/** Builds a set type for any value with a canonical key (objects, tuples, ...). */
export function createOrSet<E>(options: OrSetOptions<E>): OrSetKit<E> {
  const name = options.name ?? "or-set";
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidArgumentError("name must be a non-empty string");
  }
  for (const part of ["key", "toWire", "fromWire"] as const) {
    if (typeof options[part] !== "function") {
      throw new InvalidArgumentError(`options.${part} must be a function`);
    }
  }
  return makeKit(name, keyedElements(options));
}

const strings = makeKit<OrSetElement>("or-set", defaultElements);

/** The set of strings and finite numbers (`"1"` and `1` are different elements). */
export const orSet = strings.type;
export const add: OrSetKit<OrSetElement>["add"] = strings.add;
export const remove: OrSetKit<OrSetElement>["remove"] = strings.remove;
export const clear: OrSetKit<OrSetElement>["clear"] = strings.clear;
export const reset: OrSetKit<OrSetElement>["reset"] = strings.reset;
export const has: OrSetKit<OrSetElement>["has"] = strings.has;
export const size: OrSetKit<OrSetElement>["size"] = strings.size;
export const elements: OrSetKit<OrSetElement>["elements"] = strings.elements;
