import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ConvergentError, InvalidReplicaIdError } from "./errors.js";
import {
  compareReplicaIds,
  isReplicaId,
  MAX_REPLICA_ID_LENGTH,
  type ReplicaId,
  replicaId,
  replicaIdProblem,
} from "./replica-id.js";
import { hasControlCharacter } from "./test-arbitraries.js";

function expectInvalid(value: unknown): void {
  expect(isReplicaId(value)).toBe(false);
  expect(replicaIdProblem(value)).toEqual(expect.any(String));
  let thrown: unknown;
  try {
    replicaId(value as string);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidReplicaIdError);
  expect(thrown).toBeInstanceOf(ConvergentError);
  expect((thrown as InvalidReplicaIdError).code).toBe("INVALID_REPLICA_ID");
}

// Unicode general category Cc: C0 controls, DEL and C1 controls.
const controlChar = fc.oneof(
  fc.integer({ min: 0x00, max: 0x1f }),
  fc.constant(0x7f),
  fc.integer({ min: 0x80, max: 0x9f }),
);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff });

const validId = fc
  .string({ unit: "binary", minLength: 1, maxLength: MAX_REPLICA_ID_LENGTH })
  .filter((s) => s.length <= MAX_REPLICA_ID_LENGTH && !hasControlCharacter(s));

describe("replica ids", () => {
  test("every non-empty, short, well-formed string without control characters is accepted", () => {
    fc.assert(
      fc.property(validId, (s) => {
        expect(replicaIdProblem(s)).toBeUndefined();
        expect(isReplicaId(s)).toBe(true);
        expect(replicaId(s)).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  test("a control character anywhere is rejected", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        controlChar,
        fc.string({ maxLength: 20 }),
        (before, code, after) => expectInvalid(before + String.fromCharCode(code) + after),
      ),
    );
  });

  test("a lone surrogate anywhere is rejected (it cannot survive UTF-8)", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        loneSurrogate,
        fc.string({ maxLength: 20 }),
        (before, code, after) => {
          const text = before + String.fromCharCode(code) + after;
          // A high surrogate directly followed by a low one is a valid pair, not a lone one.
          fc.pre(!/[\ud800-\udbff][\udc00-\udfff]/.test(text));
          expectInvalid(text);
        },
      ),
    );
  });

  test("regression: ids that differ only in a lone surrogate would collide as UTF-8", () => {
    const encode = (s: string) => [...new TextEncoder().encode(s)];
    expect(encode("a\ud800")).toEqual(encode("a\udc00"));
    expectInvalid("a\ud800");
    expectInvalid("a\udc00");
    expectInvalid("\ude00\ud83d"); // a pair in the wrong order
    expect(isReplicaId("a\ud83d\ude00")).toBe(true);
  });

  test("longer than the maximum is rejected", () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_REPLICA_ID_LENGTH + 1, max: 500 }), (length) =>
        expectInvalid("x".repeat(length)),
      ),
      { numRuns: 50 },
    );
  });

  test("length is counted in UTF-16 code units", () => {
    expect(isReplicaId("x".repeat(MAX_REPLICA_ID_LENGTH))).toBe(true);
    expectInvalid("x".repeat(MAX_REPLICA_ID_LENGTH + 1));
    expect(isReplicaId("😀".repeat(MAX_REPLICA_ID_LENGTH / 2))).toBe(true);
    expectInvalid("😀".repeat(MAX_REPLICA_ID_LENGTH / 2) + "x");
  });

  test("empty and non-string values are rejected", () => {
    for (const value of [
      "",
      undefined,
      null,
      0,
      1n,
      true,
      Symbol("a"),
      {},
      ["a"],
      new String("a"),
    ]) {
      expectInvalid(value);
    }
  });

  test("printable edge cases are accepted", () => {
    for (const s of [" ", "a b", "node-1", "ü", "東京", "😀", "\u00a0", "\ufeffbom", "."]) {
      expect(replicaId(s)).toBe(s);
    }
  });

  test("the error message says what was wrong", () => {
    expect(() => replicaId("")).toThrow(/empty/);
    expect(() => replicaId("a\nb")).toThrow(/control/);
    expect(() => replicaId("x".repeat(65))).toThrow(/65 characters; the maximum is 64/);
  });

  test("compareReplicaIds is a total order that agrees with string order", () => {
    const id = validId.map((s) => s as ReplicaId);
    fc.assert(
      fc.property(id, id, id, (a, b, c) => {
        expect(compareReplicaIds(a, a)).toBe(0);
        expect(compareReplicaIds(a, b)).toBe(-compareReplicaIds(b, a) || 0);
        expect(compareReplicaIds(a, b) === 0).toBe(a === b);
        expect(compareReplicaIds(a, b)).toBe(a < b ? -1 : a > b ? 1 : 0);
        if (compareReplicaIds(a, b) <= 0 && compareReplicaIds(b, c) <= 0) {
          expect(compareReplicaIds(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });
});
