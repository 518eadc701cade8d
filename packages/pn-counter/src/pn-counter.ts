import type { ReplicaId } from "@convergent/clocks";
import { type CrdtType, defineCrdt } from "@convergent/core";
import { reset } from "./reset.js";
import { value } from "./value.js";
import { pnCounterWire } from "./wire.js";

/**
 * An increment/decrement counter (Shapiro et al. 2011, "A comprehensive study of CRDTs",
 * Spec. 7), delta-state as in Almeida, Shoker, Baquero 2018: two grow-only counts per replica,
 * P for increments and N for decrements, joined by per-replica maximum; the value is
 * sum(P) - sum(N). Both counts of a replica live in one entry, so a delta is one map entry.
 */
export type PnEntry = readonly [increments: number, decrements: number];

/**
 * Per-replica `[P, N]`; no entry is `[0, 0]`, so equal counters have equal maps. Entries are
 * immutable and may be shared between states: join replaces an entry, it never edits one.
 *
 * Deletes are exact through a floor per replica (`reset`): floors are `[PF, NF]` entries in a
 * second map, joined by per-replica maximum, and the value is the sum of
 * `max(0, P - PF) - max(0, N - NF)`. The counts stay the raw per-replica totals, so increments
 * and decrements never look at the floors.
 */
export interface PnCounterState extends Map<ReplicaId, PnEntry> {
  /**
   * The counts some reset observed, per replica. Absent, never empty, until a reset is seen, so
   * a counter that was never reset is a plain map of entries. No floor is `[0, 0]`.
   */
  floors?: Map<ReplicaId, PnEntry>;
}

/** A counter as the read-only functions take it (a plain map of entries is one). */
export interface ReadonlyPnCounterState extends ReadonlyMap<ReplicaId, PnEntry> {
  readonly floors?: ReadonlyMap<ReplicaId, PnEntry>;
}

type Entries = ReadonlyMap<ReplicaId, PnEntry> | undefined;

export const pnCounter: CrdtType<PnCounterState, number> = defineCrdt<PnCounterState, number>({
  name: "pn-counter",
  empty: () => new Map(),
  clone(state) {
    const copy: PnCounterState = new Map(state);
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
  wire: pnCounterWire,
});

function maxInto(target: Map<ReplicaId, PnEntry>, source: ReadonlyMap<ReplicaId, PnEntry>): void {
  for (const [replica, entry] of source) {
    const current = target.get(replica);
    if (current === undefined) {
      target.set(replica, entry);
      continue;
    }
    const p = entry[0];
    const n = entry[1];
    if (p <= current[0] && n <= current[1]) continue;
    if (p >= current[0] && n >= current[1]) target.set(replica, entry);
    else target.set(replica, [Math.max(p, current[0]), Math.max(n, current[1])]);
  }
}

function leqMax(a: Entries, b: Entries): boolean {
  if (a === undefined) return true;
  if (b === undefined) return a.size === 0;
  if (a.size > b.size) return false;
  for (const [replica, entry] of a) {
    const other = b.get(replica);
    if (other === undefined || entry[0] > other[0] || entry[1] > other[1]) return false;
  }
  return true;
}

function sameEntries(a: Entries, b: Entries): boolean {
  if ((a?.size ?? 0) !== (b?.size ?? 0)) return false;
  if (a === undefined || b === undefined) return true;
  for (const [replica, entry] of a) {
    const other = b.get(replica);
    if (other === undefined || entry[0] !== other[0] || entry[1] !== other[1]) return false;
  }
  return true;
}
