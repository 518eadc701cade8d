import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { InvalidClockValueError } from "./errors.js";
import { compareHlc, type HlcTimestamp, MAX_HLC_LOGICAL, MAX_HLC_WALL_TIME } from "./hlc.js";
import { hlcFromBytes, hlcFromString, hlcToBytes, hlcToString } from "./hlc-format.js";
import { type ReplicaId, replicaId } from "./replica-id.js";
import { anyReplica, hasControlCharacter } from "./test-arbitraries.js";

/** Timestamps that often share wall time and logical counter, so the replica tie break matters. */
const timestamp: fc.Arbitrary<HlcTimestamp> = fc.record({
  wallTime: fc.oneof(
    fc.integer({ min: 0, max: 2 }),
    fc.constantFrom(2 ** 32 - 1, 2 ** 32, MAX_HLC_WALL_TIME),
    fc.integer({ min: 0, max: MAX_HLC_WALL_TIME }),
  ),
  logical: fc.oneof(
    fc.integer({ min: 0, max: 2 }),
    fc.constant(MAX_HLC_LOGICAL),
    fc.integer({ min: 0, max: MAX_HLC_LOGICAL }),
  ),
  replica: anyReplica,
});

const sign = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

function expectInvalid(body: () => unknown): void {
  let error: unknown;
  try {
    body();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidClockValueError);
  expect((error as InvalidClockValueError).code).toBe("INVALID_CLOCK_VALUE");
}

describe("string form", () => {
  test("sorts exactly like compareHlc", () => {
    fc.assert(
      fc.property(timestamp, timestamp, (a, b) => {
        expect(sign(hlcToString(a), hlcToString(b))).toBe(compareHlc(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  test("sorting a list of strings sorts the timestamps", () => {
    fc.assert(
      fc.property(fc.array(timestamp, { maxLength: 30 }), (list) => {
        const byString = list
          .map(hlcToString)
          .sort()
          .map((s) => hlcFromString(s));
        const byCompare = [...list].sort(compareHlc);
        expect(byString).toEqual(byCompare);
      }),
    );
  });

  test("round trips", () => {
    fc.assert(
      fc.property(timestamp, (ts) => {
        const text = hlcToString(ts);
        expect(text).toHaveLength(22 + ts.replica.length);
        expect(hlcFromString(text)).toEqual(ts);
      }),
      { numRuns: 500 },
    );
  });

  test("a known value", () => {
    const ts = { wallTime: 1_700_000_000_000, logical: 42, replica: replicaId("node-1") };
    expect(hlcToString(ts)).toBe("018bcfe56800.0000002a.node-1");
    expect(hlcToString({ wallTime: 0, logical: 0, replica: replicaId("a") })).toBe(
      "000000000000.00000000.a",
    );
  });

  test("bad strings are rejected", () => {
    for (const text of [
      "",
      "000000000000.00000000.",
      "000000000000.00000000",
      "000000000000.00000000a",
      "00000000000.00000000.a",
      "0000000000000.00000000.a",
      "000000000000.0000000.a",
      "000000000000-00000000.a",
      "000000000000.00000000-a",
      "00000000000A.00000000.a",
      "00000000000g.00000000.a",
      "0000000000+0.00000000.a",
      " 00000000000.00000000.a",
      "000000000000.0000000x.a",
      "000000000000.00000000.a\u0001",
      "000000000000.00000000.\ud800",
      `000000000000.00000000.${"x".repeat(65)}`,
    ]) {
      expectInvalid(() => hlcFromString(text));
    }
    for (const value of [undefined, null, 5, {}, ["000000000000.00000000.a"]]) {
      expectInvalid(() => hlcFromString(value as string));
    }
  });

  test("any string is either rejected or the canonical form of what it decodes to", () => {
    const near = fc.string({
      unit: fc.constantFrom("0", "1", "a", "f", "F", "g", ".", "-", " ", "\u0000", "é"),
      minLength: 20,
      maxLength: 26,
    });
    const mutated = fc
      .tuple(timestamp, fc.nat(), fc.string({ maxLength: 1 }))
      .map(([ts, at, ch]) => {
        const text = hlcToString(ts);
        const i = at % text.length;
        return text.slice(0, i) + ch + text.slice(i + 1);
      });
    fc.assert(
      fc.property(fc.oneof(near, mutated, fc.string()), (text) => {
        let ts: HlcTimestamp;
        try {
          ts = hlcFromString(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidClockValueError);
          return;
        }
        expect(hlcToString(ts)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("binary form", () => {
  test("round trips, also from a view into a larger buffer", () => {
    fc.assert(
      fc.property(timestamp, fc.uint8Array({ maxLength: 5 }), (ts, padding) => {
        const bytes = hlcToBytes(ts);
        expect(hlcFromBytes(bytes)).toEqual(ts);
        const framed = new Uint8Array(padding.length + bytes.length + 3);
        framed.set(padding);
        framed.set(bytes, padding.length);
        expect(
          hlcFromBytes(framed.subarray(padding.length, padding.length + bytes.length)),
        ).toEqual(ts);
      }),
      { numRuns: 500 },
    );
  });

  test("a replica id starting with U+FEFF keeps it (the decoder must not strip a BOM)", () => {
    const ts = { wallTime: 1, logical: 2, replica: replicaId("\ufeffnode") };
    expect(hlcFromBytes(hlcToBytes(ts))).toEqual(ts);
  });

  test("layout: 6 bytes wall time, 4 bytes logical, both big-endian, then UTF-8 replica", () => {
    const bytes = hlcToBytes({
      wallTime: 0x0102_0304_0506,
      logical: 0x0708_090a,
      replica: replicaId("é"),
    });
    expect([...bytes]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xc3, 0xa9]);
  });

  test("for ASCII replica ids, byte order is compareHlc order", () => {
    const ascii = fc
      .string({ unit: "binary-ascii", minLength: 1, maxLength: 6 })
      .filter((s) => !hasControlCharacter(s))
      .map((s) => s as ReplicaId);
    const ts = timestamp.chain((t) => ascii.map((replica) => ({ ...t, replica })));
    const compareBytes = (x: Uint8Array, y: Uint8Array) => {
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    };
    fc.assert(
      fc.property(ts, ts, (a, b) => {
        expect(compareBytes(hlcToBytes(a), hlcToBytes(b))).toBe(compareHlc(a, b));
      }),
      { numRuns: 500 },
    );
  });

  test("bad bytes are rejected", () => {
    const header = [0, 0, 0, 0, 0, 1, 0, 0, 0, 2];
    for (const bytes of [
      [],
      header.slice(0, 5),
      header, // no replica id
      [...header, 0xff], // not UTF-8
      [...header, 0xc0, 0x80], // overlong encoding of U+0000
      [...header, 0xed, 0xa0, 0x80], // encoded surrogate
      [...header, 0x61, 0x00], // control character
      [...header, ...new Array(65).fill(0x61)], // too long
    ]) {
      expectInvalid(() => hlcFromBytes(Uint8Array.from(bytes)));
    }
    for (const value of [undefined, null, "abc", [1, 2, 3], new ArrayBuffer(12)]) {
      expectInvalid(() => hlcFromBytes(value as unknown as Uint8Array));
    }
  });

  test("any byte string is either rejected or the canonical encoding of what it decodes to", () => {
    const nearValid = fc
      .tuple(timestamp, fc.nat(), fc.integer({ min: 0, max: 255 }))
      .map(([ts, at, byte]) => {
        const bytes = hlcToBytes(ts);
        bytes[at % bytes.length] = byte;
        return bytes;
      });
    const withPrefix = fc
      .tuple(fc.uint8Array({ minLength: 10, maxLength: 10 }), fc.uint8Array({ maxLength: 8 }))
      .map(([head, tail]) => Uint8Array.from([...head, 0xef, 0xbb, 0xbf, ...tail]));
    fc.assert(
      fc.property(fc.oneof(nearValid, withPrefix, fc.uint8Array({ maxLength: 20 })), (bytes) => {
        let ts: HlcTimestamp;
        try {
          ts = hlcFromBytes(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidClockValueError);
          return;
        }
        expect([...hlcToBytes(ts)]).toEqual([...bytes]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("encoders validate their input", () => {
  const bad: unknown[] = [
    { wallTime: MAX_HLC_WALL_TIME + 1, logical: 0, replica: "a" },
    { wallTime: -1, logical: 0, replica: "a" },
    { wallTime: 1.5, logical: 0, replica: "a" },
    { wallTime: 1, logical: MAX_HLC_LOGICAL + 1, replica: "a" },
    { wallTime: 1, logical: 0.5, replica: "a" },
    { wallTime: 1, logical: 0, replica: "" },
    { wallTime: 1, logical: 0, replica: "a\ud800" },
    null,
  ];

  test("an out-of-range timestamp is refused rather than written in a form that sorts wrong", () => {
    for (const value of bad) {
      expectInvalid(() => hlcToString(value as HlcTimestamp));
      expectInvalid(() => hlcToBytes(value as HlcTimestamp));
    }
  });
});
