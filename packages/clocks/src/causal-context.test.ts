import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  addDotInPlace,
  type CausalContext,
  causalContextFromEntries,
  causalContextIncludes,
  causalContextToEntries,
  cloneCausalContext,
  containsDot,
  dotsOf,
  emptyCausalContext,
  equalCausalContexts,
  joinCausalContextInto,
  joinCausalContexts,
  type MutableCausalContext,
  maxCounter,
  nextDot,
} from "./causal-context.js";
import { ClockOverflowError, InvalidClockValueError } from "./errors.js";
import { replicaId } from "./replica-id.js";
import {
  type DotLike,
  dotArb,
  dotKey,
  dotListArb,
  POOL,
  pooledReplica,
  vectorEntries,
} from "./test-arbitraries.js";

/** The reference model: a context is just a set of dots. */
type Model = Set<string>;
const modelOf = (dots: readonly DotLike[]): Model => new Set(dots.map(dotKey));
const modelOfContext = (c: CausalContext): Model => modelOf([...dotsOf(c)]);

function build(dots: readonly DotLike[]): MutableCausalContext {
  const context = emptyCausalContext();
  for (const d of dots) addDotInPlace(context, d);
  return context;
}

/** The compacted form: positive vector entries, no empty cloud set, no cloud dot <= base + 1. */
function expectCompact(c: CausalContext): void {
  for (const counter of c.versionVector.values()) {
    expect(Number.isSafeInteger(counter) && counter > 0).toBe(true);
  }
  for (const [replica, counters] of c.cloud) {
    expect(counters.size).toBeGreaterThan(0);
    const base = c.versionVector.get(replica) ?? 0;
    for (const counter of counters) expect(counter).toBeGreaterThanOrEqual(base + 2);
  }
}

const snapshot = (c: CausalContext) => causalContextToEntries(c);

/** A list of dots and a shuffled copy with duplicates thrown in. */
const dotsAndPermutation = dotListArb().chain((dots) =>
  fc
    .tuple(
      fc.shuffledSubarray(dots, { minLength: dots.length, maxLength: dots.length }),
      fc.subarray(dots),
    )
    .map(([shuffled, again]) => [dots, [...shuffled, ...again]] as const),
);

describe("compaction", () => {
  test("the same dots in any order, with duplicates, give equal canonical contexts", () => {
    fc.assert(
      fc.property(dotsAndPermutation, ([dots, permuted]) => {
        const a = build(dots);
        const b = build(permuted);
        expect(equalCausalContexts(a, b)).toBe(true);
        expect(causalContextToEntries(a)).toEqual(causalContextToEntries(b));
      }),
      { numRuns: 500 },
    );
  });

  test("the invariant holds after every single addition and the dot set matches the model", () => {
    fc.assert(
      fc.property(dotListArb(), (dots) => {
        const context = emptyCausalContext();
        const model: Model = new Set();
        for (const d of dots) {
          addDotInPlace(context, d);
          model.add(dotKey(d));
          expectCompact(context);
        }
        expect(modelOfContext(context)).toEqual(model);
        // dotsOf never yields a dot twice
        expect([...dotsOf(context)]).toHaveLength(model.size);
      }),
      { numRuns: 500 },
    );
  });

  test("different dot sets give unequal contexts", () => {
    fc.assert(
      fc.property(dotListArb(), dotListArb(), (x, y) => {
        const same =
          modelOfContext(build(x)).size === modelOfContext(build(y)).size &&
          [...modelOf(x)].every((k) => modelOf(y).has(k));
        expect(equalCausalContexts(build(x), build(y))).toBe(same);
      }),
      { numRuns: 500 },
    );
  });

  test("a contiguous run closes a gap and empties the cloud", () => {
    const a = replicaId("a");
    const context = build([
      { replica: a, counter: 3 },
      { replica: a, counter: 5 },
      { replica: a, counter: 1 },
    ]);
    expect(causalContextToEntries(context)).toEqual({
      versionVector: [[a, 1]],
      cloud: [[a, [3, 5]]],
    });
    addDotInPlace(context, { replica: a, counter: 2 });
    expect(causalContextToEntries(context)).toEqual({ versionVector: [[a, 3]], cloud: [[a, [5]]] });
    addDotInPlace(context, { replica: a, counter: 4 });
    expect(causalContextToEntries(context)).toEqual({ versionVector: [[a, 5]], cloud: [] });
  });
});

describe("join", () => {
  test("is the union of dot sets and keeps the invariant", () => {
    fc.assert(
      fc.property(dotListArb(), dotListArb(), dotArb(16), (x, y, probe) => {
        const a = build(x);
        const b = build(y);
        const before = [snapshot(a), snapshot(b)];
        const joined = joinCausalContexts(a, b);
        expectCompact(joined);
        expect([snapshot(a), snapshot(b)]).toEqual(before);
        const union = new Set([...modelOf(x), ...modelOf(y)]);
        expect(modelOfContext(joined)).toEqual(union);
        expect(containsDot(joined, probe)).toBe(union.has(dotKey(probe)));
        expect(equalCausalContexts(joined, build([...x, ...y]))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("commutative, associative, idempotent", () => {
    fc.assert(
      fc.property(dotListArb(), dotListArb(), dotListArb(), (x, y, z) => {
        const [a, b, c] = [build(x), build(y), build(z)];
        expect(equalCausalContexts(joinCausalContexts(a, b), joinCausalContexts(b, a))).toBe(true);
        expect(
          equalCausalContexts(
            joinCausalContexts(joinCausalContexts(a, b), c),
            joinCausalContexts(a, joinCausalContexts(b, c)),
          ),
        ).toBe(true);
        expect(equalCausalContexts(joinCausalContexts(a, a), a)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("joinCausalContextInto mutates only its target, also when joined with itself", () => {
    fc.assert(
      fc.property(dotListArb(), dotListArb(), (x, y) => {
        const target = build(x);
        const source = build(y);
        const sourceBefore = snapshot(source);
        joinCausalContextInto(target, source);
        expect(snapshot(source)).toEqual(sourceBefore);
        expect(snapshot(target)).toEqual(snapshot(build([...x, ...y])));
        const self = build(x);
        joinCausalContextInto(self, self);
        expect(snapshot(self)).toEqual(snapshot(build(x)));
      }),
    );
  });

  test("clone is independent of the original", () => {
    fc.assert(
      fc.property(dotListArb(), dotArb(20), (x, extra) => {
        const original = build(x);
        const before = snapshot(original);
        const copy = cloneCausalContext(original);
        addDotInPlace(copy, extra);
        addDotInPlace(copy, { replica: extra.replica, counter: 30 });
        expect(snapshot(original)).toEqual(before);
      }),
    );
  });
});

describe("queries", () => {
  test("containsDot and causalContextIncludes agree with the set model", () => {
    fc.assert(
      fc.property(dotListArb(), dotListArb(), dotArb(16), (x, y, probe) => {
        const a = build(x);
        const b = build(y);
        expect(containsDot(a, probe)).toBe(modelOf(x).has(dotKey(probe)));
        const ma = modelOf(x);
        expect(causalContextIncludes(a, b)).toBe([...modelOf(y)].every((k) => ma.has(k)));
        expect(causalContextIncludes(joinCausalContexts(a, b), b)).toBe(true);
        expect(causalContextIncludes(a, emptyCausalContext())).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("includes holds for subsets, which a random pair rarely is", () => {
    fc.assert(
      fc.property(
        dotListArb().chain((x) => fc.tuple(fc.constant(x), fc.subarray(x))),
        ([all, some]) => {
          expect(causalContextIncludes(build(all), build(some))).toBe(true);
          const missing = all.filter((d) => !modelOf(some).has(dotKey(d)));
          expect(causalContextIncludes(build(some), build(all))).toBe(missing.length === 0);
        },
      ),
    );
  });

  test("nextDot is above everything that replica has in the context", () => {
    fc.assert(
      fc.property(dotListArb(), pooledReplica, (x, replica) => {
        const context = build(x);
        const next = nextDot(context, replica);
        const own = x.filter((d) => d.replica === replica).map((d) => d.counter);
        expect(next).toEqual({ replica, counter: Math.max(0, ...own) + 1 });
        expect(maxCounter(context, replica)).toBe(Math.max(0, ...own));
        expect(containsDot(context, next)).toBe(false);
      }),
    );
  });

  test("issuing nextDot repeatedly keeps a replica's own dots in the vector", () => {
    fc.assert(
      fc.property(fc.array(pooledReplica, { maxLength: 40 }), (issuers) => {
        const context = emptyCausalContext();
        for (const replica of issuers) addDotInPlace(context, nextDot(context, replica));
        expect(context.cloud.size).toBe(0);
        for (const replica of POOL) {
          expect(context.versionVector.get(replica) ?? 0).toBe(
            issuers.filter((r) => r === replica).length,
          );
        }
      }),
    );
  });

  test("nextDot refuses to pass MAX_SAFE_INTEGER", () => {
    const a = replicaId("a");
    const context = causalContextFromEntries({
      versionVector: [[a, Number.MAX_SAFE_INTEGER]],
      cloud: [],
    });
    expect(() => nextDot(context, a)).toThrow(ClockOverflowError);
  });
});

describe("entries", () => {
  test("round trip: fromEntries(toEntries(c)) is c, and the entries are sorted", () => {
    fc.assert(
      fc.property(dotListArb(), (x) => {
        const context = build(x);
        const entries = causalContextToEntries(context);
        const back = causalContextFromEntries(entries);
        expect(equalCausalContexts(back, context)).toBe(true);
        expect(causalContextToEntries(back)).toEqual(entries);
        const cloudIds = entries.cloud.map(([r]) => r);
        expect(cloudIds).toEqual([...cloudIds].sort());
        for (const [, counters] of entries.cloud) {
          expect(counters).toEqual([...counters].sort((p, q) => p - q));
        }
      }),
      { numRuns: 500 },
    );
  });

  test("non-canonical input is normalized to the canonical context of its dot set", () => {
    const rawCloud = fc.array(
      fc.tuple(pooledReplica, fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 6 })),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(vectorEntries(), rawCloud, (vector, cloud) => {
        // Duplicated rows, unsorted counters, counters under or next to the vector, empty rows.
        const context = causalContextFromEntries({ versionVector: vector, cloud });
        expectCompact(context);
        const dots: DotLike[] = [];
        for (const [replica, counter] of vector) {
          for (let c = 1; c <= counter; c++) dots.push({ replica, counter: c });
        }
        for (const [replica, counters] of cloud) {
          for (const counter of counters) dots.push({ replica, counter });
        }
        expect(causalContextToEntries(context)).toEqual(causalContextToEntries(build(dots)));
      }),
      { numRuns: 500 },
    );
  });

  test("bad input is rejected with InvalidClockValueError", () => {
    const bad: unknown[] = [
      { versionVector: [["a", 0]], cloud: [] },
      { versionVector: [["a", 1.5]], cloud: [] },
      { versionVector: [["", 1]], cloud: [] },
      {
        versionVector: [
          ["a", 1],
          ["a", 2],
        ],
        cloud: [],
      },
      { versionVector: [], cloud: [["a", [0]]] },
      { versionVector: [], cloud: [["a", [-3]]] },
      { versionVector: [], cloud: [["a", [2.5]]] },
      { versionVector: [], cloud: [["a", [Number.NaN]]] },
      { versionVector: [], cloud: [["a", [2 ** 53]]] },
      { versionVector: [], cloud: [["a", ["3"]]] },
      { versionVector: [], cloud: [["\u0007", [3]]] },
      { versionVector: [], cloud: [[5, [3]]] },
      { versionVector: [], cloud: [["a", 3]] },
      { versionVector: [], cloud: [["a"]] },
      { versionVector: [], cloud: [5] },
      { versionVector: [], cloud: "a" },
      { versionVector: [] },
      { cloud: [] },
      { versionVector: 5, cloud: [] },
      null,
      undefined,
      [],
    ];
    for (const entries of bad) {
      let error: unknown;
      try {
        causalContextFromEntries(entries as Parameters<typeof causalContextFromEntries>[0]);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(entries)).toBeInstanceOf(InvalidClockValueError);
    }
  });
});
