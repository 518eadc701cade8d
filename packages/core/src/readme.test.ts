// The README's "write your own type" example, kept runnable: if it stops compiling or stops
// satisfying the laws, this file fails.
import { type ReplicaId, replicaId } from "@convergent/clocks";
import fc from "fast-check";
import { expect, test } from "vitest";
import { defineCrdt } from "./crdt.js";
import { LocalReplica } from "./local-replica.js";
import { crdtLaws } from "./testing/index.js";

type MaxState = { max: number };
const maxRegister = defineCrdt<MaxState, number>({
  name: "max-register",
  empty: () => ({ max: 0 }),
  clone: (s) => ({ max: s.max }),
  joinInto(target, source) {
    target.max = Math.max(target.max, source.max);
    return target;
  },
  leq: (a, b) => a.max <= b.max,
  equals: (a, b) => a.max === b.max,
  value: (s) => s.max,
  wire: {
    version: 1,
    toWire: (s) => s.max,
    fromWire: (plain) => ({ max: plain as number }),
  },
});
const raise = (_: MaxState, __: ReplicaId, to: number): MaxState => ({ max: to });

test("the README example runs", () => {
  const replica = new LocalReplica(maxRegister, replicaId("alice"));
  replica.update((s, r) => raise(s, r, 7));
  expect(replica.value()).toBe(7);
});

for (const law of crdtLaws({
  type: maxRegister,
  operation: fc.nat(),
  mutate: (state, replica, to) => raise(state, replica, to),
  sequential: {
    initial: () => 0,
    step: (m: number, to) => Math.max(m, to),
    check: (v, m) => v === m,
  },
  numRuns: 100,
})) {
  test(`README type: ${law.name}`, law.check);
}
