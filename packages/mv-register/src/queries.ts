import { compareDots } from "@convergent/clocks";
import { comparePlainValues, type PlainValue } from "@convergent/core";
import type { MvRegisterState, Sibling } from "./state.js";

/**
 * Every sibling, ordered by value (`comparePlainValues`) and then by dot, so all replicas that
 * hold the same state list the same siblings in the same order.
 */
export function siblings(state: MvRegisterState): Sibling[] {
  return [...state.siblings.values()].sort(compareSiblings);
}

/**
 * The sibling values in the order of `siblings(state)`: `[]` when empty or cleared, one value
 * when no writes conflict, and one entry per sibling otherwise (equal values written
 * concurrently appear once per write). Values are frozen; treat byte arrays as read-only too.
 */
export function value(state: MvRegisterState): PlainValue[] {
  if (state.siblings.size <= 1) return [...state.siblings.values()].map((s) => s.value);
  return siblings(state).map((s) => s.value);
}

/** True when concurrent writes left more than one sibling. */
export function hasConflict(state: MvRegisterState): boolean {
  return state.siblings.size > 1;
}

/** The number of siblings, in O(1): a gauge for conflict metrics. */
export function siblingCount(state: MvRegisterState): number {
  return state.siblings.size;
}

function compareSiblings(a: Sibling, b: Sibling): number {
  return comparePlainValues(a.value, b.value) || compareDots(a.dot, b.dot);
}
