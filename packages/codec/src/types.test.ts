import { executeRun, stepArbitrary, tableWriter } from "@convergent/core/testing";
import { gCounter, gCounterWireV1 } from "@convergent/g-counter";
import { lwwRegister, lwwRegisterWireV1, reset } from "@convergent/lww-register";
import { pnCounter, pnCounterWireV1 } from "@convergent/pn-counter";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { createCodec, type DecodeErrorCode } from "./index.js";
import { asStateFrame, expectDecodeError, hex } from "./test-support/frames.js";
import { checkFrame, FuzzTally, fuzzSeeds } from "./test-support/fuzz-harness.js";
import { naiveJson, typeCases } from "./test-support/type-cases.js";

const types = typeCases.map((c) => c.type);
const codec = createCodec({ types, verifyCanonical: true });
const lenient = createCodec({ types });
const tally = new FuzzTally();

describe.each(typeCases.map((c) => [c.type.name, c] as const))("%s", (_, { type, spec }) => {
  const runs = fc.array(stepArbitrary(spec.operation, 3), { maxLength: 30 });
  const reached = (steps: Parameters<typeof executeRun>[1]) => executeRun(spec, steps);

  test("decode(encode(s)) equals s and re-encodes to the same bytes, for reachable states", () => {
    fc.assert(
      fc.property(runs, (steps) => {
        const { states, deltas } = reached(steps);
        for (const state of [...states, ...deltas.map((d) => d.delta)]) {
          const bytes = codec.encode(type, state);
          const decoded = codec.decodeAs(type, bytes);
          expect(type.equals(decoded, state)).toBe(true);
          expect(codec.encode(type, decoded)).toEqual(bytes);
          expect(codec.decode(bytes).type).toBe(type);
        }
      }),
      { numRuns: 150 },
    );
  });

  test("replica indices first appear in document order, so the table is in first-use order", () => {
    // Indices far above any value a run produces, so they can be told apart in the output.
    const MARK = 2 ** 50;
    fc.assert(
      fc.property(runs, (steps) => {
        for (const state of reached(steps).states) {
          const writer = tableWriter();
          const plain = type.wire.toWire(state, { replica: (id) => MARK + writer.replica(id) });
          let next = 0;
          const visit = (item: unknown): void => {
            if (Array.isArray(item)) item.forEach(visit);
            else if (typeof item === "number" && item >= MARK && item < MARK + 1000) {
              expect(item - MARK).toBeLessThanOrEqual(next);
              if (item - MARK === next) next++;
            }
          };
          visit(plain);
          expect(next).toBe(writer.table.length);
        }
      }),
      { numRuns: 100 },
    );
  });

  test("equal states reached in different orders encode to identical bytes", () => {
    fc.assert(
      fc.property(runs, fc.nat(), (steps, seed) => {
        const { states, deltas } = reached(steps);
        const [a, b, c] = states as [unknown, unknown, unknown];
        expect(codec.encode(type, type.join(a, b))).toEqual(codec.encode(type, type.join(b, a)));
        // Every delta, delivered in two different orders (and twice over), to fresh replicas.
        const forward = deltas.reduce((s, d) => type.join(s, d.delta), type.empty());
        const shuffled =
          fc.sample(fc.shuffledSubarray(deltas, { minLength: deltas.length }), {
            seed,
            numRuns: 1,
          })[0] ?? [];
        const backward = [...shuffled, ...deltas].reduce(
          (s, d) => type.join(s, d.delta),
          type.empty(),
        );
        expect(codec.encode(type, backward)).toEqual(codec.encode(type, forward));
        expect(codec.encode(type, type.join(type.join(a, b), c))).toEqual(
          codec.encode(type, type.join(c, type.join(b, a))),
        );
      }),
      { numRuns: 150 },
    );
  });

  test("mutated frames are rejected with a DecodeError or re-encode canonically (12,000 cases)", () => {
    const seeds = fc
      .sample(runs, { numRuns: 40, seed: 7 })
      .flatMap((steps) => reached(steps).states)
      .map((state) => codec.encode(type, state));
    for (const seed of seeds) checkFrame(codec, seed, "state", tally);
    fuzzSeeds(codec, seeds, "state", tally, { numRuns: 6_000 });
    fuzzSeeds(codec, seeds, "state", tally, { numRuns: 3_000, maxMutations: 4 });
    // Without the canonical check, what is accepted must still re-encode canonically.
    fuzzSeeds(lenient, seeds, "state", tally, { numRuns: 3_000, maxMutations: 2 });
  }, 60_000);
});

describe("hostile payloads reach the real types' validation through bytes", () => {
  const frame = (body: unknown): Uint8Array => asStateFrame(codec.encodePlain(body as never));
  const cases: Array<[string, unknown, DecodeErrorCode]> = [
    ["a negative count", ["g-counter", 2, ["a"], [0, -1]], "INVALID_VALUE"],
    ["a fractional count", ["g-counter", 2, ["a"], [0, 1.5]], "INVALID_VALUE"],
    ["a count as a string", ["g-counter", 2, ["a"], [0, "1"]], "WRONG_TYPE"],
    ["an index outside the table", ["g-counter", 2, ["a"], [1, 1]], "INVALID_VALUE"],
    ["a zero floor", ["g-counter", 2, ["a"], [0, 1, [0, 0]]], "INVALID_VALUE"],
    ["a pn entry of zeros", ["pn-counter", 2, ["a"], [0, 0, 0]], "INVALID_VALUE"],
    ["a pn floor of zeros", ["pn-counter", 2, ["a"], [0, 1, 0, [0, 0, 0]]], "INVALID_VALUE"],
    [
      "a version-1 counter without its legacy form",
      ["g-counter", 1, ["a"], [0, 1]],
      "UNSUPPORTED_VERSION",
    ],
    [
      "a set dot outside the context",
      ["or-set", 1, ["a"], [[[0, 1]], [], [["x", [0, 2]]]]],
      "INVALID_VALUE",
    ],
    [
      "a sibling outside the context",
      ["mv-register", 1, ["a"], [[[0, 1]], [], [[0, 2, "v"]]]],
      "INVALID_VALUE",
    ],
    ["a negative wall time", ["lww-register", 2, ["a"], [-1, 0, 0, "v"]], "INVALID_VALUE"],
    ["a register timestamp cut short", ["lww-register", 2, ["a"], [1, 0]], "MALFORMED"],
    [
      "a version-1 register without its legacy form",
      ["lww-register", 1, ["a"], [1, 0, 0, "v"]],
      "UNSUPPORTED_VERSION",
    ],
    ["a map entry of the wrong arity", ["lww-map", 1, ["a"], [["k", 1, 0]]], "MALFORMED"],
  ];
  test.each(cases)("%s", (_, body, reason) => {
    expectDecodeError(() => codec.decode(frame(body)), reason);
  });

  test("version-1 counter frames decode through the counters' legacy wire forms", () => {
    const legacy = createCodec({
      types: [
        { type: gCounter, legacy: [gCounterWireV1] },
        { type: pnCounter, legacy: [pnCounterWireV1] },
      ],
      verifyCanonical: true,
    });
    const g = legacy.decodeAs(gCounter, frame(["g-counter", 1, ["a", "b"], [0, 5, 1, 3]]));
    expect([gCounter.value(g), g.floors]).toEqual([8, undefined]);
    const pn = legacy.decodeAs(pnCounter, frame(["pn-counter", 1, ["a"], [0, 5, 7]]));
    expect(pnCounter.value(pn)).toBe(-2);
    // Sent on, they are written in version 2, which reads back the same.
    expect(gCounter.equals(legacy.decodeAs(gCounter, legacy.encode(gCounter, g)), g)).toBe(true);
    expectDecodeError(
      () => legacy.decode(frame(["g-counter", 1, ["a"], [0, 5, [0, 5]]])),
      "MALFORMED",
    );
  });

  test("version-1 register frames decode through lwwRegisterWireV1; deletes travel as version 2", () => {
    const legacy = createCodec({
      types: [{ type: lwwRegister, legacy: [lwwRegisterWireV1] }],
      verifyCanonical: true,
    });
    const written = legacy.decodeAs(lwwRegister, frame(["lww-register", 1, ["a"], [7, 0, 0, "v"]]));
    expect(lwwRegister.value(written)).toBe("v");
    // Version 1 has no tombstone.
    expectDecodeError(
      () => legacy.decode(frame(["lww-register", 1, ["a"], [7, 0, 0]])),
      "MALFORMED",
    );
    // The delete of that write is a version-2 tombstone at the write's own timestamp.
    const deleted = lwwRegister.join(written, reset(written));
    const bytes = legacy.encode(lwwRegister, deleted);
    const decoded = legacy.decodeAs(lwwRegister, bytes);
    expect(decoded.entry).toEqual({ value: undefined, wallTime: 7, logical: 0, replica: "a" });
    expect(lwwRegister.value(lwwRegister.join(written, decoded))).toBeUndefined();
  });

  test("a __proto__ key inside a register value is FORBIDDEN_KEY", () => {
    const bytes = frame(["lww-register", 2, ["a"], [1, 0, 0, { __proto_x: 1 }]]);
    const at = hex(bytes).indexOf(hex(new TextEncoder().encode("__proto_x"))) / 2;
    bytes[at + 8] = "_".charCodeAt(0);
    expectDecodeError(() => codec.decode(bytes), "FORBIDDEN_KEY");
  });
});

describe("compactness: a 10,000-entry state against JSON.stringify of the same state", () => {
  const measured = new Map<string, { frame: number; json: number }>();
  const sized = typeCases.filter((c) => c.big !== undefined);

  test.each(sized.map((c) => [c.type.name, c] as const))("%s", (name, { type, big }) => {
    const state = (big as (n: number) => unknown)(10_000);
    const frame = codec.encode(type, state).length;
    const json = new TextEncoder().encode(naiveJson(state)).length;
    measured.set(name, { frame, json });
    expect(type.equals(codec.decodeAs(type, codec.encode(type, state)), state)).toBe(true);
    if (name.endsWith("counter")) {
      // A counter entry is one replica id and one number, and each id appears once in either
      // form; interning cannot shrink it, so the gain is only JSON's quotes and digits.
      expect(frame).toBeLessThan(json);
    } else {
      expect(frame).toBeLessThanOrEqual(json / 2);
    }
  });

  afterAll(() => {
    for (const [name, { frame, json }] of measured) {
      console.info(
        `${name}: ${frame} bytes vs JSON ${json} (${((100 * frame) / json).toFixed(1)}%)`,
      );
    }
  });
});

afterAll(() => {
  expect(tally.cases).toBeGreaterThan(50_000);
  expect(tally.accepted).toBeGreaterThan(0);
});
