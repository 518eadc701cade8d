import { equalPlainValues, type WirePlain } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createCodec, EncodeError } from "./index.js";
import {
  decodeErrorOf,
  expectDecodeError,
  hex,
  plainArbitrary,
  plainFrame,
} from "./test-support/frames.js";

const codec = createCodec({ verifyCanonical: true });
const lenient = createCodec();
const body = (value: WirePlain): string => hex(codec.encodePlain(value)).slice(10);

function encodeErrorOf(run: () => unknown): EncodeError {
  try {
    run();
  } catch (error) {
    if (error instanceof EncodeError) return error;
    throw error;
  }
  throw new Error("expected an EncodeError");
}

/** The same data with every object's keys inserted in reverse order. */
function reversed(value: WirePlain): WirePlain {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  const out: Record<string, WirePlain> = {};
  for (const key of Object.keys(value).reverse()) {
    out[key] = reversed((value as Record<string, WirePlain>)[key] as WirePlain);
  }
  return out;
}

describe("plain frames round-trip and are canonical", () => {
  test("decodePlain(encodePlain(v)) equals v, and re-encoding gives the same bytes", () => {
    fc.assert(
      fc.property(plainArbitrary, (value) => {
        const bytes = codec.encodePlain(value);
        const decoded = codec.decodePlain(bytes);
        expect(equalPlainValues(decoded as never, value as never)).toBe(true);
        expect(codec.encodePlain(decoded)).toEqual(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  test("key insertion order does not change the bytes", () => {
    fc.assert(
      fc.property(plainArbitrary, (value) => {
        expect(codec.encodePlain(reversed(value))).toEqual(codec.encodePlain(value));
      }),
      { numRuns: 500 },
    );
  });

  test("object keys are sorted by UTF-16 code units, integer-like keys included", () => {
    // JavaScript enumerates "9" and "10" first and numerically; the format does not.
    expect(body({ b: 1, a: 2, "10": 3, "9": 4 })).toBe("84a2313003a13904a16102a16201");
    // U+FF5E sorts after U+1F600 (a surrogate pair starting 0xD83D) by code units.
    expect(
      Object.keys(codec.decodePlain(codec.encodePlain({ "\uff5e": 1, "😀": 2 })) as object),
    ).toEqual(["😀", "\uff5e"]);
  });

  test("decoded byte arrays are plain Uint8Array copies, not views of the frame", () => {
    const bytes = codec.encodePlain([new Uint8Array([1, 2, 3])]);
    const [decoded] = codec.decodePlain(bytes) as [Uint8Array];
    expect(decoded.constructor).toBe(Uint8Array);
    bytes.fill(0);
    expect([...decoded]).toEqual([1, 2, 3]);
    expect(codec.decodePlain(codec.encodePlain(Buffer.from([9])))).toEqual(new Uint8Array([9]));
  });

  test("a frame inside a larger buffer decodes from its own bytes only", () => {
    const value = { text: "ünïcode ".repeat(20), list: [1, 2 ** 40, "x"] };
    const frame = codec.encodePlain(value);
    const pool = new Uint8Array(frame.length + 64).fill(0xc1);
    pool.set(frame, 37);
    expect(codec.decodePlain(pool.subarray(37, 37 + frame.length))).toEqual(value);
    expect(codec.decodePlain(Buffer.from(frame))).toEqual(value);
    expectDecodeError(() => codec.decodePlain(pool.subarray(37, 36 + frame.length)), "TRUNCATED");
  });

  test("strings starting with a byte order mark keep it, short and long", () => {
    for (const text of [
      "\uFEFF",
      "\uFEFFab",
      `\uFEFF${"x".repeat(100)}`,
      `\uFEFF\uFEFF${"é".repeat(50)}`,
    ]) {
      expect(codec.decodePlain(codec.encodePlain([text, { [text]: text }]))).toEqual([
        text,
        { [text]: text },
      ]);
    }
  });
});

describe("numbers: integers as integers, shortest form; other numbers as float 64", () => {
  const cases: Array<[number, string]> = [
    [0, "00"],
    [-0, "00"],
    [127, "7f"],
    [128, "cc80"],
    [255, "ccff"],
    [256, "cd0100"],
    [65536, "ce00010000"],
    [2 ** 32 - 1, "ceffffffff"],
    [2 ** 32, "d30000000100000000"],
    [Number.MAX_SAFE_INTEGER, "d3001fffffffffffff"],
    [-1, "ff"],
    [-32, "e0"],
    [-33, "d0df"],
    [-129, "d1ff7f"],
    [-(2 ** 31), "d280000000"],
    [-(2 ** 31) - 1, "d3ffffffff7fffffff"],
    [Number.MIN_SAFE_INTEGER, "d3ffe0000000000001"],
    [1.5, "cb3ff8000000000000"],
    [2 ** 53, "cb4340000000000000"],
    [1e300, "cb7e37e43c8800759c"],
  ];
  test.each(cases)("%d is written as %s", (value, expected) => {
    expect(body(value)).toBe(expected);
    expect(codec.decodePlain(codec.encodePlain(value))).toBe(value === 0 ? 0 : value);
  });

  test("non-shortest and float-coded integers are rejected as non-canonical", () => {
    for (const bytes of [
      "cc05",
      "cd0005",
      "ce00000005",
      "cf0000000000000005",
      "d30000000000000005",
      "d0ff",
      "cb3ff0000000000000",
      "cf0000000100000000",
    ]) {
      expectDecodeError(() => codec.decodePlain(plainFrame(bytes)), "MALFORMED");
    }
    expect(lenient.decodePlain(plainFrame("cc05"))).toBe(5);
    expect(lenient.decodePlain(plainFrame("cb3ff0000000000000"))).toBe(1);
  });

  test("64-bit integers beyond ±(2^53 - 1) and non-finite floats are INVALID_VALUE", () => {
    for (const bytes of [
      "d30020000000000000",
      "d3ffdfffffffffffff",
      "cfffffffffffffffff",
      "cb7ff8000000000000",
      "cb7ff0000000000000",
      "cbfff0000000000000",
    ]) {
      expectDecodeError(() => lenient.decodePlain(plainFrame(bytes)), "INVALID_VALUE");
    }
  });

  test("float 32 is not part of the format", () => {
    expectDecodeError(() => lenient.decodePlain(plainFrame("ca3fc00000")), "MALFORMED");
  });
});

describe("hostile bodies", () => {
  test("__proto__, constructor and prototype keys are FORBIDDEN_KEY anywhere", () => {
    const keys = ["a95f5f70726f746f5f5f", "ab636f6e7374727563746f72", "a970726f746f74797065"];
    for (const key of keys) {
      expectDecodeError(() => codec.decodePlain(plainFrame(`81${key}c0`)), "FORBIDDEN_KEY");
      expectDecodeError(() => lenient.decodePlain(plainFrame(`9281${key}c0c0`)), "FORBIDDEN_KEY");
    }
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  test("a repeated key is MALFORMED, even without the canonical check", () => {
    expectDecodeError(() => lenient.decodePlain(plainFrame("82a16101a16102")), "MALFORMED");
  });

  test("the canonical check is off by default, and everything else is still checked", () => {
    expect(lenient.verifyCanonical).toBe(false);
    expect(codec.verifyCanonical).toBe(true);
    expect(lenient.decodePlain(plainFrame("d30000000000000005"))).toBe(5);
    expect(lenient.decodePlain(plainFrame("92cd0001cb4000000000000000"))).toEqual([1, 2]);
    expectDecodeError(() => lenient.decodePlain(plainFrame("82a16101a16101")), "MALFORMED");
    expectDecodeError(() => lenient.decodePlain(plainFrame("0102")), "TRAILING_BYTES");
  });

  test("unsorted keys are MALFORMED unless the canonical check is off", () => {
    expectDecodeError(() => codec.decodePlain(plainFrame("82a16201a16102")), "MALFORMED");
    expect(lenient.decodePlain(plainFrame("82a16201a16102"))).toEqual({ a: 2, b: 1 });
  });

  test("non-string map keys are WRONG_TYPE", () => {
    for (const bytes of ["810102", "81c0c0", "81900102", "8180c0", "81c40161c0"]) {
      expectDecodeError(() => lenient.decodePlain(plainFrame(bytes)), "WRONG_TYPE");
    }
  });

  test("extension types, timestamps and the never-used byte are MALFORMED", () => {
    for (const bytes of [
      "c1",
      "d40000",
      "d6ff00000000",
      "d7ff0000000000000000",
      "c70100aa",
      "c800010001",
      "c90000000100aa",
      "d5720102",
      "9201c1",
    ]) {
      expectDecodeError(() => lenient.decodePlain(plainFrame(bytes)), "MALFORMED");
    }
  });

  test("invalid UTF-8 is MALFORMED", () => {
    for (const bytes of ["a2c328", "a2c080", "a3eda080", "a1ff", "a4f4908080", "a1c3"]) {
      expectDecodeError(() => lenient.decodePlain(plainFrame(bytes)), "MALFORMED");
    }
  });

  test("length prefixes beyond the frame are TRUNCATED, before any allocation", () => {
    for (const bytes of [
      "9201",
      "dcffff",
      "ddffffffff",
      "dfffffffff",
      "deffff",
      "db7fffffff61",
      "c6ffffffff",
      "c50002aa",
      "a461",
      "cd00",
      "cb00",
      "d9",
    ]) {
      expectDecodeError(() => lenient.decodePlain(plainFrame(bytes)), "TRUNCATED");
    }
  });

  test("bytes after the value are TRAILING_BYTES", () => {
    expectDecodeError(() => codec.decodePlain(plainFrame("0102")), "TRAILING_BYTES");
    expectDecodeError(() => codec.decodePlain(plainFrame("9101c0")), "TRAILING_BYTES");
  });
});

describe("limits are enforced on decode and on encode", () => {
  const tight = createCodec({
    limits: { maxDepth: 3, maxEntries: 3, maxStringLength: 4, maxFrameBytes: 64 },
  });

  test("nesting depth", () => {
    expect(tight.decodePlain(plainFrame("919191c0"))).toEqual([[[null]]]);
    expectDecodeError(() => tight.decodePlain(plainFrame("91919190")), "LIMIT_EXCEEDED");
    expectDecodeError(() => tight.decodePlain(plainFrame("91919181a161c0")), "LIMIT_EXCEEDED");
    expect(encodeErrorOf(() => tight.encodePlain([[[[]]]])).reason).toBe("LIMIT_EXCEEDED");
  });

  test("a million nested arrays are rejected without exhausting the stack", () => {
    const deep = new Uint8Array(1_000_001).fill(0x91);
    deep[deep.length - 1] = 0xc0;
    expectDecodeError(
      () => codec.decodePlain(plainFrame(Buffer.from(deep).toString("hex"))),
      "LIMIT_EXCEEDED",
    );
  });

  test("entries per collection", () => {
    expectDecodeError(() => tight.decodePlain(plainFrame("9401020304")), "LIMIT_EXCEEDED");
    expectDecodeError(
      () => tight.decodePlain(plainFrame("84a16101a16201a16301a16401")),
      "LIMIT_EXCEEDED",
    );
    expect(encodeErrorOf(() => tight.encodePlain([1, 2, 3, 4])).reason).toBe("LIMIT_EXCEEDED");
    expect(encodeErrorOf(() => tight.encodePlain({ a: 1, b: 2, c: 3, d: 4 })).reason).toBe(
      "LIMIT_EXCEEDED",
    );
  });

  test("string length counts UTF-16 code units, keys included", () => {
    expect(tight.decodePlain(tight.encodePlain("éééé"))).toBe("éééé");
    expectDecodeError(() => tight.decodePlain(plainFrame("a56162636465")), "LIMIT_EXCEEDED");
    expectDecodeError(() => tight.decodePlain(plainFrame("81a5616263646501")), "LIMIT_EXCEEDED");
    expect(encodeErrorOf(() => tight.encodePlain("abcde")).reason).toBe("LIMIT_EXCEEDED");
    expect(encodeErrorOf(() => tight.encodePlain({ abcde: 1 })).reason).toBe("LIMIT_EXCEEDED");
  });

  test("frame bytes", () => {
    expect(encodeErrorOf(() => tight.encodePlain(new Uint8Array(60))).reason).toBe(
      "LIMIT_EXCEEDED",
    );
  });

  test("limits must be positive integers within range", () => {
    expect(() => createCodec({ limits: { maxDepth: 0 } })).toThrow(/maxDepth/);
    expect(() => createCodec({ limits: { maxEntries: 1.5 } })).toThrow(/maxEntries/);
    expect(() => createCodec({ limits: { maxDepth: 5000 } })).toThrow(/maxDepth/);
    expect(createCodec({ limits: { maxReplicas: 7 } }).limits.maxReplicas).toBe(7);
  });
});

describe("encodePlain refuses what the format cannot carry", () => {
  const refused: Array<[string, unknown]> = [
    ["NaN", Number.NaN],
    ["Infinity", [Number.POSITIVE_INFINITY]],
    ["undefined", { a: undefined }],
    ["a function", () => 1],
    ["a bigint", 1n],
    ["a Map", new Map()],
    ["a Date", new Date(0)],
    ["a class instance", new (class Point {})()],
    ["a Float32Array", new Float32Array(1)],
    ["a __proto__ key", JSON.parse('{"__proto__": 1}')],
    ["a constructor key", { constructor: 1 }],
    ["a lone surrogate", "a\uD800b"],
    ["a lone low surrogate in a key", { "\uDC00": 1 }],
  ];
  test.each(refused)("%s is UNSUPPORTED_VALUE", (_, value) => {
    expect(encodeErrorOf(() => codec.encodePlain(value as WirePlain)).reason).toBe(
      "UNSUPPORTED_VALUE",
    );
  });

  test("the input is never modified", () => {
    const value = { b: [1, 2 ** 40, { d: 1, c: 2 }], a: "x" };
    const copy = structuredClone(value);
    codec.encodePlain(value);
    expect(value).toEqual(copy);
    expect(Object.keys(value)).toEqual(["b", "a"]);
  });

  test("an EncodeError carries a stable code", () => {
    const error = encodeErrorOf(() => codec.encodePlain(Number.NaN));
    expect(error.code).toBe("ENCODE_UNSUPPORTED_VALUE");
    expect(decodeErrorOf(() => codec.decodePlain(plainFrame("c1"))).code).toBe("DECODE_MALFORMED");
  });
});
