import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ClockOverflowError, InvalidClockValueError } from "./errors.js";
import { type ReplicaId, replicaId } from "./replica-id.js";
import { anyReplica, POOL, pooledReplica, vectorEntries } from "./test-arbitraries.js";
import {
  type Causality,
  compare,
  dominates,
  emptyVersionVector,
  equalVersionVectors,
  fromEntries,
  increment,
  merge,
  mergeInto,
  toEntries,
  type VersionVector,
  versionOf,
} from "./version-vector.js";

const vector: fc.Arbitrary<VersionVector> = vectorEntries().map((e) => fromEntries(e));
const wideVector: fc.Arbitrary<VersionVector> = vectorEntries(anyReplica, 1000).map((e) =>
  fromEntries(e),
);

/** The definition, pointwise over the union of replicas: what `compare` must agree with. */
function naiveCompare(a: VersionVector, b: VersionVector): Causality {
  let le = true;
  let ge = true;
  for (const r of new Set([...a.keys(), ...b.keys()])) {
    if (versionOf(a, r) > versionOf(b, r)) le = false;
    if (versionOf(a, r) < versionOf(b, r)) ge = false;
  }
  return le && ge ? "equal" : le ? "before" : ge ? "after" : "concurrent";
}

const leq = (a: VersionVector, b: VersionVector) => {
  const c = compare(a, b);
  return c === "before" || c === "equal";
};

function expectSparse(v: VersionVector): void {
  for (const counter of v.values()) expect(counter).toBeGreaterThan(0);
}

function expectInvalid(entries: unknown): void {
  expect(() => fromEntries(entries as Iterable<readonly [unknown, unknown]>)).toThrow(
    InvalidClockValueError,
  );
  try {
    fromEntries(entries as Iterable<readonly [unknown, unknown]>);
  } catch (error) {
    expect((error as InvalidClockValueError).code).toBe("INVALID_CLOCK_VALUE");
  }
}

describe("compare is a partial order", () => {
  test("agrees with the pointwise definition", () => {
    fc.assert(
      fc.property(wideVector, wideVector, (a, b) => {
        expect(compare(a, b)).toBe(naiveCompare(a, b));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(vector, vector, (a, b) => {
        expect(compare(a, b)).toBe(naiveCompare(a, b));
      }),
      { numRuns: 500 },
    );
  });

  test("reflexive", () => {
    fc.assert(
      fc.property(vector, (a) => {
        expect(compare(a, a)).toBe("equal");
        expect(compare(a, new Map(a))).toBe("equal");
      }),
    );
  });

  test("antisymmetric, and compare(b, a) mirrors compare(a, b)", () => {
    const mirror: Record<Causality, Causality> = {
      before: "after",
      after: "before",
      equal: "equal",
      concurrent: "concurrent",
    };
    fc.assert(
      fc.property(vector, vector, (a, b) => {
        expect(compare(b, a)).toBe(mirror[compare(a, b)]);
        if (leq(a, b) && leq(b, a)) expect(equalVersionVectors(a, b)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("transitive", () => {
    // Build b and c above a so chains are common rather than vanishingly rare.
    const chain = fc
      .tuple(vector, vector, vector)
      .map(([a, x, y]) => [a, merge(a, x), merge(merge(a, x), y)] as const);
    fc.assert(
      fc.property(fc.oneof(chain, fc.tuple(vector, vector, vector)), ([a, b, c]) => {
        if (leq(a, b) && leq(b, c)) expect(leq(a, c)).toBe(true);
        if (compare(a, b) === "before" && compare(b, c) === "before") {
          expect(compare(a, c)).toBe("before");
        }
      }),
      { numRuns: 500 },
    );
  });

  test("regression: same size with one side ahead is not equal", () => {
    // Found by the property below: equality used to be `same size && a >= b`.
    const [ahead, behind] = [fromEntries([["b", 2]]), fromEntries([["b", 1]])];
    expect(equalVersionVectors(ahead, behind)).toBe(false);
    expect(equalVersionVectors(behind, ahead)).toBe(false);
  });

  test("consistent with dominates and equalVersionVectors", () => {
    fc.assert(
      fc.property(vector, vector, (a, b) => {
        const c = compare(a, b);
        expect(dominates(a, b)).toBe(c === "after" || c === "equal");
        expect(dominates(b, a)).toBe(c === "before" || c === "equal");
        expect(equalVersionVectors(a, b)).toBe(c === "equal");
        expect(equalVersionVectors(a, b)).toBe(equalVersionVectors(b, a));
      }),
      { numRuns: 500 },
    );
  });
});

describe("merge is the least upper bound", () => {
  test("commutative, associative, idempotent", () => {
    fc.assert(
      fc.property(vector, vector, vector, (a, b, c) => {
        expect(equalVersionVectors(merge(a, b), merge(b, a))).toBe(true);
        expect(equalVersionVectors(merge(merge(a, b), c), merge(a, merge(b, c)))).toBe(true);
        expect(equalVersionVectors(merge(a, a), a)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("both inputs are below the result, which is below every upper bound", () => {
    fc.assert(
      fc.property(vector, vector, vector, (a, b, extra) => {
        const m = merge(a, b);
        expectSparse(m);
        expect(dominates(m, a)).toBe(true);
        expect(dominates(m, b)).toBe(true);
        // Any upper bound of a and b: everything above both, possibly with more on top.
        const upper = merge(merge(a, b), extra);
        expect(dominates(upper, m)).toBe(true);
        // And a random vector that happens to bound both does too.
        if (dominates(extra, a) && dominates(extra, b)) expect(dominates(extra, m)).toBe(true);
        for (const r of new Set([...a.keys(), ...b.keys()])) {
          expect(versionOf(m, r)).toBe(Math.max(versionOf(a, r), versionOf(b, r)));
        }
      }),
      { numRuns: 500 },
    );
  });

  test("does not mutate its inputs; mergeInto matches merge and touches only its target", () => {
    fc.assert(
      fc.property(vector, vector, (a, b) => {
        const before = [toEntries(a), toEntries(b)];
        const m = merge(a, b);
        expect([toEntries(a), toEntries(b)]).toEqual(before);
        const target = new Map(a);
        mergeInto(target, b);
        expect(toEntries(target)).toEqual(toEntries(m));
        expect(toEntries(b)).toEqual(before[1]);
      }),
    );
  });
});

describe("increment", () => {
  test("makes the result strictly after the input, changing only that replica", () => {
    fc.assert(
      fc.property(vector, pooledReplica, (v, r) => {
        const before = toEntries(v);
        const next = increment(v, r);
        expect(compare(next, v)).toBe("after");
        expect(compare(v, next)).toBe("before");
        expect(versionOf(next, r)).toBe(versionOf(v, r) + 1);
        for (const other of POOL) {
          if (other !== r) expect(versionOf(next, other)).toBe(versionOf(v, other));
        }
        expect(toEntries(v)).toEqual(before);
      }),
    );
  });

  test("increments on different replicas from a common vector are concurrent", () => {
    fc.assert(
      fc.property(
        vector,
        fc.uniqueArray(pooledReplica, { minLength: 2, maxLength: 2 }),
        (v, rs) => {
          const [r, s] = rs as [ReplicaId, ReplicaId];
          expect(compare(increment(v, r), increment(v, s))).toBe("concurrent");
        },
      ),
    );
  });

  test("refuses to pass MAX_SAFE_INTEGER and leaves the vector unchanged", () => {
    const a = replicaId("a");
    const v = fromEntries([[a, Number.MAX_SAFE_INTEGER]]);
    expect(() => increment(v, a)).toThrow(ClockOverflowError);
    expect(versionOf(v, a)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("entries", () => {
  test("toEntries / fromEntries round trip, sorted by replica", () => {
    fc.assert(
      fc.property(wideVector, (v) => {
        const entries = toEntries(v);
        const ids = entries.map(([r]) => r);
        expect(ids).toEqual([...ids].sort());
        const back = fromEntries(entries);
        expect(equalVersionVectors(back, v)).toBe(true);
        expect(toEntries(back)).toEqual(entries);
      }),
    );
  });

  test("equal vectors built in any order give identical entries", () => {
    fc.assert(
      fc.property(vectorEntries(anyReplica, 1000), (entries) => {
        const reversed = fromEntries([...entries].reverse());
        expect(toEntries(reversed)).toEqual(toEntries(fromEntries(entries)));
      }),
    );
  });

  test("fromEntries rejects bad counters, duplicate replicas and bad ids", () => {
    for (const counter of [0, -0, -1, 1.5, Number.NaN, Infinity, 2 ** 53, "1", null, 1n]) {
      expectInvalid([["a", counter]]);
    }
    expectInvalid([
      ["a", 1],
      ["a", 2],
    ]);
    for (const id of ["", "x".repeat(65), "a\u0000", 7, null, undefined]) expectInvalid([[id, 1]]);
  });

  test("fromEntries rejects malformed shapes with the typed error", () => {
    for (const entries of [[5], [null], ["ab"], [["a"]], [["a", 1, 2]], 5, null, "ab", {}]) {
      expectInvalid(entries);
    }
  });

  test("fromEntries rejects any entry list with a bad element", () => {
    fc.assert(
      fc.property(
        vectorEntries(),
        fc.oneof(
          fc.tuple(pooledReplica, fc.integer({ max: 0 })),
          fc.tuple(pooledReplica, fc.double({ noInteger: true })),
          fc.tuple(fc.constantFrom("", "\n", 3), fc.integer({ min: 1 })),
        ),
        fc.nat(),
        (entries, bad, at) => {
          const list: Array<readonly [unknown, unknown]> = [...entries];
          list.splice(at % (list.length + 1), 0, bad);
          expectInvalid(list);
        },
      ),
    );
  });

  test("the empty vector is empty and below everything", () => {
    fc.assert(
      fc.property(vector, (v) => {
        expect(dominates(v, emptyVersionVector())).toBe(true);
        expect(equalVersionVectors(merge(v, emptyVersionVector()), v)).toBe(true);
      }),
    );
    expect(toEntries(emptyVersionVector())).toEqual([]);
  });
});
