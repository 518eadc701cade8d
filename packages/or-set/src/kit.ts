import { type CrdtType, defineCrdt } from "@convergent/core";
import type { ElementModel } from "./element-model.js";
import { equals, joinInto, leq } from "./join.js";
import { makeMutators, type OrSetMutators } from "./mutators.js";
import { cloneState, emptyState, type OrSetState } from "./state.js";
import { makeWireForm } from "./wire.js";

/** One set type: its CrdtType, its mutators and its queries. */
export interface OrSetKit<E> extends OrSetMutators<E> {
  readonly type: CrdtType<OrSetState<E>, ReadonlySet<E>>;
  /** O(1). Throws InvalidArgumentError for a value that can never be an element. */
  has(state: OrSetState<E>, element: E): boolean;
  /** Number of live elements, O(1). */
  size(state: OrSetState<E>): number;
  /** The live elements, in no particular order, without copying; do not update the state meanwhile. */
  elements(state: OrSetState<E>): IterableIterator<E>;
}

export function makeKit<E>(name: string, model: ElementModel<E>): OrSetKit<E> {
  const elements = (state: OrSetState<E>): IterableIterator<E> =>
    state.elements === undefined
      ? (state.entries.keys() as IterableIterator<E>)
      : state.elements.values();
  const mutators = makeMutators(model);
  const type = defineCrdt<OrSetState<E>, ReadonlySet<E>>({
    name,
    empty: () => emptyState<E>(model.keyed),
    joinInto,
    leq,
    equals,
    clone: cloneState,
    // A fresh Set, O(size): callers may keep it while the state moves on.
    value: (state) => new Set(elements(state)),
    wire: makeWireForm(model),
    reset: mutators.reset,
  });
  return {
    type,
    ...mutators,
    has: (state, element) => state.entries.has(model.keyOf(element)),
    size: (state) => state.entries.size,
    elements,
  };
}
