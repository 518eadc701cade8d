import { containsDot, type ReplicaId, replicaId } from "@convergent/clocks";
import { equalPlainValues, LocalReplica } from "@convergent/core";
import { executeRun, stepArbitrary } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { clear, reset, write } from "./mutators.js";
import { mvRegister } from "./mv-register.js";
import { dotKey, type MvRegisterState } from "./state.js";
import { operation, spec } from "./test-arbitraries.js";

const [alice, bob, carol] = ["alice", "bob", "carol"].map(replicaId) as [
  ReplicaId,
  ReplicaId,
  ReplicaId,
];
const numRuns = 300;

/** States of three replicas after a random run that includes resets. */
const reached = fc
  .array(stepArbitrary(operation, 3, { resets: true }), { maxLength: 40, size: "max" })
  .map(
    (steps) =>
      executeRun(spec, steps).states as [MvRegisterState, MvRegisterState, MvRegisterState],
  );

const joinAll = (...states: MvRegisterState[]) =>
  states.reduce(mvRegister.join, mvRegister.empty());
const dotKeys = (state: MvRegisterState) => [...state.siblings.keys()].sort();

describe("mv-register reset properties", () => {
  test("a reset removes exactly what it observed: t's siblings s had not seen survive, unchanged", () => {
    fc.assert(
      fc.property(reached, ([s, t]) => {
        const merged = joinAll(s, reset(s), t);
        const expected = [...t.siblings.values()].filter((x) => !containsDot(s.context, x.dot));
        expect(dotKeys(merged)).toEqual(expected.map((x) => dotKey(x.dot)).sort());
        for (const sibling of expected) {
          const kept = merged.siblings.get(dotKey(sibling.dot));
          expect(kept !== undefined && equalPlainValues(kept.value, sibling.value)).toBe(true);
        }
        expect(mvRegister.value(merged)).toHaveLength(expected.length);
      }),
      { numRuns },
    );
  });

  test("resets commute, mint no dot, and equal observed siblings give the same delta", () => {
    fc.assert(
      fc.property(reached, ([a, b, x]) => {
        expect(
          mvRegister.equals(joinAll(x, reset(a), reset(b)), joinAll(reset(b), reset(a), x)),
        ).toBe(true);
        expect(reset(a).siblings.size).toBe(0);
        // Only sibling dots travel: a reset is a function of what the register shows.
        const sameSiblings: MvRegisterState = { siblings: a.siblings, context: x.context };
        expect(mvRegister.equals(reset(sameSiblings), reset(a))).toBe(true);
        expect(mvRegister.equals(reset(a), clear(a, carol))).toBe(true);
      }),
      { numRuns },
    );
  });
});

describe("mv-register reset scenarios", () => {
  test("both see x; A resets while B writes y concurrently: everyone reads [y]", () => {
    const a = new LocalReplica(mvRegister, alice);
    const b = new LocalReplica(mvRegister, bob);
    b.merge(a.update((s, r) => write(s, r, "x")));
    const deletion = a.update((s) => reset(s));
    const y = b.update((s, r) => write(s, r, "y"));
    a.merge(y);
    b.merge(deletion);
    expect([a.value(), b.value()]).toEqual([["y"], ["y"]]);
    expect(mvRegister.equals(a.state, b.state)).toBe(true);
  });

  test("the reset of an empty register is the empty delta", () => {
    expect(mvRegister.equals(reset(mvRegister.empty()), mvRegister.empty())).toBe(true);
  });
});
