import { ClockOverflowError, emptyCausalContext, replicaId } from "@convergent/clocks";
import { type CrdtType, InvalidArgumentError, LocalReplica } from "@convergent/core";
import { toWireImage } from "@convergent/core/testing";
import { describe, expect, test } from "vitest";
import { MAX_ELEMENT_STRING_LENGTH, type OrSetElement } from "./element.js";
import { add, clear, createOrSet, has, orSet, remove } from "./or-set.js";
import { makeState, type OrSetState } from "./state.js";

const A = replicaId("a");

function populated(): OrSetState<OrSetElement> {
  const replica = new LocalReplica(orSet, A);
  for (const x of ["a", 1, "b"]) replica.update((s, r) => add(s, r, x));
  replica.update((s, r) => remove(s, r, "b"));
  return replica.snapshot();
}

/** Runs `call` on a state and checks it throws InvalidArgumentError and leaves the state alone. */
function expectRejected<E>(
  state: OrSetState<E>,
  type: CrdtType<OrSetState<E>, ReadonlySet<E>>,
  call: () => unknown,
) {
  const before = toWireImage(type, state);
  expect(call).toThrow(InvalidArgumentError);
  expect(toWireImage(type, state)).toEqual(before);
}

describe("bad arguments", () => {
  const badElements: unknown[] = [
    {},
    [],
    null,
    undefined,
    true,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    10n,
    Symbol("s"),
    "x".repeat(MAX_ELEMENT_STRING_LENGTH + 1),
  ];
  for (const bad of badElements) {
    const label = typeof bad === "string" ? "an over-long string" : String(bad).slice(0, 20);
    test(`add, remove and has reject ${label} as an element`, () => {
      const state = populated();
      expectRejected(state, orSet, () => add(state, A, bad as OrSetElement));
      expectRejected(state, orSet, () => remove(state, A, bad as OrSetElement));
      expectRejected(state, orSet, () => has(state, bad as OrSetElement));
    });
  }

  const badReplicas: unknown[] = ["", "x".repeat(65), "a\nb", 7, undefined];
  for (const bad of badReplicas) {
    test(`mutators reject the replica id ${JSON.stringify(bad)}`, () => {
      const state = populated();
      const replica = bad as typeof A;
      expectRejected(state, orSet, () => add(state, replica, "c"));
      expectRejected(state, orSet, () => remove(state, replica, "a"));
      expectRejected(state, orSet, () => clear(state, replica));
    });
  }

  test("a valid id is still checked after an invalid one (the last-id cache)", () => {
    const state = populated();
    add(state, A, "c");
    expect(() => add(state, "" as typeof A, "c")).toThrow(InvalidArgumentError);
    expect(() => add(state, A, "c")).not.toThrow();
  });

  test("an add whose dot counter would pass Number.MAX_SAFE_INTEGER throws ClockOverflowError", () => {
    const context = emptyCausalContext();
    context.versionVector.set(A, Number.MAX_SAFE_INTEGER);
    const state = makeState<OrSetElement>(new Map(), undefined, context);
    const before = toWireImage(orSet, state);
    expect(() => add(state, A, "c")).toThrow(ClockOverflowError);
    expect(toWireImage(orSet, state)).toEqual(before);
  });

  test("removing an absent element is an empty delta", () => {
    const delta = remove(populated(), A, "missing");
    expect(delta.entries.size).toBe(0);
    expect(orSet.equals(delta, orSet.empty())).toBe(true);
  });
});

describe("createOrSet arguments", () => {
  const options = {
    key: (e: { id: number }) => e.id,
    toWire: (e: { id: number }) => e.id,
    fromWire: (plain: unknown) => ({ id: plain as number }),
  };

  test("rejects a missing function or an empty name", () => {
    expect(() => createOrSet({ ...options, key: undefined as never })).toThrow(
      InvalidArgumentError,
    );
    expect(() => createOrSet({ ...options, fromWire: 3 as never })).toThrow(InvalidArgumentError);
    expect(() => createOrSet({ ...options, name: "" })).toThrow(InvalidArgumentError);
  });

  test("an element whose key function throws or returns a non-key is rejected", () => {
    const set = createOrSet({
      ...options,
      key: (e: { id: number }) => {
        if (e.id < 0) throw new Error("negative id");
        return e.id === 99 ? (Number.NaN as number) : e.id === 98 ? ({} as never) : e.id;
      },
    });
    const replica = new LocalReplica(set.type, A);
    replica.update((s, r) => set.add(s, r, { id: 1 }));
    for (const id of [-1, 99, 98]) {
      const before = toWireImage(set.type, replica.state);
      expect(() => replica.update((s, r) => set.add(s, r, { id }))).toThrow(InvalidArgumentError);
      expect(() => set.remove(replica.state, A, { id })).toThrow(InvalidArgumentError);
      expect(toWireImage(set.type, replica.state)).toEqual(before);
    }
    expect(set.has(replica.state, { id: 1 })).toBe(true);
  });
});
