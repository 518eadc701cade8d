import { type ReplicaId, replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { executeRun, type LawSpec, stepArbitrary } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { CounterRangeError } from "./errors.js";
import { decrement, increment } from "./mutators.js";
import { type PnCounterState, pnCounter } from "./pn-counter.js";
import { reset } from "./reset.js";
import { bigValue, value } from "./value.js";

type Op = { readonly up: boolean; readonly amount: number };

const operation = fc.record({ up: fc.boolean(), amount: fc.integer({ min: 1, max: 1_000 }) });
const apply = (state: PnCounterState, replica: ReplicaId, op: Op) =>
  op.up ? increment(state, replica, op.amount) : decrement(state, replica, op.amount);
const spec: LawSpec<PnCounterState, number, Op> = { type: pnCounter, operation, mutate: apply };
const [alice, bob, carol] = ["alice", "bob", "carol"].map(replicaId) as [
  ReplicaId,
  ReplicaId,
  ReplicaId,
];
const numRuns = 300;

/** States of three replicas after a random run, with reset steps or without. */
const reached = (resets: boolean) =>
  fc
    .array(stepArbitrary(operation, 3, { resets }), { maxLength: 40, size: "max" })
    .map(
      (steps) => executeRun(spec, steps).states as [PnCounterState, PnCounterState, PnCounterState],
    );
const ops = fc.array(operation, { maxLength: 10 });
const net = (list: readonly Op[]) => list.reduce((t, o) => t + (o.up ? o.amount : -o.amount), 0);
const joinAll = (...states: PnCounterState[]) => states.reduce(pnCounter.join, pnCounter.empty());

describe("pn-counter reset properties", () => {
  test("a reset cancels exactly what it observed: what only t saw survives", () => {
    fc.assert(
      fc.property(reached(false), ([s, t]) => {
        const merged = joinAll(s, reset(s), t);
        let expected = 0;
        for (const [replica, [p, n]] of t) {
          const [sp, sn] = s.get(replica) ?? [0, 0];
          expected += Math.max(0, p - sp) - Math.max(0, n - sn);
        }
        expect(value(merged)).toBe(expected);
        expect(bigValue(merged)).toBe(BigInt(expected));
      }),
      { numRuns },
    );
  });

  test("operations the resetting replica had not seen survive with exactly their effect", () => {
    fc.assert(
      fc.property(reached(true), ops, ([s, t], more) => {
        const deleted = joinAll(s, reset(s));
        let later = t;
        for (const op of more) later = pnCounter.join(later, apply(later, bob, op));
        // bob's own counts are above every floor of bob, so all of `more` lies above them too.
        expect(value(joinAll(deleted, later))).toBe(value(joinAll(deleted, t)) + net(more));
      }),
      { numRuns },
    );
  });

  test("resets commute, and resets that saw the same counts are the same delta", () => {
    fc.assert(
      fc.property(reached(true), ([a, b, x]) => {
        const ab = joinAll(x, reset(a), reset(b));
        const ba = joinAll(reset(b), reset(a), x);
        expect(pnCounter.equals(ab, ba)).toBe(true);
        expect(pnCounter.equals(reset(joinAll(a, reset(b))), reset(a))).toBe(true);
        expect(value(joinAll(a, b, reset(a), reset(b)))).toBe(
          value(joinAll(a, b, reset(joinAll(a, b)))),
        );
      }),
      { numRuns },
    );
  });

  test("a reset followed by operations reads like a fresh counter with those operations", () => {
    fc.assert(
      fc.property(
        reached(true),
        ops,
        fc.constantFrom(alice, replicaId("dave")),
        ([s], more, who) => {
          let deleted = joinAll(s, reset(s));
          let fresh = pnCounter.empty();
          for (const op of more) {
            deleted = pnCounter.join(deleted, apply(deleted, who, op));
            fresh = pnCounter.join(fresh, apply(fresh, who, op));
          }
          expect(value(deleted)).toBe(value(fresh));
          expect(value(deleted)).toBe(net(more));
        },
      ),
      { numRuns },
    );
  });
});

describe("pn-counter reset scenarios", () => {
  test("10, reset, +1 reads 1; -4, reset, -2 reads -2", () => {
    const a = new LocalReplica(pnCounter, alice);
    a.update((s, r) => increment(s, r, 10));
    a.update(reset);
    expect(a.value()).toBe(0);
    a.update((s, r) => increment(s, r));
    expect(a.value()).toBe(1);
    a.update((s, r) => decrement(s, r, 5));
    a.update(reset);
    a.update((s, r) => decrement(s, r, 2));
    expect(a.value()).toBe(-2);
  });

  test("both saw 10, A resets, B adds 3 concurrently: everyone reads 3", () => {
    const a = new LocalReplica(pnCounter, alice);
    const b = new LocalReplica(pnCounter, bob);
    b.merge(a.update((s, r) => increment(s, r, 10)));
    const deletion = a.update(reset);
    const plusThree = b.update((s, r) => increment(s, r, 3));
    a.merge(plusThree);
    b.merge(deletion);
    expect([a.value(), b.value()]).toEqual([3, 3]);
    expect(pnCounter.equals(a.state, b.state)).toBe(true);
  });

  test("two concurrent resets and a concurrent +3 read 3 in every delivery order, never -9 or 13", () => {
    const a = new LocalReplica(pnCounter, alice);
    const b = new LocalReplica(pnCounter, bob);
    const c = new LocalReplica(pnCounter, carol);
    const ten = a.update((s, r) => increment(s, r, 12));
    const minusTwo = c.update((s, r) => decrement(s, r, 2));
    for (const r of [a, b, c]) {
      r.merge(ten);
      r.merge(minusTwo);
    }
    expect(b.value()).toBe(10);
    const fromA = a.update(reset);
    const fromC = c.update(reset);
    const fromB = b.update((s, r) => increment(s, r, 3));
    expect(pnCounter.equals(fromA, fromC)).toBe(true);
    for (const order of [
      [fromA, fromB, fromC],
      [fromB, fromC, fromA],
      [fromC, fromA, fromB, fromA],
    ]) {
      const receiver = new LocalReplica(pnCounter, replicaId("dave"), joinAll(ten, minusTwo));
      for (const delta of order) receiver.merge(delta);
      expect(receiver.value()).toBe(3);
    }
  });

  test("the reset of the empty counter is the empty delta; a reset carries no counts", () => {
    expect(pnCounter.equals(reset(pnCounter.empty()), pnCounter.empty())).toBe(true);
    expect(reset(pnCounter.empty()).floors).toBeUndefined();
    const state = decrement(pnCounter.empty(), alice, 4);
    const delta = reset(state);
    expect(delta.size).toBe(0);
    expect([...(delta.floors ?? [])]).toEqual([[alice, [0, 4]]]);
    expect(state.floors).toBeUndefined();
  });

  test("floors join per count: concurrent resets that saw P and N apart floor both", () => {
    const up: PnCounterState = new Map([[alice, [5, 1]]]);
    const down: PnCounterState = new Map([[alice, [3, 4]]]);
    const merged = joinAll(up, down, reset(up), reset(down));
    expect(merged.floors?.get(alice)).toEqual([5, 4]);
    expect(value(merged)).toBe(0);
    expect(pnCounter.leq(reset(up), merged)).toBe(true);
    expect(pnCounter.leq(merged, joinAll(up, down))).toBe(false);
  });

  test("clone copies the floors; joinInto never edits the source's floors", () => {
    const state = joinAll(new Map([[alice, [4, 0]]]), reset(new Map([[alice, [4, 0]]])));
    const copy = pnCounter.clone(state);
    pnCounter.joinInto(copy, reset(increment(copy, alice, 2)));
    expect(state.floors?.get(alice)).toEqual([4, 0]);
    expect(copy.floors?.get(alice)).toEqual([6, 0]);
  });

  test("value stays exact above the floors and throws only when what remains is too large", () => {
    const max = Number.MAX_SAFE_INTEGER;
    const big: PnCounterState = new Map([
      [alice, [max, 0]],
      [bob, [max, 0]],
      [carol, [0, max]],
    ]);
    expect(value(big)).toBe(max);
    // Floor bob's increments and carol's decrements: alice's max remains.
    const floored = joinAll(
      big,
      reset(
        new Map([
          [bob, [max, 0]],
          [carol, [0, max]],
        ]),
      ),
    );
    expect(value(floored)).toBe(max);
    const onlyCarolFloored = joinAll(big, reset(new Map([[carol, [0, max]]])));
    expect(() => value(onlyCarolFloored)).toThrow(CounterRangeError);
    expect(bigValue(onlyCarolFloored)).toBe(2n * BigInt(max));
  });
});
