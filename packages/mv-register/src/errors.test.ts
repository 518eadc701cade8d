import { type ReplicaId, replicaId } from "@convergent/clocks";
import { type ConvergentError, InvalidArgumentError, type PlainValue } from "@convergent/core";
import { toWireImage } from "@convergent/core/testing";
import { describe, expect, test } from "vitest";
import { clear, resolve, write } from "./mutators.js";
import { mvRegister } from "./mv-register.js";
import type { MvRegisterState } from "./state.js";

const alice = replicaId("alice");
const bob = replicaId("bob");

/** A register with two siblings, so a failed mutation has something to damage. */
function conflicted(): MvRegisterState {
  const a = write(mvRegister.empty(), alice, "a");
  const b = write(mvRegister.empty(), bob, { nested: [1, 2] });
  return mvRegister.join(a, b);
}

function expectRejectedWithoutChange(mutation: (state: MvRegisterState) => unknown): void {
  const state = conflicted();
  const before = toWireImage(mvRegister, state);
  const siblingsBefore = new Map(state.siblings);
  let error: unknown;
  try {
    mutation(state);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as ConvergentError).code).toBe("INVALID_ARGUMENT");
  expect(toWireImage(mvRegister, state)).toEqual(before);
  expect(state.siblings).toEqual(siblingsBefore);
}

function sparseArray(): unknown[] {
  const holes: unknown[] = [1];
  holes[2] = 3; // index 1 stays a hole, which iteration reads as undefined
  return holes;
}

const notPlain: ReadonlyArray<readonly [string, unknown]> = [
  ["undefined", undefined],
  ["a function", () => 1],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["a bigint", 1n],
  ["a symbol", Symbol("s")],
  ["a Date", new Date(0)],
  ["a Map", new Map()],
  ["a class instance", new (class Point {})()],
  ["a __proto__ key", JSON.parse('{"__proto__": {"polluted": true}}')],
  ["a constructor key", { constructor: 1 }],
  ["a nested bad value", { list: [1, { deep: undefined }] }],
  ["a sparse array", sparseArray()],
  ["nesting deeper than 32", JSON.parse(`${"[".repeat(40)}${"]".repeat(40)}`)],
];

describe("mv-register argument errors", () => {
  for (const [name, bad] of notPlain) {
    test(`write rejects ${name}`, () => {
      expectRejectedWithoutChange((s) => write(s, alice, bad as PlainValue));
    });
  }

  test("write rejects an invalid replica id", () => {
    expectRejectedWithoutChange((s) => write(s, "" as ReplicaId, 1));
    expectRejectedWithoutChange((s) => write(s, "x".repeat(65) as ReplicaId, 1));
    expectRejectedWithoutChange((s) => write(s, 7 as unknown as ReplicaId, 1));
  });

  test("resolve rejects a choose that is not a function", () => {
    expectRejectedWithoutChange((s) =>
      resolve(s, alice, "max" as unknown as (values: readonly PlainValue[]) => PlainValue),
    );
  });

  test("resolve rejects a choice that is not a plain value", () => {
    expectRejectedWithoutChange((s) => resolve(s, alice, () => undefined as unknown as PlainValue));
    expectRejectedWithoutChange((s) =>
      resolve(s, alice, () => new Date() as unknown as PlainValue),
    );
  });

  test("resolve rejects an invalid replica before calling choose", () => {
    let called = false;
    expectRejectedWithoutChange((s) =>
      resolve(s, "" as ReplicaId, () => {
        called = true;
        return 1;
      }),
    );
    expect(called).toBe(false);
  });

  test("resolve hands choose frozen values, so choose cannot edit the state", () => {
    const state = conflicted();
    expect(() =>
      resolve(state, alice, (values) => {
        (values[1] as { nested: number[] }).nested.push(3);
        return 0;
      }),
    ).toThrow(TypeError);
    expect(mvRegister.value(state)).toEqual(["a", { nested: [1, 2] }]);
  });

  test("an error thrown by choose propagates and leaves the state unchanged", () => {
    const state = conflicted();
    const before = toWireImage(mvRegister, state);
    expect(() =>
      resolve(state, alice, () => {
        throw new RangeError("cannot decide");
      }),
    ).toThrow(RangeError);
    expect(toWireImage(mvRegister, state)).toEqual(before);
  });

  test("clear rejects an invalid replica id", () => {
    expectRejectedWithoutChange((s) => clear(s, "bad\nid" as ReplicaId));
  });
});
