import type { ReplicaId } from "@convergent/clocks";
import { type CrdtType, defineCrdt } from "@convergent/core";
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
 */
export type PnCounterState = Map<ReplicaId, PnEntry>;

export const pnCounter: CrdtType<PnCounterState, number> = defineCrdt<PnCounterState, number>({
  name: "pn-counter",
  empty: () => new Map(),
  clone: (state) => new Map(state),
  joinInto(target, source) {
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
    return target;
  },
  leq(a, b) {
    if (a.size > b.size) return false;
    for (const [replica, entry] of a) {
      const other = b.get(replica);
      if (other === undefined || entry[0] > other[0] || entry[1] > other[1]) return false;
    }
    return true;
  },
  equals(a, b) {
    if (a.size !== b.size) return false;
    for (const [replica, entry] of a) {
      const other = b.get(replica);
      if (other === undefined || entry[0] !== other[0] || entry[1] !== other[1]) return false;
    }
    return true;
  },
  value,
  wire: pnCounterWire,
});
