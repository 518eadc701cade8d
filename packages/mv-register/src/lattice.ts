import {
  causalContextIncludes,
  cloneCausalContext,
  containsDot,
  equalCausalContexts,
  joinCausalContextInto,
} from "@convergent/clocks";
import { equalPlainValues } from "@convergent/core";
import type { MvRegisterState } from "./state.js";

/**
 * The causal dot-store join (Almeida, Shoker, Baquero 2018, DotFun): a sibling survives when
 * both sides hold it, or when one side holds it and the other side's context has never seen its
 * dot. A dot the other side has seen but no longer holds was overwritten or cleared there.
 * Contexts are united. Cost: O(siblings of both + context of source).
 */
export function joinInto(target: MvRegisterState, source: MvRegisterState): MvRegisterState {
  const { siblings } = target;
  for (const [key, sibling] of siblings) {
    if (!source.siblings.has(key) && containsDot(source.context, sibling.dot)) siblings.delete(key);
  }
  // Checked against target's context before the union below adds the source's dots to it.
  for (const [key, sibling] of source.siblings) {
    if (!siblings.has(key) && !containsDot(target.context, sibling.dot)) siblings.set(key, sibling);
  }
  joinCausalContextInto(target.context, source.context);
  return target;
}

/**
 * `join(a, b) = b` exactly when b has seen every dot a has seen, and b holds every sibling
 * a would not delete. a's own siblings need no check: their dots are in a's context, hence in
 * b's, so the join keeps them only if b holds them.
 */
export function leq(a: MvRegisterState, b: MvRegisterState): boolean {
  if (!causalContextIncludes(b.context, a.context)) return false;
  for (const [key, sibling] of b.siblings) {
    if (!a.siblings.has(key) && containsDot(a.context, sibling.dot)) return false;
  }
  return true;
}

export function equals(a: MvRegisterState, b: MvRegisterState): boolean {
  if (a.siblings.size !== b.siblings.size) return false;
  for (const [key, sibling] of a.siblings) {
    const other = b.siblings.get(key);
    if (other === undefined) return false;
    if (other.value !== sibling.value && !equalPlainValues(other.value, sibling.value)) {
      return false;
    }
  }
  return equalCausalContexts(a.context, b.context);
}

/** A copy `joinInto` may update; siblings are shared because their values are frozen at write. */
export function clone(state: MvRegisterState): MvRegisterState {
  return { siblings: new Map(state.siblings), context: cloneCausalContext(state.context) };
}
