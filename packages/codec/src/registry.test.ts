import { type ReplicaId, replicaId } from "@convergent/clocks";
import {
  ConvergentError,
  type CrdtType,
  defineCrdt,
  InvalidArgumentError,
  LocalReplica,
  type WireForm,
} from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createCodec, DuplicateTypeError, EncodeError } from "./index.js";
import {
  type Counts,
  increment,
  put,
  testCounter,
  testLwwMap,
} from "./test-support/fixture-types.js";
import { asStateFrame, decodeErrorOf, expectDecodeError, hex } from "./test-support/frames.js";

const [alice, bob, carol] = ["alice", "bob", "carol"].map(replicaId) as [
  ReplicaId,
  ReplicaId,
  ReplicaId,
];
const codec = createCodec({ types: [testCounter, testLwwMap], verifyCanonical: true });
const counts = (entries: Array<[ReplicaId, number]>): Counts => new Map(entries);
/** A state frame with any body, written through the plain path and relabelled. */
const stateFrame = (body: unknown): Uint8Array => asStateFrame(codec.encodePlain(body as never));

describe("registry", () => {
  test("types register by tag", () => {
    expect(codec.tags()).toEqual(["test-counter", "test-lww-map"]);
    expect(codec.has("test-counter")).toBe(true);
    expect(codec.get("test-lww-map")).toBe(testLwwMap);
    expect(codec.get("nope")).toBeUndefined();
  });

  test("a second type under the same tag is a DuplicateTypeError", () => {
    const copy = defineCrdt({ ...testCounter });
    const error = (() => {
      try {
        createCodec({ types: [testCounter] }).register(copy);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(DuplicateTypeError);
    expect((error as DuplicateTypeError).code).toBe("DUPLICATE_TYPE");
    expect(error).toBeInstanceOf(ConvergentError);
    expect(() => createCodec({ types: [testCounter, testCounter] })).toThrow(DuplicateTypeError);
  });

  test("tags must be short printable ASCII and wire forms complete", () => {
    for (const name of ["", "has space", "x".repeat(65), "é"]) {
      expect(() => createCodec({ types: [defineCrdt({ ...testCounter, name })] })).toThrow(
        InvalidArgumentError,
      );
    }
    const noWire = { ...testCounter, wire: { version: 1 } } as unknown as CrdtType<Counts, number>;
    expect(() => createCodec().register(noWire)).toThrow(InvalidArgumentError);
    const badVersion = defineCrdt({ ...testCounter, wire: { ...testCounter.wire, version: -1 } });
    expect(() => createCodec().register(badVersion)).toThrow(InvalidArgumentError);
  });

  test("a user-defined type registers like the built-in ones", () => {
    const mine = createCodec().register(testCounter);
    const state = counts([[alice, 3]]);
    expect(
      testCounter.equals(mine.decodeAs(testCounter, mine.encode(testCounter, state)), state),
    ).toBe(true);
  });
});

describe("state frames", () => {
  test("the body is [tag, wire version, replica table, payload]", () => {
    const bytes = codec.encode(
      testCounter,
      counts([
        [bob, 5],
        [alice, 3],
      ]),
    );
    // 94 | ac "test-counter" | 01 | 92 a5 "alice" a3 "bob" | 94 00 03 01 05
    expect(hex(bytes)).toBe(
      "c143560153" +
        "94ac746573742d636f756e746572" +
        "01" +
        "92a5616c696365a3626f62" +
        "9400030105",
    );
  });

  test("encode by tag or by type gives the same bytes; decode finds the type by tag", () => {
    const state = counts([[alice, 1]]);
    const bytes = codec.encode("test-counter", state);
    expect(codec.encode(testCounter, state)).toEqual(bytes);
    const decoded = codec.decode(bytes);
    expect(decoded.type).toBe(testCounter);
    expect(testCounter.equals(decoded.state as Counts, state)).toBe(true);
  });

  test("round trip and canonical bytes for states reached in any order", () => {
    const op = fc.record({
      at: fc.constantFrom(alice, bob, carol),
      key: fc.constantFrom("a", "b", "10", "9", "ü"),
      value: fc.oneof(fc.integer(), fc.string(), fc.constant({ x: [1, { y: null }] })),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
        let forward = testLwwMap.empty();
        const deltas = ops.map((o) => {
          const delta = put(forward, o.at, o.key, o.value);
          forward = testLwwMap.join(forward, delta);
          return delta;
        });
        const backward = deltas.reduceRight((s, d) => testLwwMap.join(s, d), testLwwMap.empty());
        const bytes = codec.encode(testLwwMap, forward);
        expect(codec.encode(testLwwMap, backward)).toEqual(bytes);
        const decoded = codec.decodeAs(testLwwMap, bytes);
        expect(testLwwMap.equals(decoded, forward)).toBe(true);
        expect(codec.encode(testLwwMap, decoded)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  test("a tag this codec does not know is UNKNOWN_TYPE (decode) or EncodeError (encode)", () => {
    const bytes = codec.encode(testLwwMap, put(new Map(), alice, "k", 1));
    expectDecodeError(() => createCodec({ types: [testCounter] }).decode(bytes), "UNKNOWN_TYPE");
    expect(() => createCodec().encode("test-counter", new Map())).toThrow(EncodeError);
  });

  test("decodeAs insists on its type, and works for unregistered types", () => {
    const bytes = codec.encode(testCounter, counts([[alice, 2]]));
    expectDecodeError(() => codec.decodeAs(testLwwMap, bytes), "WRONG_TYPE");
    expect(createCodec().decodeAs(testCounter, bytes).get(alice)).toBe(2);
  });

  test("a frame from a newer wire layout is UNSUPPORTED_VERSION", () => {
    const v2 = defineCrdt({ ...testCounter, wire: { ...testCounter.wire, version: 2 } });
    const bytes = createCodec({ types: [v2] }).encode(v2, counts([[alice, 2]]));
    const error = decodeErrorOf(() => codec.decode(bytes));
    expect(error.reason).toBe("UNSUPPORTED_VERSION");
    expect(error.message).toMatch(/upgrade/);
  });

  test("older layouts decode through registered legacy wire forms, and only then", () => {
    // Version 1 wrote [replica, count] pairs; version 2 writes [[replica, count], ...].
    const v2Wire: WireForm<Counts> = {
      version: 2,
      toWire: (s, w) => [...s.keys()].sort().map((r) => [w.replica(r), s.get(r) as number]),
      fromWire: (plain, reader) => testCounter.wire.fromWire((plain as unknown[][]).flat(), reader),
    };
    const v2 = defineCrdt({ ...testCounter, wire: v2Wire });
    const old = codec.encode(
      testCounter,
      counts([
        [alice, 2],
        [bob, 1],
      ]),
    );
    expectDecodeError(() => createCodec({ types: [v2] }).decode(old), "UNSUPPORTED_VERSION");
    const upgraded = createCodec({ types: [{ type: v2, legacy: [testCounter.wire] }] });
    const state = upgraded.decodeAs(v2, old);
    expect(v2.value(state)).toBe(3);
    // Sent on, it is written in the current layout, which the canonical check accepts.
    const current = upgraded.encode(v2, state);
    expect(hex(current)).toContain("02" + "92a5616c696365a3626f62" + "92" + "920002" + "920101");
    expect(v2.equals(upgraded.decodeAs(v2, current), state)).toBe(true);
    expect(() =>
      createCodec({ types: [{ type: v2, legacy: [testCounter.wire, testCounter.wire] }] }),
    ).toThrow(InvalidArgumentError);
  });

  test("the body must have the right shape", () => {
    const table = ["alice"];
    const cases: Array<[unknown, string]> = [
      ["test-counter", "WRONG_TYPE"],
      [["test-counter", 1, table], "MALFORMED"],
      [["test-counter", 1, table, [0, 1], null], "MALFORMED"],
      [[7, 1, table, [0, 1]], "WRONG_TYPE"],
      [["test-counter", "1", table, [0, 1]], "WRONG_TYPE"],
      [["test-counter", -1, table, [0, 1]], "WRONG_TYPE"],
      [["test-counter", 1.5, table, [0, 1]], "WRONG_TYPE"],
      [["test-counter", 1, "alice", [0, 1]], "WRONG_TYPE"],
      [["test-counter", 1, ["alice", "alice"], [0, 1]], "INVALID_VALUE"],
      [["test-counter", 1, [""], [0, 1]], "INVALID_VALUE"],
      [["test-counter", 1, ["a\u0001"], [0, 1]], "INVALID_VALUE"],
      [["test-counter", 1, [1], [0, 1]], "INVALID_VALUE"],
      [["test-counter", 1, table, [1, 1]], "INVALID_VALUE"],
      [["test-counter", 1, table, [0, 0]], "INVALID_VALUE"],
      [["test-counter", 1, table, [0, -4]], "INVALID_VALUE"],
      [["test-counter", 1, table, [0, 1.5]], "INVALID_VALUE"],
      [["test-counter", 1, table, [0, "1"]], "WRONG_TYPE"],
      [["test-counter", 1, table, { 0: 1 }], "WRONG_TYPE"],
    ];
    for (const [body, reason] of cases)
      expectDecodeError(() => codec.decode(stateFrame(body)), reason as never);
  });

  test("a replica table that is not first-use order, or has unused ids, is not canonical", () => {
    expect(
      codec.decode(stateFrame(["test-counter", 1, ["alice", "bob"], [0, 1, 1, 2]])),
    ).toBeDefined();
    expectDecodeError(
      () => codec.decode(stateFrame(["test-counter", 1, ["bob", "alice"], [1, 1, 0, 2]])),
      "MALFORMED",
    );
    expectDecodeError(
      () => codec.decode(stateFrame(["test-counter", 1, ["alice", "carol"], [0, 1]])),
      "MALFORMED",
    );
  });

  test("by default such a table is accepted, and the state re-encodes canonically", () => {
    const lenient = createCodec({ types: [testCounter] });
    const state = lenient.decodeAs(
      testCounter,
      stateFrame(["test-counter", 1, ["carol", "bob", "alice"], [2, 1, 1, 2]]),
    );
    expect(state).toEqual(
      counts([
        [alice, 1],
        [bob, 2],
      ]),
    );
    const canonical = stateFrame(["test-counter", 1, ["alice", "bob"], [0, 1, 1, 2]]);
    expect(lenient.encode(testCounter, state)).toEqual(canonical);
    expect(codec.decodeAs(testCounter, canonical)).toEqual(state);
  });

  test("more replicas than the limit is LIMIT_EXCEEDED both ways", () => {
    const small = createCodec({ types: [testCounter], limits: { maxReplicas: 2 } });
    const three = counts([
      [alice, 1],
      [bob, 1],
      [carol, 1],
    ]);
    expect(() => small.encode(testCounter, three)).toThrow(EncodeError);
    expectDecodeError(() => small.decode(codec.encode(testCounter, three)), "LIMIT_EXCEEDED");
  });

  test("a fromWire that throws something else still surfaces as a DecodeError", () => {
    const buggy = defineCrdt({
      ...testCounter,
      wire: {
        ...testCounter.wire,
        fromWire: () => {
          throw new TypeError("bug");
        },
      },
    });
    const error = decodeErrorOf(() =>
      createCodec({ types: [buggy] }).decode(codec.encode(testCounter, new Map())),
    );
    expect(error.reason).toBe("MALFORMED");
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  test("encode refuses invalid replica ids from a wire form", () => {
    const sloppy = defineCrdt({
      ...testCounter,
      wire: { ...testCounter.wire, toWire: (_s, w) => [w.replica("" as ReplicaId), 1] },
    });
    expect(() => createCodec().encode(sloppy, new Map())).toThrow(EncodeError);
  });

  test("encode and decode leave states alone; decoded states share nothing with the frame", () => {
    const state = put(new Map(), alice, "k", { bytes: new Uint8Array([1, 2]), list: [1] });
    const before = testLwwMap.clone(state);
    const bytes = codec.encode(testLwwMap, state);
    expect(testLwwMap.equals(state, before)).toBe(true);
    const decoded = codec.decodeAs(testLwwMap, bytes);
    bytes.fill(0);
    expect(testLwwMap.equals(decoded, before)).toBe(true);

    const replica = new LocalReplica(testCounter, alice);
    replica.update((s, r) => increment(s, r, 4));
    const snapshot = replica.snapshot();
    const hostile = stateFrame(["test-counter", 1, ["bob"], [0, 0]]);
    expect(() => replica.merge(codec.decodeAs(testCounter, hostile))).toThrow();
    expect(testCounter.equals(replica.state, snapshot)).toBe(true);
  });
});
