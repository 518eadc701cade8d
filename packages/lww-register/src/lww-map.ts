import { type CrdtType, defineCrdt, type PlainValue } from "@convergent/core";
import { compareEntries, type LwwEntry } from "./entry.js";
import { mapValue, resetMap } from "./map-ops.js";
import { lwwMapWire } from "./map-wire.js";

/**
 * A map of string keys to last-writer-wins registers (Shapiro et al. 2011, "A comprehensive
 * study of CRDTs", Spec. 8 applied per key), ordered by hybrid logical clock timestamps
 * (Kulkarni et al. 2014). A removal is a timestamped tombstone that beats older writes and
 * loses to newer ones; tombstones are kept, so the state grows with every key ever written.
 * Deleting the whole map (`reset`) puts a tombstone at each live key's own timestamp, so it
 * removes exactly the writes it observed.
 */
export type LwwMapEntry = LwwEntry<PlainValue | undefined>;

/** Key to its winning write; an entry whose value is undefined is a tombstone. */
export type LwwMapState = Map<string, LwwMapEntry>;

export const lwwMap: CrdtType<LwwMapState, Map<string, PlainValue>> = defineCrdt<
  LwwMapState,
  Map<string, PlainValue>
>({
  name: "lww-map",
  empty: () => new Map(),
  // Entries are immutable, so copying the map is as good as a deep copy.
  clone: (state) => new Map(state),
  joinInto(target, source) {
    for (const [key, entry] of source) {
      const current = target.get(key);
      if (current === undefined || compareEntries(entry, current) > 0) target.set(key, entry);
    }
    return target;
  },
  leq(a, b) {
    if (a.size > b.size) return false;
    for (const [key, entry] of a) {
      const other = b.get(key);
      if (other === undefined || compareEntries(entry, other) > 0) return false;
    }
    return true;
  },
  equals(a, b) {
    if (a.size !== b.size) return false;
    for (const [key, entry] of a) {
      const other = b.get(key);
      if (other === undefined || compareEntries(entry, other) !== 0) return false;
    }
    return true;
  },
  value: mapValue,
  wire: lwwMapWire,
  reset: resetMap,
});
