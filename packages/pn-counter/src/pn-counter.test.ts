import { replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { crdtLaws, executeRun, type LawSpec, stepArbitrary } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decrement, increment } from "./mutators.js";
import { type PnCounterState, pnCounter } from "./pn-counter.js";

type Op = { readonly kind: "increment" | "decrement"; readonly amount: number };

const spec: LawSpec<PnCounterState, number, Op> = {
  type: pnCounter,
  operation: fc.record({
    kind: fc.constantFrom("increment" as const, "decrement" as const),
    amount: fc.integer({ min: 1, max: 1_000 }),
  }),
  mutate: (state, replica, op) =>
    op.kind === "increment"
      ? increment(state, replica, op.amount)
      : decrement(state, replica, op.amount),
  sequential: {
    initial: () => 0,
    step: (total: number, op) => (op.kind === "increment" ? total + op.amount : total - op.amount),
    check: (value, total) => value === total,
  },
  numRuns: 300,
};

describe("pn-counter laws", () => {
  for (const law of crdtLaws(spec)) test(law.name, law.check);
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("pn-counter scenarios", () => {
  test("once every replica has every state, the value is increments minus decrements", () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary(spec.operation, 3), { maxLength: 40 }), (steps) => {
        const { states } = executeRun(spec, steps);
        const all = states.reduce(pnCounter.join, pnCounter.empty());
        let total = 0;
        for (const step of steps) {
          if (step.kind === "mutate")
            total += (step.op.kind === "increment" ? 1 : -1) * step.op.amount;
        }
        expect(pnCounter.value(all)).toBe(total);
      }),
      { numRuns: 300 },
    );
  });

  test("three replicas incrementing 5, 3 and 7 converge to 15 in every delivery order", () => {
    const deltas = [
      ["a", 5],
      ["b", 3],
      ["c", 7],
    ].map(([id, amount]) =>
      new LocalReplica(pnCounter, replicaId(id as string)).update((s, r) =>
        increment(s, r, amount as number),
      ),
    );
    for (const order of permutations(deltas)) {
      const receiver = new LocalReplica(pnCounter, replicaId("d"));
      for (const delta of [...order, ...order]) receiver.merge(delta);
      expect(receiver.value()).toBe(15);
    }
  });

  test("with decrements: +5 on a, +3 -8 on b, +7 -2 on c converge to 5 in every order", () => {
    const a = new LocalReplica(pnCounter, replicaId("a"));
    const b = new LocalReplica(pnCounter, replicaId("b"));
    const c = new LocalReplica(pnCounter, replicaId("c"));
    const deltas = [
      a.update((s, r) => increment(s, r, 5)),
      b.update((s, r) => increment(s, r, 3)),
      b.update((s, r) => decrement(s, r, 8)),
      c.update((s, r) => increment(s, r, 7)),
      c.update((s, r) => decrement(s, r, 2)),
    ];
    for (const order of permutations(deltas)) {
      const receiver = new LocalReplica(pnCounter, replicaId("d"));
      for (const delta of order) receiver.merge(delta);
      expect(receiver.value()).toBe(5);
      expect(receiver.state.get(replicaId("b"))).toEqual([3, 8]);
    }
  });

  test("the value may go negative", () => {
    const replica = new LocalReplica(pnCounter, replicaId("a"));
    replica.update((s, r) => decrement(s, r, 4));
    replica.update((s, r) => increment(s, r));
    expect(replica.value()).toBe(-3);
  });

  test("join of entries that each lead in one count takes both maxima without editing either", () => {
    const a = replicaId("a");
    const left: PnCounterState = new Map([[a, [5, 1]]]);
    const right: PnCounterState = new Map([[a, [2, 9]]]);
    const leftEntry = left.get(a);
    const joined = pnCounter.join(left, right);
    expect(joined.get(a)).toEqual([5, 9]);
    expect(left.get(a)).toBe(leftEntry);
    expect(left.get(a)).toEqual([5, 1]);
    expect(right.get(a)).toEqual([2, 9]);
  });

  test("a delta carries only the mutating replica's entry", () => {
    const state: PnCounterState = new Map([
      [replicaId("a"), [4, 1]],
      [replicaId("b"), [9, 9]],
    ]);
    expect([...decrement(state, replicaId("a"), 2)]).toEqual([["a", [4, 3]]]);
    expect([...increment(state, replicaId("c"))]).toEqual([["c", [1, 0]]]);
  });
});
