import {
  type CausalContext,
  ClockOverflowError,
  type Dot,
  maxCounter,
  type ReplicaId,
  replicaIdProblem,
} from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { contextOfDot, contextOfDots } from "./context-of-dots.js";
import type { ElementKey } from "./element.js";
import { dotList, type ElementDots, isSingleDot } from "./element-dots.js";
import type { ElementModel } from "./element-model.js";
import { makeState, type OrSetState } from "./state.js";

/** The mutators of one set type (Almeida, Shoker, Baquero 2018, add-wins set, Fig. 4 deltas). */
export interface OrSetMutators<E> {
  /**
   * Delta: the element with a fresh dot, and a context of that dot plus the element's
   * current dots, so the add also supersedes the adds this replica has observed.
   */
  add(state: OrSetState<E>, replica: ReplicaId, element: E): OrSetState<E>;
  /**
   * Delta: no elements, and a context of the element's observed dots, so exactly the adds
   * seen here are undone; a concurrent add elsewhere survives. Removing an absent element
   * gives an empty delta.
   */
  remove(state: OrSetState<E>, replica: ReplicaId, element: E): OrSetState<E>;
  /** Delta: removes every observed element (a context of every live dot). O(size). */
  clear(state: OrSetState<E>, replica: ReplicaId): OrSetState<E>;
  /**
   * The exact observed-remove (`CrdtType.reset`, what a key delete applies): `clear` without a
   * replica. It mints no dot, so two resets of the same observed elements are the same delta,
   * and an add the resetting replica had not seen survives with exactly its own dot.
   */
  reset(state: OrSetState<E>): OrSetState<E>;
}

export function makeMutators<E>(model: ElementModel<E>): OrSetMutators<E> {
  const nothing = (): OrSetState<E> =>
    makeState(new Map(), model.keyed ? new Map() : undefined, contextOfDots([]));
  const reset = (state: OrSetState<E>): OrSetState<E> => {
    const observed: Dot[] = [];
    for (const dots of state.entries.values()) for (const d of dotList(dots)) observed.push(d);
    return makeState(new Map(), model.keyed ? new Map() : undefined, contextOfDots(observed));
  };
  return {
    add(state, replica, element) {
      checkReplica(replica);
      const key = model.keyOf(element);
      const fresh = freshDot(state.context, replica);
      const current = state.entries.get(key);
      const context =
        current === undefined ? contextOfDot(fresh) : contextOfDots([fresh, ...dotList(current)]);
      const entries = new Map<ElementKey, Dot>().set(key, fresh);
      const elements = model.keyed ? new Map<ElementKey, E>().set(key, element) : undefined;
      return makeState(entries, elements, context);
    },
    remove(state, replica, element) {
      checkReplica(replica);
      const current = state.entries.get(model.keyOf(element));
      if (current === undefined) return nothing();
      return makeState(new Map(), model.keyed ? new Map() : undefined, observedContext(current));
    },
    clear(state, replica) {
      checkReplica(replica);
      return reset(state);
    },
    reset,
  };
}

function observedContext(dots: ElementDots) {
  return isSingleDot(dots) ? contextOfDot(dots) : contextOfDots(dots);
}

/**
 * `nextDot(context, replica)` (one past the highest counter of `replica` the state has seen)
 * without its second check of the replica id, which `checkReplica` has just made; that check
 * measured about 5% of an add.
 */
function freshDot(context: CausalContext, replica: ReplicaId): Dot {
  const counter = maxCounter(context, replica) + 1;
  if (counter > Number.MAX_SAFE_INTEGER) throw new ClockOverflowError("dot counter overflow");
  return { replica, counter };
}

// One replica usually issues every operation in a row; validating its id once saves time on
// the hot path (ids are strings, so equality means the same valid id).
let lastValidReplica: string | undefined;

function checkReplica(replica: ReplicaId): void {
  if (replica === lastValidReplica) return;
  const problem = replicaIdProblem(replica);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  lastValidReplica = replica;
}
