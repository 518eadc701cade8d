import type { ReplicaId } from "@convergent/clocks";
import { type CrdtType, defineCrdt } from "@convergent/core";
import { reset } from "./reset.js";
import { value } from "./value.js";
import { gCounterWire } from "./wire.js";

/**
 * A grow-only counter (Shapiro et al. 2011, "A comprehensive study of CRDTs", Spec. 6), in
 * the delta-state form of Almeida, Shoker, Baquero 2018 (section 4.1): each replica counts its
 * own increments, join takes the per-replica maximum and the value is the sum. Entries are
 * never 0, so equal counters have equal maps.
 *
 * Deletes are exact through a floor per replica (`reset`): the floors are a second grow-only
 * map, joined by per-replica maximum, and the value is the sum of `max(0, count - floor)`. The
 * counts stay the raw per-replica totals, so increments never look at the floors.
 */
export interface GCounterState extends Map<ReplicaId, number> {
  /**
   * Per-replica floors: the counts some reset observed. Absent, never empty, until a reset is
   * seen, so a counter that was never reset is a plain map of counts. No floor is 0.
   */
  floors?: Map<ReplicaId, number>;
}

/** A counter as the read-only functions take it (a plain map of counts is one). */
export interface ReadonlyGCounterState extends ReadonlyMap<ReplicaId, number> {
  readonly floors?: ReadonlyMap<ReplicaId, number>;
}

export const gCounter: CrdtType<GCounterState, number> = defineCrdt<GCounterState, number>({
  name: "g-counter",
  empty: () => new Map(),
  clone(state) {
    const copy: GCounterState = new Map(state);
    if (state.floors !== undefined) copy.floors = new Map(state.floors);
    return copy;
  },
  joinInto(target, source) {
    maxInto(target, source);
    const floors = source.floors;
    if (floors !== undefined) {
      if (target.floors === undefined) target.floors = new Map(floors);
      else maxInto(target.floors, floors);
    }
    return target;
  },
  leq: (a, b) => leqMax(a, b) && leqMax(a.floors, b.floors),
  equals: (a, b) => sameEntries(a, b) && sameEntries(a.floors, b.floors),
  value,
  reset,
  wire: gCounterWire,
});

function maxInto(target: Map<ReplicaId, number>, source: ReadonlyMap<ReplicaId, number>): void {
  for (const [replica, count] of source) {
    if (count > (target.get(replica) ?? 0)) target.set(replica, count);
  }
}

type Counts = ReadonlyMap<ReplicaId, number> | undefined;

function leqMax(a: Counts, b: Counts): boolean {
  if (a === undefined) return true;
  if (b === undefined) return a.size === 0;
  if (a.size > b.size) return false;
  for (const [replica, count] of a) if (count > (b.get(replica) ?? 0)) return false;
  return true;
}

function sameEntries(a: Counts, b: Counts): boolean {
  if ((a?.size ?? 0) !== (b?.size ?? 0)) return false;
  if (a === undefined || b === undefined) return true;
  for (const [replica, count] of a) if (b.get(replica) !== count) return false;
  return true;
}
