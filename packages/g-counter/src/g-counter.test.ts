import { type ReplicaId, replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { crdtLaws, executeRun, type LawSpec, stepArbitrary } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type GCounterState, gCounter } from "./g-counter.js";
import { increment } from "./increment.js";

const spec: LawSpec<GCounterState, number, number> = {
  type: gCounter,
  operation: fc.integer({ min: 1, max: 1_000 }),
  mutate: (state, replica, amount) => increment(state, replica, amount),
  sequential: {
    initial: () => 0,
    step: (total: number, amount) => total + amount,
    check: (value, total) => value === total,
  },
  numRuns: 300,
};

describe("g-counter laws", () => {
  for (const law of crdtLaws(spec)) test(law.name, law.check);
});

/** Every ordering of `items`. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("g-counter scenarios", () => {
  test("once every replica has every state, the value is the sum of all increments", () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary(spec.operation, 3), { maxLength: 40 }), (steps) => {
        const { states } = executeRun(spec, steps);
        const all = states.reduce(gCounter.join, gCounter.empty());
        let total = 0;
        for (const step of steps) if (step.kind === "mutate") total += step.op;
        expect(gCounter.value(all)).toBe(total);
      }),
      { numRuns: 300 },
    );
  });

  test("three replicas incrementing 5, 3 and 7 converge to 15 in every delivery order", () => {
    const ids = ["a", "b", "c"].map(replicaId);
    const amounts = [5, 3, 7];
    const deltas = ids.map((id, i) => {
      const replica = new LocalReplica(gCounter, id);
      let delta = gCounter.empty();
      // Increment one at a time: each delta is the replica's whole count so far.
      for (let n = 0; n < (amounts[i] as number); n++) {
        delta = replica.update((s, r) => increment(s, r));
      }
      return delta;
    });
    for (const order of permutations(deltas)) {
      const receiver = new LocalReplica(gCounter, replicaId("d"));
      // Deliver each twice: duplicates must not count twice.
      for (const delta of [...order, ...order]) receiver.merge(delta);
      expect(receiver.value()).toBe(15);
    }
  });

  test("concurrent increments by the same amount are both counted", () => {
    const a = new LocalReplica(gCounter, replicaId("a"));
    const b = new LocalReplica(gCounter, replicaId("b"));
    const fromA = a.update((s, r) => increment(s, r, 2));
    const fromB = b.update((s, r) => increment(s, r, 2));
    a.merge(fromB);
    b.merge(fromA);
    expect(a.value()).toBe(4);
    expect(gCounter.equals(a.state, b.state)).toBe(true);
  });

  test("a delta carries only the incrementing replica's entry", () => {
    const state: GCounterState = new Map([
      [replicaId("a"), 4],
      [replicaId("b"), 9],
    ]);
    const delta = increment(state, replicaId("a"), 3);
    expect([...delta]).toEqual([["a", 7]]);
    expect(state.get(replicaId("a"))).toBe(4);
  });

  test("clone is independent of the original", () => {
    const a = replicaId("a");
    const original: GCounterState = new Map([[a, 1]]);
    const copy = gCounter.clone(original);
    gCounter.joinInto(copy, increment(copy, a, 5));
    expect(original.get(a)).toBe(1);
    expect(copy.get(a)).toBe(6);
  });

  test("leq is false when the left side has a replica the right side lacks", () => {
    const [a, b] = [replicaId("a"), replicaId("b")] as [ReplicaId, ReplicaId];
    expect(gCounter.leq(new Map([[a, 1]]), new Map([[b, 5]]))).toBe(false);
    expect(
      gCounter.leq(
        new Map([[a, 1]]),
        new Map([
          [a, 1],
          [b, 5],
        ]),
      ),
    ).toBe(true);
  });
});
