/**
 * An enable-wins flag without dots: per replica, a grow-only count of its enables and a
 * grow-only floor; the flag is up while some replica's count is above its floor. It is two
 * G-Counters (Shapiro et al. 2011, Spec. 6) read as "count − floor > 0", the counter-with-floor
 * reset of DESIGN section 9: a reset raises every floor to the count it observed, so it undoes
 * exactly the enables it saw, and an enable it had not seen (a higher count) keeps the flag up.
 */
import { ClockOverflowError, type ReplicaId, replicaIdProblem } from "@convergent/clocks";
import { type CrdtType, defineCrdt, InvalidArgumentError } from "@convergent/core";
import { presenceWire } from "./presence-wire.js";

/** `[count, floor]` with `1 <= count`, `0 <= floor <= count`; shared and never edited in place. */
export type PresenceCount = readonly [count: number, floor: number];

/** Replica → its enables and the floor resets raised. */
export type PresenceState = Map<ReplicaId, PresenceCount>;

/**
 * Delta: `replica`'s count raised by one (its floor travels as 0: only the count is news).
 * O(1) whatever the number of replicas; the replica id is validated when it first enters.
 */
export function enable(
  state: ReadonlyMap<ReplicaId, PresenceCount>,
  replica: ReplicaId,
): PresenceState {
  const known = state.get(replica);
  if (known === undefined) {
    const problem = replicaIdProblem(replica);
    if (problem !== undefined) throw new InvalidArgumentError(problem);
  }
  const count = (known === undefined ? 0 : known[0]) + 1;
  if (count > Number.MAX_SAFE_INTEGER) throw new ClockOverflowError("presence count overflow");
  const delta: PresenceState = new Map();
  delta.set(replica, [count, 0]);
  return delta;
}

/** True while some replica has an enable no reset has observed. */
export function isEnabled(state: ReadonlyMap<ReplicaId, PresenceCount>): boolean {
  for (const entry of state.values()) if (entry[0] > entry[1]) return true;
  return false;
}

/** Delta: every floor raised to the count observed here (only the entries that change). */
export function disable(state: ReadonlyMap<ReplicaId, PresenceCount>): PresenceState {
  const delta: PresenceState = new Map();
  for (const [replica, entry] of state) {
    if (entry[0] > entry[1]) delta.set(replica, [entry[0], entry[0]]);
  }
  return delta;
}

export function joinPresenceInto(
  target: PresenceState,
  source: ReadonlyMap<ReplicaId, PresenceCount>,
): PresenceState {
  // The common source is a one-entry enable delta: a plain loop without destructuring keeps
  // the embedded update's cost close to the inner type's own.
  source.forEach((entry, replica) => {
    const current = target.get(replica);
    if (current === undefined) {
      target.set(replica, entry);
    } else if (entry[0] > current[0] || entry[1] > current[1]) {
      target.set(
        replica,
        entry[0] >= current[0] && entry[1] >= current[1]
          ? entry
          : [Math.max(entry[0], current[0]), Math.max(entry[1], current[1])],
      );
    }
  });
  return target;
}

export function presenceLeq(
  a: ReadonlyMap<ReplicaId, PresenceCount>,
  b: ReadonlyMap<ReplicaId, PresenceCount>,
): boolean {
  if (a.size > b.size) return false;
  for (const [replica, entry] of a) {
    const other = b.get(replica);
    if (other === undefined || entry[0] > other[0] || entry[1] > other[1]) return false;
  }
  return true;
}

export function presenceEquals(
  a: ReadonlyMap<ReplicaId, PresenceCount>,
  b: ReadonlyMap<ReplicaId, PresenceCount>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [replica, entry] of a) {
    const other = b.get(replica);
    if (other === undefined || entry[0] !== other[0] || entry[1] !== other[1]) return false;
  }
  return true;
}

/** The flag as a CrdtType (value: enabled or not); `reset` is `disable`. */
export const presence: CrdtType<PresenceState, boolean> = defineCrdt<PresenceState, boolean>({
  name: "presence",
  empty: () => new Map(),
  // Entries are immutable pairs, so copying the map is a deep copy.
  clone: (state) => new Map(state),
  joinInto: joinPresenceInto,
  leq: presenceLeq,
  equals: presenceEquals,
  value: isEnabled,
  wire: presenceWire,
  reset: disable,
});
