import { compareHlc, HybridLogicalClock, type ReplicaId, replicaId } from "@convergent/clocks";
import {
  equalPlainValues,
  InvalidArgumentError,
  LocalReplica,
  type PlainValue,
} from "@convergent/core";
import {
  crdtLaws,
  executeRun,
  fromWireImage,
  type LawSpec,
  stepArbitrary,
  toWireImage,
} from "@convergent/core/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type LwwMapEntry, type LwwMapState, lwwMap } from "./lww-map.js";
import { getKey, hasKey, mapValue, removeKey, resetMap, setKey } from "./map-ops.js";

interface Writer {
  readonly clock: HybridLogicalClock;
  readonly physical: { now: number };
}

function writer(replica: ReplicaId, now = 0): Writer {
  const physical = { now };
  return { physical, clock: new HybridLogicalClock(replica, { physicalTime: () => physical.now }) };
}

type Op =
  | {
      readonly kind: "set";
      readonly time: number;
      readonly key: string;
      readonly value: PlainValue;
    }
  | { readonly kind: "remove"; readonly time: number; readonly key: string };

const key = fc.constantFrom("a", "b", "c", "d");
const time = fc.nat({ max: 20 });
const plainValue: fc.Arbitrary<PlainValue> = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -3, max: 3 }),
  fc.string({ maxLength: 3 }),
  fc.array(fc.boolean(), { maxLength: 2 }),
);

type Model = ReadonlyMap<string, PlainValue>;

const spec: LawSpec<LwwMapState, Map<string, PlainValue>, Op, Writer> = {
  type: lwwMap,
  operation: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant("set" as const), time, key, value: plainValue }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), time, key }) },
  ),
  context: (replica) => writer(replica),
  mutate: (state, w, op) => {
    w.physical.now = op.time;
    return op.kind === "set"
      ? setKey(state, w.clock, op.key, op.value)
      : removeKey(state, w.clock, op.key);
  },
  sequential: {
    initial: (): Model => new Map(),
    step: (model: Model, op) => {
      const next = new Map(model);
      if (op.kind === "set") next.set(op.key, op.value);
      else next.delete(op.key);
      return next;
    },
    check: (value, model: Model) =>
      value.size === model.size &&
      [...model].every(([k, v]) => value.has(k) && equalPlainValues(value.get(k) as PlainValue, v)),
  },
  numRuns: 300,
};

describe("lww-map laws", () => {
  for (const law of crdtLaws(spec)) test(law.name, law.check);
});

const [alice, bob, carol] = ["alice", "bob", "carol"].map(replicaId) as [
  ReplicaId,
  ReplicaId,
  ReplicaId,
];

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("lww-map scenarios", () => {
  test("every set or remove replaces what its replica held under that key, whatever the clocks say", () => {
    fc.assert(
      fc.property(fc.array(stepArbitrary(spec.operation, 3), { maxLength: 40 }), (steps) => {
        const { mutations } = executeRun(spec, steps);
        const ops = steps.flatMap((step) => (step.kind === "mutate" ? [step.op] : []));
        mutations.forEach((m, i) => {
          const op = ops[i] as Op;
          const now = getKey(m.after, op.key);
          if (op.kind === "remove") expect(now).toBeUndefined();
          else expect(equalPlainValues(now as PlainValue, op.value)).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  test("ties on a key resolve the same way on every replica, in every delivery order", () => {
    const deltas = [alice, bob, carol].map((id) =>
      setKey(lwwMap.empty(), writer(id, 1_000).clock, "k", id),
    );
    for (const order of permutations(deltas)) {
      const receiver = new LocalReplica(lwwMap, alice);
      for (const delta of order) receiver.merge(delta);
      expect(getKey(receiver.state, "k")).toBe("carol");
    }
  });

  test("a removal beats older writes, a later write beats the removal, and the tombstone stays", () => {
    const a = new LocalReplica(lwwMap, alice);
    const b = new LocalReplica(lwwMap, bob);
    const wa = writer(alice, 1_000);
    const wb = writer(bob, 2_000);
    const older = a.update((s) => setKey(s, wa.clock, "k", "old"));
    const removal = b.update((s) => removeKey(s, wb.clock, "k"));
    a.merge(removal);
    b.merge(older);
    for (const replica of [a, b]) {
      expect(hasKey(replica.state, "k")).toBe(false);
      expect(getKey(replica.state, "k")).toBeUndefined();
      expect(replica.value().size).toBe(0);
      expect(replica.state.size).toBe(1); // the tombstone
    }
    wa.physical.now = 3_000;
    b.merge(a.update((s) => setKey(s, wa.clock, "k", "new")));
    expect(mapValue(b.state)).toEqual(new Map([["k", "new"]]));
  });

  test("removing a key never written leaves a tombstone that beats older concurrent writes", () => {
    const tombstone = removeKey(lwwMap.empty(), writer(bob, 2_000).clock, "k");
    const older = setKey(lwwMap.empty(), writer(alice, 1_000).clock, "k", 1);
    expect(lwwMap.value(lwwMap.join(older, tombstone)).has("k")).toBe(false);
  });

  test("a write made after reading a key wins, even from a replica whose clock is behind", () => {
    const a = new LocalReplica(lwwMap, alice);
    const b = new LocalReplica(lwwMap, bob);
    a.update((s) => setKey(s, writer(alice, 10_000).clock, "k", "first"));
    b.merge(a.state);
    b.update((s) => setKey(s, writer(bob, 5_000).clock, "k", "second"));
    a.merge(b.state);
    expect(getKey(a.state, "k")).toBe("second");
  });

  test("anomaly: a replica whose clock is 5 s behind loses a key to a write made earlier in real time", () => {
    const earlier = setKey(lwwMap.empty(), writer(alice, 10_000).clock, "k", "earlier");
    const later = setKey(lwwMap.empty(), writer(bob, 12_000 - 5_000).clock, "k", "later");
    expect(getKey(lwwMap.join(earlier, later), "k")).toBe("earlier");
    expect(getKey(lwwMap.join(later, earlier), "k")).toBe("earlier");
  });

  test("keys are independent: each keeps its own winner", () => {
    const wa = writer(alice, 1);
    const wb = writer(bob, 2);
    const a = setKey(lwwMap.empty(), wa.clock, "x", "a's x");
    const b = lwwMap.join(
      setKey(lwwMap.empty(), wb.clock, "x", "b's x"),
      setKey(lwwMap.empty(), wb.clock, "y", "b's y"),
    );
    const wa2 = setKey(a, writer(alice, 5).clock, "y", "a's y");
    const merged = lwwMap.join(lwwMap.join(a, wa2), b);
    expect(mapValue(merged)).toEqual(
      new Map([
        ["x", "b's x"],
        ["y", "a's y"],
      ]),
    );
  });
});

describe("setKey and removeKey reject bad arguments and leave state and clock unchanged", () => {
  const bad: Array<[string, () => unknown]> = [];
  const w = writer(alice, 7);
  const state = setKey(lwwMap.empty(), w.clock, "kept", 1);
  for (const [name, k] of [
    ["a number key", 1],
    ["an undefined key", undefined],
    ["a key with a lone high surrogate", "a\uD800"],
    ["a key with a lone low surrogate", "\uDC00b"],
  ] as const) {
    bad.push([`setKey with ${name}`, () => setKey(state, w.clock, k as string, 1)]);
    bad.push([`removeKey with ${name}`, () => removeKey(state, w.clock, k as string)]);
  }
  for (const [name, v] of [
    ["an undefined value", undefined],
    ["a NaN value", Number.NaN],
    ["a function value", () => 0],
  ] as const) {
    bad.push([`setKey with ${name}`, () => setKey(state, w.clock, "k", v as PlainValue)]);
  }
  for (const [name, call] of bad) {
    test(name, () => {
      const clockBefore = w.clock.peek();
      expect(call).toThrow(InvalidArgumentError);
      expect(mapValue(state)).toEqual(new Map([["kept", 1]]));
      expect(w.clock.peek()).toEqual(clockBefore);
    });
  }

  test("a well-formed surrogate pair is a fine key", () => {
    const delta = setKey(lwwMap.empty(), writer(alice, 1).clock, "\uD83D\uDE00", true);
    expect(getKey(delta, "😀")).toBe(true);
  });
});

describe("lww-map reset (delete of the whole map)", () => {
  const reached = fc
    .array(stepArbitrary(spec.operation, 3, { resets: true }), { maxLength: 40, size: "max" })
    .map((steps) => executeRun(spec, steps).states as [LwwMapState, LwwMapState, LwwMapState]);
  const joinAll = (...states: LwwMapState[]) => states.reduce(lwwMap.join, lwwMap.empty());

  test("a reset removes exactly the observed writes: t's live fields newer than s's survive", () => {
    fc.assert(
      fc.property(reached, ([s, t]) => {
        const merged = mapValue(joinAll(s, resetMap(s), t));
        const expected = new Map<string, PlainValue>();
        for (const [field, entry] of t) {
          const held = s.get(field);
          if (entry.value !== undefined && (held === undefined || compareHlc(entry, held) > 0)) {
            expected.set(field, entry.value);
          }
        }
        expect([...merged.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [field, v] of expected) {
          expect(equalPlainValues(merged.get(field) as PlainValue, v)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("a reset is a tombstone at each live field's own timestamp and reads no clock", () => {
    fc.assert(
      fc.property(reached, ([a, b, x]) => {
        const delta = resetMap(a);
        const live = [...a].filter(([, e]) => e.value !== undefined);
        expect(delta.size).toBe(live.length);
        for (const [field, entry] of live) {
          expect(delta.get(field)).toEqual({ ...entry, value: undefined });
        }
        expect(lwwMap.equals(resetMap(lwwMap.clone(a)), delta)).toBe(true);
        expect(lwwMap.equals(joinAll(x, delta, resetMap(b)), joinAll(resetMap(b), delta, x))).toBe(
          true,
        );
      }),
      { numRuns: 300 },
    );
  });

  test("A deletes the map while B sets title again concurrently: the map holds B's new title", () => {
    const wa = writer(alice, 1_000);
    const wb = writer(bob, 1_000);
    const a = new LocalReplica(lwwMap, alice);
    const b = new LocalReplica(lwwMap, bob);
    b.merge(a.update((s) => setKey(s, wa.clock, "title", "Draft")));
    b.merge(a.update((s) => setKey(s, wa.clock, "body", "text")));
    const deletion = a.update(resetMap);
    const retitle = b.update((s) => setKey(s, wb.clock, "title", "Final"));
    a.merge(retitle);
    b.merge(deletion);
    expect(a.value()).toEqual(new Map([["title", "Final"]]));
    expect(lwwMap.equals(a.state, b.state)).toBe(true);
    // A field written after the delete was received shows too.
    const later = a.update((s) => setKey(s, wa.clock, "body", "again"));
    b.merge(later);
    expect(b.value()).toEqual(
      new Map([
        ["body", "again"],
        ["title", "Final"],
      ]),
    );
  });

  test("removeKey still writes a fresh timestamp; a reset leaves removed fields alone", () => {
    const w = writer(alice, 10);
    let state = lwwMap.empty();
    state = lwwMap.join(state, setKey(state, w.clock, "k", 1));
    const written = state.get("k");
    const removal = removeKey(state, w.clock, "k");
    expect(compareHlc(removal.get("k") as LwwMapEntry, written as LwwMapEntry)).toBe(1);
    state = lwwMap.join(state, removal);
    expect(resetMap(state).size).toBe(0);
    expect(lwwMap.equals(resetMap(lwwMap.empty()), lwwMap.empty())).toBe(true);
  });

  test("the reset round-trips through the wire form and still deletes on the other side", () => {
    const w = writer(alice, 10);
    let state = lwwMap.empty();
    state = lwwMap.join(state, setKey(state, w.clock, "k", 1));
    const image = toWireImage(lwwMap, resetMap(state));
    expect(image.plain).toEqual([["k", 10, 0, 0]]);
    expect(lwwMap.value(lwwMap.join(state, fromWireImage(lwwMap, image))).size).toBe(0);
  });
});
