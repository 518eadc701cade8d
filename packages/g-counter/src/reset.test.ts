import { type ReplicaId, replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { executeRun, type LawSpec, stepArbitrary } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { CounterRangeError } from "./errors.js";
import { type GCounterState, gCounter } from "./g-counter.js";
import { increment } from "./increment.js";
import { reset } from "./reset.js";
import { bigValue, value } from "./value.js";

const spec: LawSpec<GCounterState, number, number> = {
  type: gCounter,
  operation: fc.integer({ min: 1, max: 1_000 }),
  mutate: (state, replica, amount) => increment(state, replica, amount),
};
const [alice, bob, carol] = ["alice", "bob", "carol"].map(replicaId) as [
  ReplicaId,
  ReplicaId,
  ReplicaId,
];
const numRuns = 300;

/** States of three replicas after a random run, with reset steps or without. */
const reached = (resets: boolean) =>
  fc
    .array(stepArbitrary(spec.operation, 3, { resets }), { maxLength: 40, size: "max" })
    .map(
      (steps) => executeRun(spec, steps).states as [GCounterState, GCounterState, GCounterState],
    );
const amounts = fc.array(fc.integer({ min: 1, max: 1_000 }), { maxLength: 10 });
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

const joinAll = (...states: GCounterState[]) => states.reduce(gCounter.join, gCounter.empty());

describe("g-counter reset properties", () => {
  test("a reset cancels exactly what it observed: what only t saw survives", () => {
    fc.assert(
      fc.property(reached(false), ([s, t]) => {
        const merged = joinAll(s, reset(s), t);
        let expected = 0;
        for (const [replica, count] of t) expected += Math.max(0, count - (s.get(replica) ?? 0));
        expect(value(merged)).toBe(expected);
        expect(bigValue(merged)).toBe(BigInt(expected));
      }),
      { numRuns },
    );
  });

  test("increments the resetting replica had not seen survive with exactly their amounts", () => {
    fc.assert(
      fc.property(reached(true), amounts, ([s, t], more) => {
        const deleted = joinAll(s, reset(s));
        let later = t;
        for (const amount of more) later = gCounter.join(later, increment(later, bob, amount));
        // bob's own count is above every floor of bob, so all of `more` lies above them too.
        expect(value(joinAll(deleted, later))).toBe(value(joinAll(deleted, t)) + sum(more));
      }),
      { numRuns },
    );
  });

  test("resets commute, and resets that saw the same counts are the same delta", () => {
    fc.assert(
      fc.property(reached(true), ([a, b, x]) => {
        const ab = joinAll(x, reset(a), reset(b));
        const ba = joinAll(reset(b), reset(a), x);
        expect(gCounter.equals(ab, ba)).toBe(true);
        // Same counts, different floors: the reset is the same delta.
        expect(gCounter.equals(reset(joinAll(a, reset(b))), reset(a))).toBe(true);
        expect(value(joinAll(a, b, reset(a), reset(b)))).toBe(
          value(joinAll(a, b, reset(joinAll(a, b)))),
        );
      }),
      { numRuns },
    );
  });

  test("a reset followed by increments reads like a fresh counter with those increments", () => {
    fc.assert(
      fc.property(
        reached(true),
        amounts,
        fc.constantFrom(alice, replicaId("dave")),
        (states, more, who) => {
          const [s] = states;
          let deleted = joinAll(s, reset(s));
          let fresh = gCounter.empty();
          for (const amount of more) {
            deleted = gCounter.join(deleted, increment(deleted, who, amount));
            fresh = gCounter.join(fresh, increment(fresh, who, amount));
          }
          expect(value(deleted)).toBe(value(fresh));
          expect(value(deleted)).toBe(sum(more));
        },
      ),
      { numRuns },
    );
  });
});

describe("g-counter reset scenarios", () => {
  test("10, reset, +1 reads 1", () => {
    const a = new LocalReplica(gCounter, alice);
    a.update((s, r) => increment(s, r, 10));
    a.update(reset);
    expect(a.value()).toBe(0);
    a.update((s, r) => increment(s, r));
    expect(a.value()).toBe(1);
  });

  test("both saw 10, A resets, B adds 3 concurrently: everyone reads 3", () => {
    const a = new LocalReplica(gCounter, alice);
    const b = new LocalReplica(gCounter, bob);
    b.merge(a.update((s, r) => increment(s, r, 10)));
    const deletion = a.update(reset);
    const plusThree = b.update((s, r) => increment(s, r, 3));
    a.merge(plusThree);
    b.merge(deletion);
    expect([a.value(), b.value()]).toEqual([3, 3]);
    expect(gCounter.equals(a.state, b.state)).toBe(true);
  });

  test("two concurrent resets and a concurrent +3 read 3 in every delivery order, never -9 or 13", () => {
    const a = new LocalReplica(gCounter, alice);
    const b = new LocalReplica(gCounter, bob);
    const c = new LocalReplica(gCounter, carol);
    const ten = a.update((s, r) => increment(s, r, 10));
    b.merge(ten);
    c.merge(ten);
    const fromA = a.update(reset);
    const fromC = c.update(reset);
    const fromB = b.update((s, r) => increment(s, r, 3));
    expect(gCounter.equals(fromA, fromC)).toBe(true);
    for (const order of [
      [fromA, fromB, fromC],
      [fromB, fromC, fromA],
      [fromC, fromA, fromB, fromA],
    ]) {
      const receiver = new LocalReplica(gCounter, replicaId("dave"), ten);
      for (const delta of order) receiver.merge(delta);
      expect(receiver.value()).toBe(3);
    }
  });

  test("a reset that arrives before the increments it observed still cancels them", () => {
    const a = new LocalReplica(gCounter, alice);
    const five = a.update((s, r) => increment(s, r, 5));
    const deletion = a.update(reset);
    const receiver = new LocalReplica(gCounter, bob);
    receiver.merge(deletion);
    expect(receiver.value()).toBe(0);
    receiver.merge(five);
    expect(receiver.value()).toBe(0);
  });

  test("the reset of the empty counter is the empty delta; a reset carries no counts", () => {
    expect(gCounter.equals(reset(gCounter.empty()), gCounter.empty())).toBe(true);
    expect(reset(gCounter.empty()).floors).toBeUndefined();
    const state = increment(gCounter.empty(), alice, 4);
    const delta = reset(state);
    expect(delta.size).toBe(0);
    expect([...(delta.floors ?? [])]).toEqual([[alice, 4]]);
    expect(state.floors).toBeUndefined();
  });

  test("clone copies the floors; joinInto never shares the source's floors", () => {
    const state = joinAll(
      increment(gCounter.empty(), alice, 4),
      reset(increment(gCounter.empty(), alice, 4)),
    );
    const copy = gCounter.clone(state);
    gCounter.joinInto(copy, reset(increment(copy, alice, 2)));
    expect(state.floors?.get(alice)).toBe(4);
    expect(copy.floors?.get(alice)).toBe(6);
    const source = reset(state);
    const target = gCounter.joinInto(gCounter.empty(), source);
    gCounter.joinInto(target, reset(new Map([[alice, 9]])));
    expect(source.floors?.get(alice)).toBe(4);
  });

  test("floors order the lattice: a reset is not below the state it deletes", () => {
    const state: GCounterState = new Map([[alice, 4]]);
    const deleted = joinAll(state, reset(state));
    expect(gCounter.leq(state, deleted)).toBe(true);
    expect(gCounter.leq(deleted, state)).toBe(false);
    expect(gCounter.equals(state, deleted)).toBe(false);
  });

  test("value stays exact above the floors and throws only when what remains is too large", () => {
    const max = Number.MAX_SAFE_INTEGER;
    const big: GCounterState = new Map([
      [alice, max],
      [bob, max],
    ]);
    const halfDeleted = joinAll(big, reset(new Map([[alice, max]])));
    expect(value(halfDeleted)).toBe(max);
    const both = joinAll(big, increment(big, carol, 1));
    expect(() => value(both)).toThrow(CounterRangeError);
    const floored = joinAll(both, reset(new Map([[alice, 1]])));
    expect(() => value(floored)).toThrow(CounterRangeError);
    expect(bigValue(floored)).toBe(2n * BigInt(max));
  });
});
