import { replicaId } from "@convergent/clocks";
import {
  DEFAULT_DECODE_LIMITS,
  DecodeError,
  type DecodeErrorCode,
  InvalidArgumentError,
} from "@convergent/core";
import { fromWireImage, tableReader, toWireImage } from "@convergent/core/testing";
import { describe, expect, test } from "vitest";
import { decrement } from "./mutators.js";
import { type PnCounterState, pnCounter } from "./pn-counter.js";
import { reset } from "./reset.js";
import { pnCounterWire, pnCounterWireV1 } from "./wire.js";

function decodeError(
  plain: unknown,
  table: unknown[] = ["alice", "bob"],
  maxEntries = 100,
  wire = pnCounterWire,
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

  const state: PnCounterState = new Map([
    [replicaId("bob"), [0, 4]],
    [replicaId("alice"), [5, 1]],
  ]);
  const v1 = { ...pnCounter, wire: pnCounterWireV1 };

  test("is version 2 and writes floors, when there are any, as one trailing array of triples", () => {
    expect(pnCounter.wire).toBe(pnCounterWire);
    expect(pnCounterWire.version).toBe(2);
    const floored = pnCounter.join(
      state,
      reset(
        new Map([
          [replicaId("carol"), [0, 2]],
          [replicaId("alice"), [5, 1]],
        ]),
      ),
    );
    const image = toWireImage(pnCounter, floored);
    expect(image.table).toEqual(["alice", "bob", "carol"]);
    expect(image.plain).toEqual([0, 5, 1, 1, 0, 4, [0, 5, 1, 2, 0, 2]]);
    const decoded = fromWireImage(pnCounter, image);
    expect(pnCounter.equals(decoded, floored)).toBe(true);
    expect(pnCounter.value(decoded)).toBe(-4);
    const delta = reset(state);
    const deltaImage = toWireImage(pnCounter, delta);
    expect(deltaImage.plain).toEqual([[0, 5, 1, 1, 0, 4]]);
    expect(pnCounter.equals(fromWireImage(pnCounter, deltaImage), delta)).toBe(true);
  });

  test("a counter without floors is written exactly as version 1 wrote it", () => {
    expect(pnCounterWireV1.version).toBe(1);
    expect(toWireImage(v1, state)).toEqual(toWireImage(pnCounter, state));
  });

  test("version-1 data still loads, through the legacy wire form and through version 2", () => {
    const image = { table: [replicaId("alice"), replicaId("bob")], plain: [0, 5, 1, 1, 0, 4] };
    for (const type of [v1, pnCounter]) {
      const decoded = fromWireImage(type, image);
      expect(decoded.floors).toBeUndefined();
      expect(pnCounter.value(decoded)).toBe(0);
      const deleted = pnCounter.join(decoded, reset(decoded));
      const after = pnCounter.join(deleted, decrement(deleted, replicaId("bob"), 2));
      expect(pnCounter.value(after)).toBe(-2);
    }
  });

  test("the version-1 form refuses floors both ways", () => {
    expectReason(decodeError([0, 5, 1, [0, 5, 1]], ["alice"], 100, pnCounterWireV1), "MALFORMED");
    expect(() => toWireImage(v1, pnCounter.join(state, reset(state)))).toThrow(
      InvalidArgumentError,
    );
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
    ["an empty floors array", [0, 5, 1, []], "MALFORMED"],
    ["floors of a bad length", [0, 5, 1, [0, 5]], "MALFORMED"],
    ["two floors arrays", [0, 5, 1, [0, 5, 1], [1, 3, 0]], "MALFORMED"],
    ["floors before the counts", [[0, 5, 1], 0, 5, 1], "MALFORMED"],
    ["floors as an object", [0, 5, 1, { length: 3 }], "MALFORMED"],
    ["an all-zero floor", [0, 5, 1, [0, 0, 0]], "INVALID_VALUE"],
    ["a negative floor", [[0, 5, -1]], "INVALID_VALUE"],
    ["an unsafe floor", [[0, 2 ** 53, 0]], "INVALID_VALUE"],
    ["a fractional floor", [[0, 0.5, 0]], "INVALID_VALUE"],
    ["a floor given as a string", [[0, "5", 0]], "WRONG_TYPE"],
    ["a floor index outside the table", [[2, 5, 0]], "INVALID_VALUE"],
    ["a duplicate floor replica", [[0, 5, 0, 0, 6, 0]], "MALFORMED"],
    ["floor replicas out of order", [[1, 3, 0, 0, 5, 0]], "MALFORMED"],
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
    expectReason(decodeError([[0, 5, 0, 1, 3, 0]], ["alice", "bob"], 1), "LIMIT_EXCEEDED");
    expect(decodeError([0, 5, 0, [1, 3, 0]], ["alice", "bob"], 1)).toBeUndefined();
  });

  test("turns a floors proxy that throws while being read into MALFORMED", () => {
    const floors = new Proxy([0, 5, 1], {
      get() {
        throw new Error("boom");
      },
    });
    expectReason(decodeError([0, 5, 1, floors]), "MALFORMED");
  });
});
