import {
  cloneCausalContext,
  emptyCausalContext,
  type MutableCausalContext,
} from "@convergent/clocks";
import { buildDotIndex, cloneDotIndex, type DotIndex } from "./dot-index.js";
import type { ElementKey } from "./element.js";
import type { ElementDots } from "./element-dots.js";

/**
 * An OR-Set state: the live elements, each with the dots of the adds that put it there, and
 * one causal context of every dot this state has seen (Almeida, Shoker, Baquero 2018). A dot
 * in the context but on no element has been removed; no tombstone is kept for it, so memory
 * is O(live elements + replicas).
 *
 * Treat a state as an immutable value; only `joinInto` (through LocalReplica) updates one.
 */
export interface OrSetState<E> {
  /** Element key → its live dots (never empty). */
  readonly entries: Map<ElementKey, ElementDots>;
  /** Element key → element, for sets made with a key function; undefined when an element is its own key. */
  readonly elements: Map<ElementKey, E> | undefined;
  /** Every dot this state has seen, live or removed. */
  readonly context: MutableCausalContext;
  /**
   * Internal: which element each live dot is on, built the first time the state is the
   * target of a join and kept up to date afterwards, so that applying a remove (a delta that
   * names only dots) costs the size of the delta. Not part of the value; never read it.
   */
  dotIndex: DotIndex | undefined;
}

export function emptyState<E>(keyed: boolean): OrSetState<E> {
  return {
    entries: new Map(),
    elements: keyed ? new Map() : undefined,
    context: emptyCausalContext(),
    dotIndex: undefined,
  };
}

/** A state from its parts (mutators and the decoder build deltas and states with it). */
export function makeState<E>(
  entries: Map<ElementKey, ElementDots>,
  elements: Map<ElementKey, E> | undefined,
  context: MutableCausalContext,
): OrSetState<E> {
  return { entries, elements, context, dotIndex: undefined };
}

/** Element dot sets are immutable and shared, so copying the maps is a deep copy. */
export function cloneState<E>(state: OrSetState<E>): OrSetState<E> {
  const copy = makeState(
    new Map(state.entries),
    state.elements === undefined ? undefined : new Map(state.elements),
    cloneCausalContext(state.context),
  );
  if (state.dotIndex !== undefined) copy.dotIndex = cloneDotIndex(state.dotIndex);
  return copy;
}

/** The element stored under `key` (the key itself when elements are their own keys). */
export function elementAt<E>(state: OrSetState<E>, key: ElementKey): E {
  return (state.elements === undefined ? key : state.elements.get(key)) as E;
}

export function dotIndexOf<E>(state: OrSetState<E>): DotIndex {
  if (state.dotIndex !== undefined) return state.dotIndex;
  state.dotIndex = buildDotIndex(state.entries);
  return state.dotIndex;
}
