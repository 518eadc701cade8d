import { replicaId } from "@convergent/clocks";
import { DEFAULT_DECODE_LIMITS, DecodeError, type DecodeErrorCode } from "@convergent/core";
import { fromWireImage, tableReader, toWireImage } from "@convergent/core/testing";
import { describe, expect, test } from "vitest";
import { type GCounterState, gCounter } from "./g-counter.js";

const state: GCounterState = new Map([
  [replicaId("carol"), 7],
  [replicaId("alice"), 5],
  [replicaId("bob"), 3],
]);

function decodeError(plain: unknown, table: unknown[] = ["alice", "bob"], maxEntries = 100) {
  const reader = tableReader(table, { ...DEFAULT_DECODE_LIMITS, maxEntries });
  try {
    gCounter.wire.fromWire(plain, reader);
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
  });

  test("rejects an invalid replica id in the table", () => {
    expectReason(decodeError([0, 5], [""]), "INVALID_VALUE");
  });
});
