import type { WireForm } from "./wire.js";

/**
 * The one contract every Convergent type implements: a join-semilattice of states
 * (Shapiro et al. 2011) in the delta-state style (Almeida, Shoker, Baquero 2018). Mutators are
 * plain functions in each type's package; they take the current state and return a delta,
 * which is itself a state, so merging a peer's state, applying a delta and anti-entropy are the
 * same operation: join.
 *
 * States are immutable values to every caller of `join`, `value`, `leq` and `equals`.
 * `joinInto` is the one exception: it updates a state the caller owns, for hot paths.
 */
export interface CrdtType<S, V> {
  /** Stable type tag, written on the wire (e.g. "or-set"). */
  readonly name: string;
  empty(): S;
  /** Least upper bound; commutative, associative, idempotent; never mutates its inputs. */
  join(a: S, b: S): S;
  /** `target := join(target, source)` in place; returns target. Never mutates `source`. */
  joinInto(target: S, source: S): S;
  /** The lattice order: `leq(a, b)` exactly when `join(a, b)` equals `b`. */
  leq(a: S, b: S): boolean;
  equals(a: S, b: S): boolean;
  /** A deep copy the caller may then update with joinInto. */
  clone(state: S): S;
  /** The application-level view. */
  value(state: S): V;
  readonly wire: WireForm<S>;
  /**
   * An exact observed-remove: a delta that removes every effect `state` shows and nothing else
   * (observed dots for dotted types, a floor of the observed per-replica counts for counters,
   * the observed entries for LWW types). It mints no dot and reads no clock, so two resets of
   * the same observed state are the same delta, resets commute, and an update the resetting
   * replica had not seen survives with exactly its own effect. `join(s, reset(s))` has the
   * empty value. Deleting a key or an OR-Map field applies it.
   */
  reset?(state: S): S;
}

/** The state type of a CRDT type. */
export type StateOf<T> = T extends CrdtType<infer S, unknown> ? S : never;
/** The value type of a CRDT type. */
export type ValueOf<T> = T extends CrdtType<unknown, infer V> ? V : never;

/** The parts a type must write; `join` defaults to `joinInto(clone(a), b)`. */
export type CrdtDefinition<S, V> = Omit<CrdtType<S, V>, "join"> & {
  readonly join?: (a: S, b: S) => S;
};

/** Fills in derivable members and freezes the type object. */
export function defineCrdt<S, V>(definition: CrdtDefinition<S, V>): CrdtType<S, V> {
  const join = definition.join ?? ((a: S, b: S) => definition.joinInto(definition.clone(a), b));
  return Object.freeze({ ...definition, join });
}
