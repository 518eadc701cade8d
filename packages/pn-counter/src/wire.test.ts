import { replicaId } from "@convergent/clocks";
import { DEFAULT_DECODE_LIMITS, DecodeError, type DecodeErrorCode } from "@convergent/core";
import { fromWireImage, tableReader, toWireImage } from "@convergent/core/testing";
import { describe, expect, test } from "vitest";
import { type PnCounterState, pnCounter } from "./pn-counter.js";

function decodeError(plain: unknown, table: unknown[] = ["alice", "bob"], maxEntries = 100) {
  const reader = tableReader(table, { ...DEFAULT_DECODE_LIMITS, maxEntries });
  try {
    pnCounter.wire.fromWire(plain, reader);
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectReason(error: unknown, reason: DecodeErrorCode) {
  expect(error).toBeInstanceOf(DecodeError);
  expect((error as DecodeError).reason).toBe(reason);
}

describe("pn-counter wire form", () => {
  test("is flat [replica, P, N] triples in replica order", () => {
    const state: PnCounterState = new Map([
      [replicaId("bob"), [0, 4]],
      [replicaId("alice"), [5, 1]],
    ]);
    const image = toWireImage(pnCounter, state);
    expect(image.table).toEqual(["alice", "bob"]);
    expect(image.plain).toEqual([0, 5, 1, 1, 0, 4]);
    expect(pnCounter.equals(fromWireImage(pnCounter, image), state)).toBe(true);
  });

  test("decodes -0 as 0", () => {
    const state = pnCounter.wire.fromWire([0, 3, -0], tableReader(["alice"]));
    expect(Object.is(state.get(replicaId("alice"))?.[1], 0)).toBe(true);
  });

  const hostile: Array<[string, unknown, DecodeErrorCode]> = [
    ["not an array", { length: 3 }, "WRONG_TYPE"],
    ["a length that is not a multiple of 3", [0, 5, 1, 1], "MALFORMED"],
    ["a replica index outside the table", [2, 5, 1], "INVALID_VALUE"],
    ["a negative replica index", [-1, 5, 1], "INVALID_VALUE"],
    ["a count given as a string", [0, "5", 1], "WRONG_TYPE"],
    ["a count given as null", [0, 5, null], "WRONG_TYPE"],
    ["an all-zero entry", [0, 0, 0], "INVALID_VALUE"],
    ["a negative count", [0, 5, -1], "INVALID_VALUE"],
    ["a fractional count", [0, 5, 0.5], "INVALID_VALUE"],
    ["an unsafe count", [0, 2 ** 53, 0], "INVALID_VALUE"],
    ["an infinite count", [0, Infinity, 0], "INVALID_VALUE"],
    ["a duplicate replica", [0, 5, 1, 0, 6, 1], "MALFORMED"],
    ["replicas out of order", [1, 3, 0, 0, 5, 0], "MALFORMED"],
  ];
  for (const [name, plain, reason] of hostile) {
    test(`rejects ${name} with ${reason}`, () => expectReason(decodeError(plain), reason));
  }

  test("turns a hostile proxy that throws while being read into MALFORMED", () => {
    const proxy = new Proxy([0, 5, 1], {
      get() {
        throw new Error("boom");
      },
    });
    expectReason(decodeError(proxy), "MALFORMED");
  });

  test("rejects more entries than maxEntries", () => {
    expectReason(decodeError([0, 5, 0, 1, 3, 0], ["alice", "bob"], 1), "LIMIT_EXCEEDED");
  });
});
