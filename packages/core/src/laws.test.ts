import { type ReplicaId, replicaId } from "@convergent/clocks";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type CrdtType, defineCrdt } from "./crdt.js";
import { LocalReplica } from "./local-replica.js";
import { crdtLaws, type LawSpec } from "./testing/index.js";

// A grow-only counter written in a few lines: the smallest real type to exercise the kit.
type Counts = Map<ReplicaId, number>;
const counter: CrdtType<Counts, number> = defineCrdt<Counts, number>({
  name: "test-counter",
  empty: () => new Map(),
  clone: (s) => new Map(s),
  joinInto(target, source) {
    for (const [r, n] of source) if (n > (target.get(r) ?? 0)) target.set(r, n);
    return target;
  },
  leq: (a, b) => [...a].every(([r, n]) => n <= (b.get(r) ?? 0)),
  equals: (a, b) => a.size === b.size && [...a].every(([r, n]) => b.get(r) === n),
  value: (s) => [...s.values()].reduce((x, y) => x + y, 0),
  wire: {
    version: 1,
    toWire: (s, w) =>
      [...s].sort(([x], [y]) => (x < y ? -1 : 1)).flatMap(([r, n]) => [w.replica(r), n]),
    fromWire(plain, reader) {
      const flat = plain as number[];
      const counts: Counts = new Map();
      for (let i = 0; i < flat.length; i += 2)
        counts.set(reader.replica(flat[i]), flat[i + 1] as number);
      return counts;
    },
  },
});
const increment = (s: Counts, r: ReplicaId, by: number): Counts =>
  new Map([[r, (s.get(r) ?? 0) + by]]);

const spec: LawSpec<Counts, number, number> = {
  type: counter,
  operation: fc.integer({ min: 1, max: 5 }),
  mutate: (s, r, by) => increment(s, r, by),
  sequential: { initial: () => 0, step: (m: number, by) => m + by, check: (v, m) => v === m },
  numRuns: 100,
};

describe("law kit on a correct type", () => {
  for (const law of crdtLaws(spec)) test(law.name, law.check);
});

describe("law kit catches broken types", () => {
  const lawNamed = (laws: ReturnType<typeof crdtLaws>, part: string) => {
    const law = laws.find((l) => l.name.includes(part));
    if (law === undefined) throw new Error(`no law named ${part}`);
    return law;
  };

  // fast-check wraps the law's own error; its cause says which law broke.
  const expectViolation = (check: () => void) => {
    let error: unknown;
    try {
      check();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).cause)).toMatch(/law violated/);
  };

  test("a join that keeps its right side is not commutative", () => {
    const broken = defineCrdt<Counts, number>({
      ...counter,
      joinInto: (t, s) => {
        t.clear();
        for (const [r, n] of s) t.set(r, n);
        return t;
      },
      join: (_, b) => b,
    });
    expectViolation(lawNamed(crdtLaws({ ...spec, type: broken }), "commutative").check);
  });

  test("a join that adds instead of taking the maximum is not idempotent", () => {
    const broken = defineCrdt<Counts, number>({
      ...counter,
      join: undefined as never,
      joinInto(target, source) {
        for (const [r, n] of source) target.set(r, (target.get(r) ?? 0) + n);
        return target;
      },
    });
    expectViolation(lawNamed(crdtLaws({ ...spec, type: broken }), "idempotent").check);
  });

  test("a mutator that mutates its input state instead of returning a delta is caught", () => {
    const laws = crdtLaws({
      ...spec,
      mutate: (s, r, by) => {
        s.set(r, (s.get(r) ?? 0) + by); // mutates "before", so the recorded history is a lie
        return new Map();
      },
    });
    expectViolation(lawNamed(laws, "sequential").check);
  });

  test("a value function that disagrees with the model is caught", () => {
    const laws = crdtLaws({
      ...spec,
      type: defineCrdt({ ...counter, join: undefined as never, value: () => 0 }),
    });
    expectViolation(lawNamed(laws, "sequential").check);
  });
});

describe("LocalReplica", () => {
  test("applies deltas in place and merges remote states", () => {
    const a = new LocalReplica(counter, replicaId("a"));
    const b = new LocalReplica(counter, replicaId("b"));
    const delta = a.update((s, r) => increment(s, r, 5));
    b.update((s, r) => increment(s, r, 3));
    b.merge(delta);
    a.merge(b.snapshot());
    expect(a.value()).toBe(8);
    expect(counter.equals(a.state, b.state)).toBe(true);
  });
});

describe("plain values", () => {
  test("strings and keys with lone surrogates are rejected: they have no UTF-8 form", async () => {
    const { plainValueProblem } = await import("./plain-value.js");
    expect(plainValueProblem("a\uD800")).toMatch(/lone surrogate/);
    expect(plainValueProblem({ ["\uDC00"]: 1 })).toMatch(/lone surrogate/);
    expect(plainValueProblem("emoji \u{1F600}")).toBeUndefined();
  });
});
