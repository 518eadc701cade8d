import { replicaId } from "@convergent/clocks";
import {
  DEFAULT_DECODE_LIMITS,
  DecodeError,
  type DecodeErrorCode,
  InvalidArgumentError,
} from "@convergent/core";
import { fromWireImage, tableReader, toWireImage } from "@convergent/core/testing";
import { describe, expect, test } from "vitest";
import { type GCounterState, gCounter } from "./g-counter.js";
import { increment } from "./increment.js";
import { reset } from "./reset.js";
import { gCounterWire, gCounterWireV1 } from "./wire.js";

const state: GCounterState = new Map([
  [replicaId("carol"), 7],
  [replicaId("alice"), 5],
  [replicaId("bob"), 3],
]);

function decodeError(
  plain: unknown,
  table: unknown[] = ["alice", "bob"],
  maxEntries = 100,
  wire = gCounterWire,
) {
  const reader = tableReader(table, { ...DEFAULT_DECODE_LIMITS, maxEntries });
  try {
    wire.fromWire(plain, reader);
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectReason(error: unknown, reason: DecodeErrorCode) {
  expect(error).toBeInstanceOf(DecodeError);
  expect((error as DecodeError).reason).toBe(reason);
}

describe("g-counter wire form", () => {
  test("is flat [replica, count] pairs in replica order", () => {
    const image = toWireImage(gCounter, state);
    expect(image.table).toEqual(["alice", "bob", "carol"]);
    expect(image.plain).toEqual([0, 5, 1, 3, 2, 7]);
    expect(gCounter.equals(fromWireImage(gCounter, image), state)).toBe(true);
  });

  test("the empty counter is the empty array", () => {
    expect(toWireImage(gCounter, gCounter.empty()).plain).toEqual([]);
  });

  test("is version 2 and writes floors, when there are any, as one trailing array of pairs", () => {
    expect(gCounter.wire).toBe(gCounterWire);
    expect(gCounterWire.version).toBe(2);
    const floored = gCounter.join(
      state,
      reset(
        new Map([
          [replicaId("dave"), 2],
          [replicaId("alice"), 5],
        ]),
      ),
    );
    const image = toWireImage(gCounter, floored);
    expect(image.table).toEqual(["alice", "bob", "carol", "dave"]);
    expect(image.plain).toEqual([0, 5, 1, 3, 2, 7, [0, 5, 3, 2]]);
    const decoded = fromWireImage(gCounter, image);
    expect(gCounter.equals(decoded, floored)).toBe(true);
    expect(gCounter.value(decoded)).toBe(10);
    // A reset delta alone: no counts, only floors.
    const delta = reset(state);
    const deltaImage = toWireImage(gCounter, delta);
    expect(deltaImage.plain).toEqual([[0, 5, 1, 3, 2, 7]]);
    expect(gCounter.equals(fromWireImage(gCounter, deltaImage), delta)).toBe(true);
  });

  test("a counter without floors is written exactly as version 1 wrote it", () => {
    const v1 = { ...gCounter, wire: gCounterWireV1 };
    expect(gCounterWireV1.version).toBe(1);
    expect(toWireImage(v1, state)).toEqual(toWireImage(gCounter, state));
  });

  test("version-1 data still loads, through the legacy wire form and through version 2", () => {
    const v1 = { ...gCounter, wire: gCounterWireV1 };
    const image = { table: [replicaId("alice"), replicaId("bob")], plain: [0, 5, 1, 3] };
    for (const type of [v1, gCounter]) {
      const decoded = fromWireImage(type, image);
      expect(decoded.floors).toBeUndefined();
      expect(gCounter.value(decoded)).toBe(8);
      // Loaded v1 data is a counter like any other: it can be deleted and grow again.
      const deleted = gCounter.join(decoded, reset(decoded));
      expect(gCounter.value(gCounter.join(deleted, increment(deleted, replicaId("bob"), 2)))).toBe(
        2,
      );
    }
  });

  test("the version-1 form refuses floors both ways", () => {
    expectReason(decodeError([0, 5, [0, 5]], ["alice"], 100, gCounterWireV1), "MALFORMED");
    const floored = gCounter.join(state, reset(state));
    expect(() => toWireImage({ ...gCounter, wire: gCounterWireV1 }, floored)).toThrow(
      InvalidArgumentError,
    );
  });

  const hostile: Array<[string, unknown, DecodeErrorCode]> = [
    ["not an array", { 0: 0, 1: 5 }, "WRONG_TYPE"],
    ["a string", "[0,5]", "WRONG_TYPE"],
    ["an odd length", [0, 5, 1], "MALFORMED"],
    ["a replica index outside the table", [0, 5, 2, 3], "INVALID_VALUE"],
    ["a replica index that is not an integer", [0.5, 5], "INVALID_VALUE"],
    ["a replica index given as a string", ["0", 5], "INVALID_VALUE"],
    ["a count given as a string", [0, "5"], "WRONG_TYPE"],
    ["a zero count", [0, 0], "INVALID_VALUE"],
    ["a negative count", [0, -1], "INVALID_VALUE"],
    ["a fractional count", [0, 1.5], "INVALID_VALUE"],
    ["an unsafe count", [0, 2 ** 53], "INVALID_VALUE"],
    ["a NaN count", [0, Number.NaN], "INVALID_VALUE"],
    ["a duplicate replica", [0, 5, 0, 6], "MALFORMED"],
    ["replicas out of order", [1, 3, 0, 5], "MALFORMED"],
    ["an empty floors array", [0, 5, []], "MALFORMED"],
    ["floors of odd length", [0, 5, [0]], "MALFORMED"],
    ["two floors arrays", [0, 5, [0, 5], [1, 3]], "INVALID_VALUE"],
    ["floors before the counts", [[0, 5], 0, 5], "MALFORMED"],
    ["floors as an object", [0, 5, { 0: 0, 1: 5 }], "MALFORMED"],
    ["a zero floor", [0, 5, [0, 0]], "INVALID_VALUE"],
    ["a negative floor", [0, 5, [0, -5]], "INVALID_VALUE"],
    ["a fractional floor", [[0, 0.5]], "INVALID_VALUE"],
    ["an unsafe floor", [[0, 2 ** 53]], "INVALID_VALUE"],
    ["a floor given as a string", [[0, "5"]], "WRONG_TYPE"],
    ["a nested floors array", [[[0, 5], 1]], "INVALID_VALUE"],
    ["a floor index outside the table", [[2, 5]], "INVALID_VALUE"],
    ["a duplicate floor replica", [[0, 5, 0, 6]], "MALFORMED"],
    ["floor replicas out of order", [[1, 3, 0, 5]], "MALFORMED"],
  ];
  for (const [name, plain, reason] of hostile) {
    test(`rejects ${name} with ${reason}`, () => expectReason(decodeError(plain), reason));
  }

  test("turns a hostile proxy that throws while being read into MALFORMED", () => {
    const proxy = new Proxy([0, 5], {
      get() {
        throw new Error("boom");
      },
    });
    expectReason(decodeError(proxy), "MALFORMED");
  });

  test("rejects more entries than maxEntries", () => {
    expectReason(decodeError([0, 5, 1, 3], ["alice", "bob"], 1), "LIMIT_EXCEEDED");
    expect(decodeError([0, 5], ["alice", "bob"], 1)).toBeUndefined();
    expectReason(decodeError([0, 5, [0, 5, 1, 3]], ["alice", "bob"], 1), "LIMIT_EXCEEDED");
    expect(decodeError([0, 5, [1, 3]], ["alice", "bob"], 1)).toBeUndefined();
  });

  test("turns a floors proxy that throws while being read into MALFORMED", () => {
    const floors = new Proxy([0, 5], {
      get() {
        throw new Error("boom");
      },
    });
    expectReason(decodeError([0, 5, floors]), "MALFORMED");
  });

  test("rejects an invalid replica id in the table", () => {
    expectReason(decodeError([0, 5], [""]), "INVALID_VALUE");
  });
});
