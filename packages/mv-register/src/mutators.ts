import {
  addDotInPlace,
  emptyCausalContext,
  type MutableCausalContext,
  nextDot,
  type ReplicaId,
} from "@convergent/clocks";
import {
  assertPlainValue,
  canonicalPlainValue,
  InvalidArgumentError,
  type PlainValue,
  plainValueProblem,
} from "@convergent/core";
import { value } from "./queries.js";
import { assertReplica, dotKey, type MvRegisterState } from "./state.js";

/**
 * Writes `newValue`. The delta carries one sibling under a fresh dot and a context of that dot
 * plus the dots of the siblings this replica holds now, so on join it replaces exactly the
 * writes it observed and leaves concurrent ones as siblings (Almeida et al. 2018, MVRegister).
 */
export function write(
  state: MvRegisterState,
  replica: ReplicaId,
  newValue: PlainValue,
): MvRegisterState {
  assertReplica(replica);
  assertPlainValue(newValue);
  return writeDelta(state, replica, canonicalPlainValue(newValue));
}

/**
 * Lets the application merge the siblings: `choose` gets `value(state)` (canonical order) and
 * its result is written, replacing every sibling it saw. Siblings written concurrently with the
 * resolve are not seen, so they survive next to the chosen value.
 */
export function resolve(
  state: MvRegisterState,
  replica: ReplicaId,
  choose: (values: readonly PlainValue[]) => PlainValue,
): MvRegisterState {
  assertReplica(replica);
  if (typeof choose !== "function") throw new InvalidArgumentError("choose must be a function");
  const chosen: unknown = choose(value(state));
  const problem = plainValueProblem(chosen);
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      `choose returned something that is not a plain value: ${problem}`,
    );
  }
  return writeDelta(state, replica, canonicalPlainValue(chosen as PlainValue));
}

/**
 * Removes the siblings this replica holds now: a delta with no siblings whose context names
 * them. A write concurrent with the clear survives it. `replica` is only validated; a clear
 * issues no dot of its own.
 */
export function clear(state: MvRegisterState, replica: ReplicaId): MvRegisterState {
  assertReplica(replica);
  return reset(state);
}

/**
 * The exact observed-remove (`CrdtType.reset`, what a key delete applies): `clear` without a
 * replica. The delta names exactly the siblings `state` holds and mints no dot, so two resets
 * of the same siblings are the same delta and a write the resetting replica had not seen
 * survives as the only sibling.
 */
export function reset(state: MvRegisterState): MvRegisterState {
  return { siblings: new Map(), context: observedDots(state) };
}

function writeDelta(state: MvRegisterState, replica: ReplicaId, v: PlainValue): MvRegisterState {
  const d = nextDot(state.context, replica);
  const context = observedDots(state);
  addDotInPlace(context, d);
  return { siblings: new Map([[dotKey(d), { dot: d, value: v }]]), context };
}

// Only the sibling dots, not the whole state context: the delta stays as small as the register.
function observedDots(state: MvRegisterState): MutableCausalContext {
  const context = emptyCausalContext();
  for (const sibling of state.siblings.values()) addDotInPlace(context, sibling.dot);
  return context;
}
