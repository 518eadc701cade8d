import { type CrdtType, defineCrdt, type PlainValue } from "@convergent/core";
import { compareEntries, type LwwEntry } from "./entry.js";
import { reset, value } from "./register-ops.js";
import { lwwRegisterWire } from "./register-wire.js";

/**
 * A last-writer-wins register (Shapiro et al. 2011, "A comprehensive study of CRDTs",
 * Spec. 8) whose writes are ordered by hybrid logical clock timestamps (Kulkarni et al. 2014).
 * Join keeps the write with the greatest timestamp and discards the other, even when the two
 * were concurrent; ties on the timestamp are broken by replica id, then by value. A delete
 * (`reset`) is a tombstone at the observed write's own timestamp: it removes exactly that write,
 * and a write its replica had not seen (a greater timestamp) survives it.
 */
export interface LwwRegisterState {
  /**
   * The winning write, or undefined while the register has never been written. An entry whose
   * value is undefined is a tombstone: the write at that timestamp was deleted.
   */
  entry: LwwEntry<PlainValue | undefined> | undefined;
}

export const lwwRegister: CrdtType<LwwRegisterState, PlainValue | undefined> = defineCrdt<
  LwwRegisterState,
  PlainValue | undefined
>({
  name: "lww-register",
  empty: () => ({ entry: undefined }),
  // Entries are immutable, so sharing one is as good as a deep copy.
  clone: (state) => ({ entry: state.entry }),
  join: (a, b) => ({ entry: winner(a.entry, b.entry) }),
  joinInto(target, source) {
    target.entry = winner(target.entry, source.entry);
    return target;
  },
  leq(a, b) {
    if (a.entry === undefined) return true;
    return b.entry !== undefined && compareEntries(a.entry, b.entry) <= 0;
  },
  equals(a, b) {
    if (a.entry === undefined || b.entry === undefined) return a.entry === b.entry;
    return compareEntries(a.entry, b.entry) === 0;
  },
  value,
  wire: lwwRegisterWire,
  reset,
});

type Entry = LwwEntry<PlainValue | undefined>;

function winner(a: Entry | undefined, b: Entry | undefined): Entry | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareEntries(b, a) > 0 ? b : a;
}
