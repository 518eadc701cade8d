import {
  HybridLogicalClock,
  MAX_HLC_LOGICAL,
  MAX_HLC_WALL_TIME,
  replicaId,
} from "@convergent/clocks";
import {
  DEFAULT_DECODE_LIMITS,
  DecodeError,
  type DecodeErrorCode,
  type DecodeLimits,
} from "@convergent/core";
import { fromWireImage, tableReader, toWireImage } from "@convergent/core/testing";
import { describe, expect, test } from "vitest";
import { lwwMap } from "./lww-map.js";
import { lwwRegister } from "./lww-register.js";
import { removeKey, setKey } from "./map-ops.js";
import { reset, set } from "./register-ops.js";
import { lwwRegisterWireV1 } from "./register-wire.js";

const tiny: DecodeLimits = {
  ...DEFAULT_DECODE_LIMITS,
  maxEntries: 2,
  maxStringLength: 5,
  maxDepth: 2,
};

function clockAt(id: string, now: number) {
  return new HybridLogicalClock(replicaId(id), { physicalTime: () => now });
}

function failure(decode: () => unknown): unknown {
  try {
    decode();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectReason(error: unknown, reason: DecodeErrorCode) {
  expect(error).toBeInstanceOf(DecodeError);
  expect((error as DecodeError).reason).toBe(reason);
}

const table = ["alice", "bob"];
const decodeRegister = (plain: unknown, limits: DecodeLimits = DEFAULT_DECODE_LIMITS) =>
  failure(() => lwwRegister.wire.fromWire(plain, tableReader(table, limits)));
const decodeMap = (plain: unknown, limits: DecodeLimits = DEFAULT_DECODE_LIMITS) =>
  failure(() => lwwMap.wire.fromWire(plain, tableReader(table, limits)));

describe("lww-register wire form", () => {
  test("is [] when empty and [wallTime, logical, replica, value] when written", () => {
    expect(toWireImage(lwwRegister, lwwRegister.empty()).plain).toEqual([]);
    const state = set(lwwRegister.empty(), clockAt("bob", 42), { x: [1, "two"] });
    const image = toWireImage(lwwRegister, state);
    expect(image).toEqual({ table: ["bob"], plain: [42, 0, 0, { x: [1, "two"] }] });
    expect(lwwRegister.equals(fromWireImage(lwwRegister, image), state)).toBe(true);
  });

  test("version 2: a deleted write is [wallTime, logical, replica], its own timestamp kept", () => {
    expect(lwwRegister.wire.version).toBe(2);
    const state = set(lwwRegister.empty(), clockAt("bob", 42), "gone");
    const deleted = lwwRegister.join(state, reset(state));
    const image = toWireImage(lwwRegister, deleted);
    expect(image).toEqual({ table: ["bob"], plain: [42, 0, 0] });
    const decoded = fromWireImage(lwwRegister, image);
    expect(lwwRegister.equals(decoded, deleted)).toBe(true);
    expect(lwwRegister.value(decoded)).toBeUndefined();
    // The tombstone still beats the write it deleted when they arrive in the other order.
    expect(lwwRegister.value(lwwRegister.join(decoded, state))).toBeUndefined();
  });

  test("version 1 payloads read the same through version 2 and through the legacy form", () => {
    const reader = tableReader(table);
    for (const plain of [[], [7, 1, 1, "v1"]]) {
      const current = lwwRegister.wire.fromWire(plain, reader);
      const legacy = lwwRegisterWireV1.fromWire(plain, reader);
      expect(lwwRegister.equals(current, legacy)).toBe(true);
    }
    expect(lwwRegister.value(lwwRegisterWireV1.fromWire([7, 1, 1, "v1"], reader))).toBe("v1");
    expect(lwwRegisterWireV1.version).toBe(1);
    // Version 1 has no tombstone: it rejects one on read and refuses to write one.
    expectReason(
      failure(() => lwwRegisterWireV1.fromWire([7, 1, 1], reader)),
      "MALFORMED",
    );
    const written = set(lwwRegister.empty(), clockAt("bob", 42), 1);
    const writer = { replica: () => 0 };
    expect(lwwRegisterWireV1.toWire(written, writer)).toEqual([42, 0, 0, 1]);
    expect(() => lwwRegisterWireV1.toWire(reset(written), writer)).toThrow(/version-1/);
  });

  test("decoding copies the value, so the state never aliases the input", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const plain = [1, 0, 0, { list: [bytes] }];
    const state = lwwRegister.wire.fromWire(plain, tableReader(table));
    bytes[0] = 99;
    (plain[3] as { list: unknown[] }).list.push(4);
    expect(lwwRegister.value(state)).toEqual({ list: [new Uint8Array([1, 2, 3])] });
  });

  test("decoded values are canonical: keys sorted, -0 as 0, frozen", () => {
    const state = lwwRegister.wire.fromWire([1, 0, 0, { b: -0, a: [1] }], tableReader(table));
    const value = lwwRegister.value(state) as { a: number[]; b: number };
    expect(Object.keys(value)).toEqual(["a", "b"]);
    expect(Object.is(value.b, 0)).toBe(true);
    expect(Object.isFrozen(value) && Object.isFrozen(value.a)).toBe(true);
  });

  test("hostile objects that throw while being read become MALFORMED", () => {
    const getter = Object.defineProperty({}, "x", {
      enumerable: true,
      get() {
        throw new Error("boom");
      },
    });
    const proxy = new Proxy([1, 0, 0, 1], {
      get() {
        throw new Error("boom");
      },
    });
    expectReason(decodeRegister([1, 0, 0, getter]), "MALFORMED");
    expectReason(decodeRegister(proxy), "MALFORMED");
    expectReason(decodeMap([["k", 1, 0, 0, getter]]), "MALFORMED");
  });

  test("accepts the largest wall time and logical counter", () => {
    const state = lwwRegister.wire.fromWire(
      [MAX_HLC_WALL_TIME, MAX_HLC_LOGICAL, 1, null],
      tableReader(table),
    );
    expect(state.entry).toEqual({
      value: null,
      wallTime: MAX_HLC_WALL_TIME,
      logical: MAX_HLC_LOGICAL,
      replica: "bob",
    });
  });

  const hostile: Array<[string, unknown, DecodeErrorCode]> = [
    ["not an array", { wallTime: 1 }, "WRONG_TYPE"],
    ["null", null, "WRONG_TYPE"],
    ["a timestamp cut short", [1, 0], "MALFORMED"],
    ["an extra field", [1, 0, 0, 1, 2], "MALFORMED"],
    ["a wall time given as a string", ["1", 0, 0, 1], "WRONG_TYPE"],
    ["a negative wall time", [-1, 0, 0, 1], "INVALID_VALUE"],
    ["a fractional wall time", [1.5, 0, 0, 1], "INVALID_VALUE"],
    ["a wall time past 48 bits", [MAX_HLC_WALL_TIME + 1, 0, 0, 1], "INVALID_VALUE"],
    ["a logical counter past 32 bits", [1, MAX_HLC_LOGICAL + 1, 0, 1], "INVALID_VALUE"],
    ["a logical counter given as null", [1, null, 0, 1], "WRONG_TYPE"],
    ["a replica index outside the table", [1, 0, 2, 1], "INVALID_VALUE"],
    ["a replica index given as a string", [1, 0, "0", 1], "INVALID_VALUE"],
    ["an undefined value", [1, 0, 0, undefined], "WRONG_TYPE"],
    ["a NaN value", [1, 0, 0, Number.NaN], "INVALID_VALUE"],
    ["an infinite value", [1, 0, 0, -Infinity], "INVALID_VALUE"],
    ["a bigint value", [1, 0, 0, 5n], "WRONG_TYPE"],
    ["a function value", [1, 0, 0, () => 1], "WRONG_TYPE"],
    ["a Map value", [1, 0, 0, new Map()], "WRONG_TYPE"],
    ["a Date inside the value", [1, 0, 0, [new Date(0)]], "WRONG_TYPE"],
    [
      "a __proto__ key",
      [1, 0, 0, JSON.parse('{"a": {"__proto__": {"polluted": 1}}}')],
      "FORBIDDEN_KEY",
    ],
    ["a constructor key", [1, 0, 0, { constructor: 1 }], "FORBIDDEN_KEY"],
  ];
  for (const [name, plain, reason] of hostile) {
    test(`rejects ${name} with ${reason}`, () => expectReason(decodeRegister(plain), reason));
  }

  const overLimit: Array<[string, unknown]> = [
    ["a string longer than maxStringLength", "abcdef"],
    ["an object key longer than maxStringLength", { abcdef: 1 }],
    ["an array longer than maxEntries", [1, 2, 3]],
    ["an object with more keys than maxEntries", { a: 1, b: 2, c: 3 }],
    ["a value nested deeper than maxDepth", [[[1]]]],
  ];
  for (const [name, value] of overLimit) {
    test(`rejects ${name} with LIMIT_EXCEEDED`, () =>
      expectReason(decodeRegister([1, 0, 0, value], tiny), "LIMIT_EXCEEDED"));
  }

  test("accepts values exactly at the limits", () => {
    expect(decodeRegister([1, 0, 0, { abcde: [1, "12345"] }], tiny)).toBeUndefined();
  });
});

describe("lww-map wire form", () => {
  test("is one array per key in key order; tombstones have no value", () => {
    const clock = clockAt("alice", 9);
    let state = lwwMap.empty();
    for (const delta of [
      setKey(state, clock, "zeta", 1),
      setKey(state, clock, "alpha", "a"),
      removeKey(state, clock, "mid"),
    ]) {
      state = lwwMap.join(state, delta);
    }
    const image = toWireImage(lwwMap, state);
    expect(image).toEqual({
      table: ["alice"],
      plain: [
        ["alpha", 9, 1, 0, "a"],
        ["mid", 9, 2, 0],
        ["zeta", 9, 0, 0, 1],
      ],
    });
    expect(lwwMap.equals(fromWireImage(lwwMap, image), state)).toBe(true);
  });

  const hostile: Array<[string, unknown, DecodeErrorCode]> = [
    ["not an array", { k: [1, 0, 0, 1] }, "WRONG_TYPE"],
    ["an entry that is not an array", ["k"], "WRONG_TYPE"],
    ["an entry that is too short", [["k", 1, 0]], "MALFORMED"],
    ["an entry that is too long", [["k", 1, 0, 0, 1, 2]], "MALFORMED"],
    ["a key that is not a string", [[7, 1, 0, 0, 1]], "WRONG_TYPE"],
    ["a key with a lone surrogate", [["\uD800", 1, 0, 0, 1]], "INVALID_VALUE"],
    [
      "a duplicate key",
      [
        ["k", 1, 0, 0, 1],
        ["k", 2, 0, 0, 1],
      ],
      "MALFORMED",
    ],
    [
      "keys out of order",
      [
        ["b", 1, 0, 0, 1],
        ["a", 1, 0, 0, 1],
      ],
      "MALFORMED",
    ],
    ["a bad replica index", [["k", 1, 0, 9, 1]], "INVALID_VALUE"],
    ["a bad timestamp", [["k", -5, 0, 0, 1]], "INVALID_VALUE"],
    ["a bad value", [["k", 1, 0, 0, Symbol("x")]], "WRONG_TYPE"],
  ];
  for (const [name, plain, reason] of hostile) {
    test(`rejects ${name} with ${reason}`, () => expectReason(decodeMap(plain), reason));
  }

  test("rejects more keys than maxEntries and keys longer than maxStringLength", () => {
    const three = [
      ["a", 1, 0, 0],
      ["b", 1, 0, 0],
      ["c", 1, 0, 0],
    ];
    expectReason(decodeMap(three, tiny), "LIMIT_EXCEEDED");
    expect(decodeMap(three.slice(0, 2), tiny)).toBeUndefined();
    expectReason(decodeMap([["abcdef", 1, 0, 0]], tiny), "LIMIT_EXCEEDED");
  });
});
