import { replicaId } from "@convergent/clocks";
import { DEFAULT_DECODE_LIMITS, DecodeError, type WirePlain } from "@convergent/core";
import { fromWireImage, tableReader, toWireImage } from "@convergent/core/testing";
import { add } from "@convergent/or-set";
import { describe, expect, test } from "vitest";
import { embedded, embeddedUpdate } from "./embedded.js";
import { presence } from "./presence.js";
import { MAX_OR_MAP_DEPTH, type OrMapState } from "./state.js";
import { setField, testKit, testMap } from "./test-support.js";

const alice = replicaId("alice");
const table = [alice, replicaId("bob")];
const decodeMap = (plain: unknown, limits = DEFAULT_DECODE_LIMITS) =>
  testMap.wire.fromWire(plain, tableReader(table, limits));
const rejects = (decode: () => unknown, reason?: string) => {
  let caught: unknown;
  try {
    decode();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  if (reason !== undefined) expect((caught as DecodeError).reason).toBe(reason);
};

// A set field "x" holding "a", as the wire form writes it with `table`.
const setPlain = (() => {
  const state = testKit.updateField(new Map(), alice, "x", setField, (s) => add(s, alice, "a"));
  return (toWireImage(testMap, state).plain as WirePlain[])[3] as WirePlain;
})();
const field = (name: string, tag: string, inner: unknown = setPlain, pres: unknown = [0, 1, 0]) => [
  name,
  tag,
  pres,
  inner,
];
const nested = (depth: number): unknown =>
  depth === 1 ? field("leaf", "or-set") : field("m", "or-map", nested(depth - 1));

describe("or-map wire form", () => {
  test("layout: [name, tag, presence, state] per field, sorted by name then tag", () => {
    let s: OrMapState = new Map();
    s = testMap.join(
      s,
      testKit.updateField(s, alice, "y", setField, (x) => add(x, alice, "a")),
    );
    s = testMap.join(
      s,
      testKit.updateField(s, alice, "x", setField, (x) => add(x, alice, "a")),
    );
    const image = toWireImage(testMap, s);
    expect(image.table).toEqual([alice]);
    expect(image.plain).toEqual([...field("x", "or-set"), ...field("y", "or-set")]);
    expect(testMap.equals(fromWireImage(testMap, image), s)).toBe(true);
  });

  test("wrong shapes are DecodeErrors", () => {
    rejects(() => decodeMap("x"), "WRONG_TYPE");
    rejects(() => decodeMap({}), "WRONG_TYPE");
    rejects(() => decodeMap(["x", "or-set", [0, 1, 0]]), "MALFORMED");
    rejects(() => decodeMap([1, "or-set", [0, 1, 0], setPlain]), "WRONG_TYPE");
    rejects(() => decodeMap(["x", 1, [0, 1, 0], setPlain]), "WRONG_TYPE");
    rejects(() => decodeMap(field("x", "or-set", setPlain, "p")), "WRONG_TYPE");
    rejects(() => decodeMap(field("x", "or-set", "not a set")));
    rejects(() => decodeMap(field("\ud800", "or-set")), "INVALID_VALUE");
  });

  test("unknown tags are UNKNOWN_TYPE", () => {
    rejects(() => decodeMap(field("x", "g-set")), "UNKNOWN_TYPE");
    rejects(() => decodeMap(field("x", "__proto__")), "UNKNOWN_TYPE");
  });

  test("fields out of order, duplicated, or holding nothing are rejected", () => {
    rejects(() => decodeMap([...field("y", "or-set"), ...field("x", "or-set")]), "MALFORMED");
    rejects(() => decodeMap([...field("x", "or-set"), ...field("x", "or-set")]), "MALFORMED");
    const emptySet = toWireImage(setField, setField.empty()).plain;
    rejects(() => decodeMap(field("x", "or-set", emptySet, [])), "INVALID_VALUE");
  });

  test("presence: counts positive, floors within [0, count], replicas ascending and known", () => {
    for (const pres of [
      [0, 0, 0],
      [0, 1, 2],
      [0, 1.5, 0],
      [0, 1, -1],
      [0, 1],
      [5, 1, 0],
      [1, 1, 0, 0, 1, 0],
      [0, 1, 0, 0, 2, 0],
      [0, "1", 0],
    ]) {
      rejects(() => decodeMap(field("x", "or-set", setPlain, pres)));
    }
  });

  test(`nesting: ${MAX_OR_MAP_DEPTH} maps deep is accepted, one more is LIMIT_EXCEEDED`, () => {
    expect(() => decodeMap(nested(MAX_OR_MAP_DEPTH))).not.toThrow();
    rejects(() => decodeMap(nested(MAX_OR_MAP_DEPTH + 1)), "LIMIT_EXCEEDED");
    // Far deeper input is refused at the bound, never by exhausting the stack.
    rejects(() => decodeMap(nested(5000)), "LIMIT_EXCEEDED");
  });

  test("too many fields, or a name too long, is LIMIT_EXCEEDED", () => {
    const limits = { ...DEFAULT_DECODE_LIMITS, maxEntries: 2, maxStringLength: 8 };
    const three = [...field("a", "or-set"), ...field("b", "or-set"), ...field("c", "or-set")];
    rejects(() => decodeMap(three, limits), "LIMIT_EXCEEDED");
    rejects(() => decodeMap(field("abcdefghi", "or-set"), limits), "LIMIT_EXCEEDED");
  });

  test("hostile objects (throwing getters, proxies) become DecodeErrors", () => {
    const trap = new Proxy([], {
      get() {
        throw new Error("boom");
      },
    });
    rejects(() => decodeMap(trap));
    rejects(() => decodeMap(field("x", "or-set", trap)));
  });
});

describe("embedded wire form", () => {
  const type = embedded(setField);
  const entry = embeddedUpdate(type.empty(), alice, add(type.empty().state, alice, "a"));
  const decode = (plain: unknown) => type.wire.fromWire(plain, tableReader(table));

  test("[presence, inner state], round trip, inner version", () => {
    const image = toWireImage(type, entry);
    expect((image.plain as WirePlain[])[0]).toEqual([0, 1, 0]);
    expect(type.equals(fromWireImage(type, image), entry)).toBe(true);
    expect(type.wire.version).toBe(setField.wire.version);
  });

  test("wrong shapes are DecodeErrors", () => {
    const good = toWireImage(type, entry).plain as WirePlain[];
    rejects(() => decode(null), "WRONG_TYPE");
    rejects(() => decode([good[0]]), "MALFORMED");
    rejects(() => decode([...good, 1]), "MALFORMED");
    rejects(() => decode([[0, 0, 0], good[1]]));
    rejects(() => decode([good[0], "x"]));
  });

  test("presence on its own", () => {
    rejects(() => presence.wire.fromWire([2, 1, 0], tableReader(table)));
    rejects(() => presence.wire.fromWire([1, 1, 0, 0, 1, 0], tableReader(table)), "MALFORMED");
  });
});
