import { replicaId } from "@convergent/clocks";
import {
  DEFAULT_DECODE_LIMITS,
  DecodeError,
  type DecodeErrorCode,
  LocalReplica,
} from "@convergent/core";
import { fromWireImage, tableReader, toWireImage } from "@convergent/core/testing";
import { describe, expect, test } from "vitest";
import { add, createOrSet, orSet, remove } from "./or-set.js";

const A = replicaId("a");
const B = replicaId("b");

function decode(plain: unknown, table: unknown[] = ["a", "b"], limits = DEFAULT_DECODE_LIMITS) {
  return orSet.wire.fromWire(plain, tableReader(table, limits));
}

function expectDecodeError(reason: DecodeErrorCode, call: () => unknown) {
  let caught: unknown;
  try {
    call();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DecodeError);
  expect((caught as DecodeError).reason).toBe(reason);
}

describe("wire form", () => {
  test("writes the canonical layout: vector, cloud, then elements by key with sorted dots", () => {
    const a = new LocalReplica(orSet, A);
    const b = new LocalReplica(orSet, B);
    a.update((s, r) => add(s, r, "z"));
    a.update((s, r) => add(s, r, "gone"));
    a.update((s, r) => remove(s, r, "gone"));
    b.update((s, r) => add(s, r, "z"));
    b.update((s, r) => add(s, r, 2));
    a.merge(b.state);
    const image = toWireImage(orSet, a.state);
    expect(image.table).toEqual([A, B]);
    expect(image.plain).toEqual([
      [
        [0, 2],
        [1, 2],
      ],
      [],
      [
        [2, [1, 2]],
        ["z", [0, 1, 1, 1]],
      ],
    ]);
    expect(orSet.equals(fromWireImage(orSet, image), a.state)).toBe(true);
  });

  test("a gap in the context travels in the cloud", () => {
    const a = new LocalReplica(orSet, A);
    const b = new LocalReplica(orSet, B);
    b.update((s, r) => add(s, r, "first"));
    a.merge(b.update((s, r) => add(s, r, 1)));
    const image = toWireImage(orSet, a.state);
    expect(image.plain).toEqual([[], [[0, [2]]], [[1, [0, 2]]]]);
    expect(orSet.equals(fromWireImage(orSet, image), a.state)).toBe(true);
  });

  test("numbers sort before strings, and -0 decodes as 0", () => {
    const state = decode([
      [[0, 3]],
      [],
      [
        [-0, [0, 1]],
        [5, [0, 2]],
        ["5", [0, 3]],
      ],
    ]);
    expect([...orSet.value(state)]).toEqual([0, 5, "5"]);
    expect(Object.is(state.entries.keys().next().value, 0)).toBe(true);
  });

  const hostile: Array<[string, DecodeErrorCode, unknown, unknown[]?]> = [
    ["not an array", "WRONG_TYPE", { vector: [] }],
    ["a wrong number of parts", "MALFORMED", [[], []]],
    ["a vector that is not an array", "WRONG_TYPE", ["0,1", [], []]],
    ["a vector entry that is not a pair", "MALFORMED", [[[0, 1, 2]], [], []]],
    ["a flat vector", "WRONG_TYPE", [[0, 1], [], []]],
    ["a replica index outside the table", "INVALID_VALUE", [[[5, 1]], [], []]],
    ["a replica index that is a string", "INVALID_VALUE", [[["0", 1]], [], []]],
    ["an invalid replica id in the table", "INVALID_VALUE", [[[0, 1]], [], []], [""]],
    ["a zero counter", "INVALID_VALUE", [[[0, 0]], [], []]],
    ["a fractional counter", "INVALID_VALUE", [[[0, 1.5]], [], []]],
    ["an unsafe counter", "INVALID_VALUE", [[[0, 2 ** 53]], [], []]],
    ["a string counter", "WRONG_TYPE", [[[0, "1"]], [], []]],
    [
      "a replica twice in the vector",
      "INVALID_VALUE",
      [
        [
          [0, 1],
          [0, 2],
        ],
        [],
        [],
      ],
    ],
    [
      "vector replicas out of order",
      "INVALID_VALUE",
      [
        [
          [1, 1],
          [0, 1],
        ],
        [],
        [],
      ],
    ],
    ["an empty cloud entry", "INVALID_VALUE", [[], [[0, []]], []]],
    ["cloud counters that are not an array", "WRONG_TYPE", [[], [[0, 3]], []]],
    ["a cloud entry that is not a pair", "MALFORMED", [[], [[0]], []]],
    ["a cloud dot the vector already covers", "INVALID_VALUE", [[[0, 3]], [[0, [2]]], []]],
    ["a cloud dot that extends the vector", "INVALID_VALUE", [[[0, 3]], [[0, [4]]], []]],
    ["cloud counters out of order", "INVALID_VALUE", [[], [[0, [5, 3]]], []]],
    ["a counter twice in a cloud entry", "INVALID_VALUE", [[], [[0, [3, 3]]], []]],
    [
      "a replica twice in the cloud",
      "INVALID_VALUE",
      [
        [],
        [
          [0, [3]],
          [0, [5]],
        ],
        [],
      ],
    ],
    ["an entry that is not a pair", "MALFORMED", [[[0, 1]], [], [["x"]]]],
    ["an entry that is not an array", "WRONG_TYPE", [[[0, 1]], [], ["x"]]],
    ["an object element", "WRONG_TYPE", [[[0, 1]], [], [[{ x: 1 }, [0, 1]]]]],
    ["a boolean element", "WRONG_TYPE", [[[0, 1]], [], [[true, [0, 1]]]]],
    ["a NaN element", "INVALID_VALUE", [[[0, 1]], [], [[Number.NaN, [0, 1]]]]],
    ["an infinite element", "INVALID_VALUE", [[[0, 1]], [], [[Number.POSITIVE_INFINITY, [0, 1]]]]],
    [
      "an element twice",
      "INVALID_VALUE",
      [
        [[0, 2]],
        [],
        [
          ["x", [0, 1]],
          ["x", [0, 2]],
        ],
      ],
    ],
    [
      "0 and -0 as two elements",
      "INVALID_VALUE",
      [
        [[0, 2]],
        [],
        [
          [-0, [0, 1]],
          [0, [0, 2]],
        ],
      ],
    ],
    [
      "elements out of order",
      "INVALID_VALUE",
      [
        [[0, 2]],
        [],
        [
          ["y", [0, 1]],
          ["x", [0, 2]],
        ],
      ],
    ],
    [
      "a string before a number",
      "INVALID_VALUE",
      [
        [[0, 2]],
        [],
        [
          ["1", [0, 1]],
          [1, [0, 2]],
        ],
      ],
    ],
    ["an element without dots", "INVALID_VALUE", [[[0, 1]], [], [["x", []]]]],
    ["element dots that are not an array", "WRONG_TYPE", [[[0, 1]], [], [["x", 1]]]],
    ["element dots of odd length", "MALFORMED", [[[0, 1]], [], [["x", [0, 1, 0]]]]],
    ["a dot outside the context", "INVALID_VALUE", [[[0, 1]], [], [["x", [0, 2]]]]],
    ["a dot of an unseen replica", "INVALID_VALUE", [[[0, 1]], [], [["x", [1, 1]]]]],
    ["a dot in a cloud gap", "INVALID_VALUE", [[], [[0, [3]]], [["x", [0, 2]]]]],
    [
      "the same dot on two elements",
      "INVALID_VALUE",
      [
        [[0, 1]],
        [],
        [
          ["x", [0, 1]],
          ["y", [0, 1]],
        ],
      ],
    ],
    ["the same dot twice on one element", "INVALID_VALUE", [[[0, 1]], [], [["x", [0, 1, 0, 1]]]]],
    ["an element's dots out of order", "INVALID_VALUE", [[[0, 2]], [], [["x", [0, 2, 0, 1]]]]],
  ];
  for (const [what, reason, plain, table] of hostile) {
    test(`rejects ${what} with ${reason}`, () => {
      expectDecodeError(reason, () => decode(plain, table));
    });
  }

  test("a decoded state comes with a dense dot index although keys and counters disagree in order", () => {
    const replica = new LocalReplica(orSet, A);
    for (let i = 199; i >= 0; i--) replica.update((s, r) => add(s, r, `e${i}`));
    const decoded = fromWireImage(orSet, toWireImage(orSet, replica.state));
    expect(decoded.dotIndex?.get(A)).not.toBeInstanceOf(Map);
    expect(orSet.equals(decoded, replica.state)).toBe(true);
  });

  test("anything else thrown while reading hostile input becomes MALFORMED", () => {
    const trap = new Proxy([], {
      get() {
        throw new Error("boom");
      },
    });
    expectDecodeError("MALFORMED", () => decode(trap));
  });

  test("a cloud dot inside the context and a dot above a gap decode", () => {
    const state = decode([[[0, 1]], [[0, [3]]], [["x", [0, 1, 0, 3]]]]);
    expect(state.entries.get("x")).toHaveLength(2);
  });

  describe("limits", () => {
    const tiny = { ...DEFAULT_DECODE_LIMITS, maxEntries: 2, maxStringLength: 3 };
    const cases: Array<[string, unknown]> = [
      [
        "a vector over maxEntries",
        [
          [
            [0, 1],
            [1, 1],
            [2, 1],
          ],
          [],
          [],
        ],
      ],
      ["a cloud over maxEntries", [[], [[0, [3, 5, 7]]], []]],
      [
        "a cloud over maxEntries in total",
        [
          [],
          [
            [0, [3, 5]],
            [1, [3]],
          ],
          [],
        ],
      ],
      [
        "entries over maxEntries",
        [
          [[0, 3]],
          [],
          [
            ["a", [0, 1]],
            ["b", [0, 2]],
            ["c", [0, 3]],
          ],
        ],
      ],
      [
        "element dots over maxEntries",
        [
          [
            [0, 1],
            [1, 1],
          ],
          [],
          [["a", [0, 1, 1, 1, 2, 1]]],
        ],
      ],
      ["a string over maxStringLength", [[[0, 1]], [], [["long", [0, 1]]]]],
    ];
    for (const [what, plain] of cases) {
      test(`rejects ${what} with LIMIT_EXCEEDED`, () => {
        expectDecodeError("LIMIT_EXCEEDED", () => decode(plain, ["a", "b", "c"], tiny));
      });
    }
    test("accepts a state exactly at the limits", () => {
      const state = decode(
        [
          [[0, 2]],
          [],
          [
            ["abc", [0, 1]],
            ["d", [0, 2]],
          ],
        ],
        ["a"],
        tiny,
      );
      expect(orSet.value(state)).toEqual(new Set(["abc", "d"]));
    });
  });

  describe("keyed sets", () => {
    const tags = createOrSet<{ readonly id: string }>({
      name: "tag-set",
      key: (tag) => tag.id,
      toWire: (tag) => tag.id,
      fromWire(plain) {
        if (typeof plain !== "string") throw new TypeError("a tag is a string");
        return { id: plain };
      },
    });

    test("round-trip objects through their plain form", () => {
      const replica = new LocalReplica(tags.type, A);
      replica.update((s, r) => tags.add(s, r, { id: "red" }));
      replica.update((s, r) => tags.add(s, r, { id: "blue" }));
      const image = toWireImage(tags.type, replica.state);
      expect(image.plain).toEqual([
        [[0, 2]],
        [],
        [
          ["blue", [0, 2]],
          ["red", [0, 1]],
        ],
      ]);
      const decoded = fromWireImage(tags.type, image);
      expect([...tags.elements(decoded)]).toEqual([{ id: "blue" }, { id: "red" }]);
      expect(tags.has(decoded, { id: "red" })).toBe(true);
    });

    test("a throwing element decoder becomes a DecodeError", () => {
      expectDecodeError("INVALID_VALUE", () =>
        tags.type.wire.fromWire([[[0, 1]], [], [[7, [0, 1]]]], tableReader(["a"])),
      );
    });

    test("two elements with one key are rejected", () => {
      expectDecodeError("INVALID_VALUE", () =>
        tags.type.wire.fromWire(
          [
            [[0, 2]],
            [],
            [
              ["a", [0, 1]],
              ["a", [0, 2]],
            ],
          ],
          tableReader(["a"]),
        ),
      );
    });
  });
});
