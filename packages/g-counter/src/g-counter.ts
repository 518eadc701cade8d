import type { ReplicaId } from "@convergent/clocks";
import { type CrdtType, defineCrdt } from "@convergent/core";
import { value } from "./value.js";
import { gCounterWire } from "./wire.js";

/**
 * A grow-only counter (Shapiro et al. 2011, "A comprehensive study of CRDTs", Spec. 6), in
 * the delta-state form of Almeida, Shoker, Baquero 2018 (section 4.1): each replica counts its
 * own increments, join takes the per-replica maximum and the value is the sum. Entries are
 * never 0, so equal counters have equal maps.
 */
export type GCounterState = Map<ReplicaId, number>;

export const gCounter: CrdtType<GCounterState, number> = defineCrdt<GCounterState, number>({
  name: "g-counter",
  empty: () => new Map(),
  clone: (state) => new Map(state),
  joinInto(target, source) {
    for (const [replica, count] of source) {
      if (count > (target.get(replica) ?? 0)) target.set(replica, count);
    }
    return target;
  },
  leq(a, b) {
    if (a.size > b.size) return false;
    for (const [replica, count] of a) if (count > (b.get(replica) ?? 0)) return false;
    return true;
  },
  equals(a, b) {
    if (a.size !== b.size) return false;
    for (const [replica, count] of a) if (b.get(replica) !== count) return false;
    return true;
  },
  value,
  wire: gCounterWire,
});
