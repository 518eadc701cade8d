import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { canonicalPlainValue, storedPlainValue } from "./canonical-value.js";
import { assertPlainValue, type PlainValue } from "./plain-value.js";

/** What a write stored before the short path: validate, then copy. */
function reference(value: unknown): { value: PlainValue } | { error: string } {
  try {
    assertPlainValue(value);
    return { value: canonicalPlainValue(value) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

function outcome(value: unknown): { value: PlainValue } | { error: string } {
  try {
    return { value: storedPlainValue(value as PlainValue) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

// Leaves the short path handles, each valid and invalid, plus whatever fast-check makes up.
const leaf = fc.oneof(
  fc.constantFrom<unknown>(0, -0, Number.NaN, Infinity, -Infinity, null, undefined, true, false),
  fc.constantFrom<unknown>("a\uD800", "\uDC00", "\uD83D\uDE00", "", 1n, Symbol.for("s")),
  fc.double(),
  fc.string({ unit: "binary", maxLength: 4 }),
  fc.uint8Array({ maxLength: 4 }),
  fc.constantFrom<unknown>(new Date(0), new Map(), () => 1),
);
const value = fc.oneof(
  leaf,
  fc.array(leaf, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 2 }), leaf, { maxKeys: 3 }),
  fc.anything({ withTypedArray: true, withBigInt: true, withNullPrototype: true }),
);

describe("storedPlainValue", () => {
  test("accepts, rejects and copies exactly as assertPlainValue then canonicalPlainValue", () => {
    fc.assert(
      fc.property(value, (v) => {
        const expected = reference(v);
        const actual = outcome(v);
        expect(actual).toEqual(expected);
        if ("value" in actual && "value" in expected) {
          // toEqual does not tell -0 from 0.
          expect(Object.is(actual.value, expected.value)).toBe(
            typeof actual.value !== "object" || actual.value === null,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("stores -0 as 0", () => {
    expect(Object.is(storedPlainValue(-0), 0)).toBe(true);
  });

  test("copies a byte array, so later changes to the argument change nothing", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const stored = storedPlainValue(bytes) as Uint8Array;
    bytes[0] = 9;
    expect(stored).not.toBe(bytes);
    expect([...stored]).toEqual([1, 2, 3]);
  });

  test("stores a Buffer (a Uint8Array subclass) as a plain Uint8Array", () => {
    const stored = storedPlainValue(Buffer.from([4, 5])) as Uint8Array;
    expect(Object.getPrototypeOf(stored)).toBe(Uint8Array.prototype);
    expect([...stored]).toEqual([4, 5]);
  });
});
