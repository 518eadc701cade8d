import { containsDot, type ReplicaId, replicaId } from "@convergent/clocks";
import { LocalReplica } from "@convergent/core";
import { executeRun, type LawSpec, stepArbitrary } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { OrSetElement } from "./element.js";
import { dotList } from "./element-dots.js";
import { add, clear, has, orSet, remove, reset } from "./or-set.js";
import type { OrSetState } from "./state.js";

type Op = { kind: "add"; element: OrSetElement } | { kind: "remove"; element: OrSetElement };
type State = OrSetState<OrSetElement>;

const element = fc.constantFrom<OrSetElement>("a", "b", "c", 1, 2);
const spec: LawSpec<State, ReadonlySet<OrSetElement>, Op> = {
  type: orSet,
  operation: fc.oneof(
    { weight: 3, arbitrary: element.map((e) => ({ kind: "add" as const, element: e })) },
    { weight: 1, arbitrary: element.map((e) => ({ kind: "remove" as const, element: e })) },
  ),
  mutate: (state, replica, op) =>
    op.kind === "add" ? add(state, replica, op.element) : remove(state, replica, op.element),
};
const [alice, bob, carol] = ["alice", "bob", "carol"].map(replicaId) as [
  ReplicaId,
  ReplicaId,
  ReplicaId,
];
const numRuns = 300;

/** States of three replicas after a random run that includes resets. */
const reached = fc
  .array(stepArbitrary(spec.operation, 3, { resets: true }), { maxLength: 40, size: "max" })
  .map((steps) => executeRun(spec, steps).states as [State, State, State]);

const joinAll = (...states: State[]) => states.reduce(orSet.join, orSet.empty());
const dotsOf = (state: State) =>
  new Map(
    [...state.entries].map(([key, dots]) => [
      key,
      dotList(dots)
        .map((d) => `${d.counter}@${d.replica}`)
        .sort(),
    ]),
  );

describe("or-set reset properties", () => {
  test("a reset removes exactly what it observed: t's adds s had not seen survive, with their own dots", () => {
    fc.assert(
      fc.property(reached, ([s, t]) => {
        const merged = joinAll(s, reset(s), t);
        const expected = new Map<OrSetElement, string[]>();
        for (const [key, dots] of t.entries) {
          const unseen = dotList(dots).filter((d) => !containsDot(s.context, d));
          if (unseen.length > 0) {
            expected.set(key, unseen.map((d) => `${d.counter}@${d.replica}`).sort());
          }
        }
        expect(dotsOf(merged)).toEqual(expected);
        expect(orSet.value(merged)).toEqual(new Set(expected.keys()));
      }),
      { numRuns },
    );
  });

  test("resets commute, mint no dot, and equal observed elements give the same delta", () => {
    fc.assert(
      fc.property(reached, ([a, b, x]) => {
        expect(orSet.equals(joinAll(x, reset(a), reset(b)), joinAll(reset(b), reset(a), x))).toBe(
          true,
        );
        expect(reset(a).entries.size).toBe(0);
        expect(orSet.equals(reset(a), reset(orSet.clone(a)))).toBe(true);
        expect(orSet.equals(reset(a), clear(a, carol))).toBe(true);
        // A state that shows the same elements through the same dots resets the same way.
        expect(orSet.equals(reset(joinAll(a, reset(b))), reset(joinAll(reset(b), a)))).toBe(true);
      }),
      { numRuns },
    );
  });
});

describe("or-set reset scenarios", () => {
  test("both see apple; A resets while B adds pear concurrently: everyone reads {pear}", () => {
    const a = new LocalReplica(orSet, alice);
    const b = new LocalReplica(orSet, bob);
    b.merge(a.update((s, r) => add(s, r, "apple")));
    const deletion = a.update((s) => reset(s));
    const pear = b.update((s, r) => add(s, r, "pear"));
    const appleAgain = b.update((s, r) => add(s, r, "apple"));
    a.merge(pear);
    a.merge(appleAgain);
    b.merge(deletion);
    // B's re-add of apple was concurrent with the reset, so it survives too.
    expect([...a.value()].sort()).toEqual(["apple", "pear"]);
    expect(orSet.equals(a.state, b.state)).toBe(true);
  });

  test("a reset that arrives before the adds it observed still removes them", () => {
    const a = new LocalReplica(orSet, alice);
    const added = a.update((s, r) => add(s, r, "fig"));
    const deletion = a.update((s) => reset(s));
    const receiver = new LocalReplica(orSet, bob);
    receiver.merge(deletion);
    receiver.merge(added);
    expect(has(receiver.state, "fig")).toBe(false);
  });

  test("the reset of an empty set is the empty delta", () => {
    expect(orSet.equals(reset(orSet.empty()), orSet.empty())).toBe(true);
  });
});
