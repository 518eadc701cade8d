import { containsDot, replicaId } from "@convergent/clocks";
import {
  DEFAULT_DECODE_LIMITS,
  DecodeError,
  type DecodeErrorCode,
  type DecodeLimits,
} from "@convergent/core";
import { executeRun, stepArbitrary, tableReader, toWireImage } from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { write } from "./mutators.js";
import { mvRegister } from "./mv-register.js";
import { value } from "./queries.js";
import type { MvRegisterState } from "./state.js";
import { spec } from "./test-arbitraries.js";

const alice = replicaId("alice");
const bob = replicaId("bob");
const table = [alice, bob];

const tiny: DecodeLimits = {
  ...DEFAULT_DECODE_LIMITS,
  maxEntries: 2,
  maxStringLength: 4,
  maxDepth: 2,
};

function decode(plain: unknown, limits?: DecodeLimits): MvRegisterState {
  return mvRegister.wire.fromWire(plain, tableReader(table, limits));
}

function expectDecodeError(plain: unknown, reason: DecodeErrorCode, limits?: DecodeLimits) {
  let error: unknown;
  try {
    decode(plain, limits);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(DecodeError);
  expect((error as DecodeError).reason).toBe(reason);
}

/** alice wrote twice (1, then 2); bob wrote 5 concurrently with alice's second write. */
function twoSiblings(): MvRegisterState {
  const first = write(mvRegister.empty(), alice, 1);
  const fromAlice = write(first, alice, 2);
  const fromBob = write(first, bob, 5);
  return [first, fromAlice, fromBob].reduce(mvRegister.join, mvRegister.empty());
}

const sibling = (replica: number, counter: number, v: unknown) => [replica, counter, v];

describe("mv-register wire form", () => {
  test("writes [vector, cloud, siblings sorted by dot] with replica indices", () => {
    const image = toWireImage(mvRegister, twoSiblings());
    expect(image.table).toEqual([alice, bob]);
    expect(image.plain).toEqual([
      [
        [0, 2],
        [1, 1],
      ],
      [],
      [sibling(0, 2, 2), sibling(1, 1, 5)],
    ]);
    expect(mvRegister.equals(decode(image.plain), twoSiblings())).toBe(true);
  });

  test("writes dots above a gap in the cloud", () => {
    let history = mvRegister.empty();
    for (const v of ["x", "y"]) history = mvRegister.join(history, write(history, alice, v));
    // bob receives only alice's third write: its context names alice's dots 2 and 3, not 1.
    const received = mvRegister.join(mvRegister.empty(), write(history, alice, "z"));
    const image = toWireImage(mvRegister, received);
    expect(image.plain).toEqual([[], [[0, [2, 3]]], [sibling(0, 3, "z")]]);
    expect(mvRegister.equals(decode(image.plain), received)).toBe(true);
  });

  test("accepts a non-compacted context and decodes it to the canonical state", () => {
    const loose = decode([[[0, 1]], [[0, [3, 2]]], [sibling(0, 3, "v")]]);
    expect(loose.context.versionVector.get(alice)).toBe(3);
    expect(loose.context.cloud.size).toBe(0);
    expect(toWireImage(mvRegister, loose).plain).toEqual([[[0, 3]], [], [sibling(0, 3, "v")]]);
  });

  test("canonicalizes decoded values, so they equal written ones", () => {
    const state = decode([[[0, 1]], [], [sibling(0, 1, { b: 1, a: -0 })]]);
    const [stored] = value(state);
    expect(Object.keys(stored as object)).toEqual(["a", "b"]);
    expect(Object.isFrozen(stored)).toBe(true);
    expect(mvRegister.equals(state, write(mvRegister.empty(), alice, { a: 0, b: 1 }))).toBe(true);
  });

  describe("rejects hostile input", () => {
    const ok = [[[0, 1]], [], [sibling(0, 1, "v")]];

    test("wrong shapes and types", () => {
      expectDecodeError("state", "WRONG_TYPE");
      expectDecodeError(null, "WRONG_TYPE");
      expectDecodeError({ 0: [], 1: [], 2: [] }, "WRONG_TYPE");
      expectDecodeError([[], []], "MALFORMED");
      expectDecodeError([[], [], [], []], "MALFORMED");
      expectDecodeError([{}, [], []], "WRONG_TYPE");
      expectDecodeError([[[0]], [], []], "MALFORMED");
      expectDecodeError([[[0, "1"]], [], []], "WRONG_TYPE");
      expectDecodeError([[[0, 1]], [[0, 2]], []], "WRONG_TYPE");
      expectDecodeError([[[0, 1]], [], [[0, 1]]], "MALFORMED");
      expectDecodeError([[[0, 1]], [], ["sibling"]], "WRONG_TYPE");
    });

    test("counters that are not positive safe integers", () => {
      for (const bad of [0, -1, 1.5, 2 ** 53, Number.NaN]) {
        expectDecodeError([[[0, bad]], [], []], "INVALID_VALUE");
        expectDecodeError([[], [[0, [bad]]], []], "INVALID_VALUE");
        expectDecodeError([[[0, 1]], [], [sibling(0, bad, "v")]], "INVALID_VALUE");
      }
    });

    test("replica indices outside the table", () => {
      expectDecodeError([[[2, 1]], [], []], "INVALID_VALUE");
      expectDecodeError([[[-1, 1]], [], []], "INVALID_VALUE");
      expectDecodeError([[[0, 1]], [[0.5, [3]]], []], "INVALID_VALUE");
      expectDecodeError([[[0, 1]], [], [sibling(9, 1, "v")]], "INVALID_VALUE");
    });

    test("duplicates", () => {
      expectDecodeError(
        [
          [
            [0, 1],
            [0, 2],
          ],
          [],
          [],
        ],
        "MALFORMED",
      );
      expectDecodeError(
        [
          [],
          [
            [0, [3]],
            [0, [5]],
          ],
          [],
        ],
        "MALFORMED",
      );
      expectDecodeError([[], [[0, [3, 3]]], []], "MALFORMED");
      expectDecodeError([[[0, 1]], [], [sibling(0, 1, "v"), sibling(0, 1, "v")]], "MALFORMED");
      expectDecodeError([[[0, 1]], [], [sibling(0, 1, "v"), sibling(0, 1, "w")]], "MALFORMED");
    });

    test("sibling dots outside the causal context", () => {
      expectDecodeError([[], [], [sibling(0, 1, "v")]], "INVALID_VALUE");
      expectDecodeError([[[0, 1]], [], [sibling(0, 2, "v")]], "INVALID_VALUE");
      expectDecodeError([[[0, 1]], [[0, [4]]], [sibling(0, 3, "v")]], "INVALID_VALUE");
      expectDecodeError([[[0, 5]], [], [sibling(1, 1, "v")]], "INVALID_VALUE");
    });

    test("values that are not plain values", () => {
      const withValue = (v: unknown) => [[[0, 1]], [], [sibling(0, 1, v)]];
      expectDecodeError(withValue(JSON.parse('{"__proto__": {"polluted": 1}}')), "FORBIDDEN_KEY");
      expectDecodeError(withValue({ constructor: { prototype: 1 } }), "FORBIDDEN_KEY");
      expectDecodeError(withValue([{ ok: { prototype: 1 } }]), "FORBIDDEN_KEY");
      expectDecodeError(withValue(Number.NaN), "INVALID_VALUE");
      expectDecodeError(withValue(Number.NEGATIVE_INFINITY), "INVALID_VALUE");
      expectDecodeError(withValue(undefined), "WRONG_TYPE");
      expectDecodeError(
        withValue(() => 1),
        "WRONG_TYPE",
      );
      expectDecodeError(withValue(new Date(0)), "WRONG_TYPE");
      expectDecodeError(withValue(10n), "WRONG_TYPE");
      expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    });

    test("anything a getter or proxy throws becomes a DecodeError", () => {
      const trap = new Proxy([], {
        get() {
          throw new Error("boom");
        },
      });
      expectDecodeError([trap, [], []], "MALFORMED");
      const getter = Object.defineProperty({}, "x", {
        enumerable: true,
        get() {
          throw new Error("boom");
        },
      });
      expectDecodeError([[[0, 1]], [], [sibling(0, 1, getter)]], "MALFORMED");
    });

    test("sizes over the decode limits", () => {
      expect(mvRegister.equals(decode(ok, tiny), decode(ok))).toBe(true);
      expectDecodeError(
        [
          [
            [0, 1],
            [1, 1],
            [1, 2],
          ],
          [],
          [],
        ],
        "LIMIT_EXCEEDED",
        tiny,
      );
      expectDecodeError([[], [[0, [3, 5, 7]]], []], "LIMIT_EXCEEDED", tiny);
      // Two cloud lists within the per-list bound still exceed it together.
      expectDecodeError(
        [
          [],
          [
            [0, [3, 5]],
            [1, [3]],
          ],
          [],
        ],
        "LIMIT_EXCEEDED",
        tiny,
      );
      expectDecodeError(
        [[[0, 3]], [], [sibling(0, 1, 1), sibling(0, 2, 2), sibling(0, 3, 3)]],
        "LIMIT_EXCEEDED",
        tiny,
      );
      const withValue = (v: unknown) => [[[0, 1]], [], [sibling(0, 1, v)]];
      expectDecodeError(withValue("too long"), "LIMIT_EXCEEDED", tiny);
      expectDecodeError(withValue({ "long key": 1 }), "LIMIT_EXCEEDED", tiny);
      expectDecodeError(withValue([1, 2, 3]), "LIMIT_EXCEEDED", tiny);
      expectDecodeError(withValue({ a: 1, b: 2, c: 3 }), "LIMIT_EXCEEDED", tiny);
      expectDecodeError(withValue([[[1]]]), "LIMIT_EXCEEDED", tiny);
      expect(value(decode(withValue([[1]]), tiny))).toEqual([[[1]]]);
    });
  });

  test("corrupted images of reachable states decode to valid states or throw DecodeError", () => {
    const steps = fc.array(stepArbitrary(spec.operation, 3), { maxLength: 20 });
    fc.assert(
      fc.property(steps, fc.array(fc.nat()), fc.anything(), (s, path, replacement) => {
        const [state] = executeRun(spec, s).states as [MvRegisterState];
        const image = toWireImage(mvRegister, state);
        const plain = replaceAt(structuredClone(image.plain), path, replacement);
        let decoded: MvRegisterState;
        try {
          decoded = mvRegister.wire.fromWire(plain, tableReader(image.table));
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
          return;
        }
        for (const { dot } of decoded.siblings.values()) {
          expect(containsDot(decoded.context, dot)).toBe(true);
        }
        const again = toWireImage(mvRegister, decoded);
        expect(
          mvRegister.equals(
            mvRegister.wire.fromWire(again.plain, tableReader(again.table)),
            decoded,
          ),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

/** Replaces the node reached by following `path` (indices taken modulo each array's length). */
function replaceAt(plain: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || !Array.isArray(plain) || plain.length === 0) return replacement;
  const [head, ...rest] = path as [number, ...number[]];
  const index = head % plain.length;
  plain[index] = replaceAt(plain[index], rest, replacement);
  return plain;
}
