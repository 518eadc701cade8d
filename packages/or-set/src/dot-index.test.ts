import { replicaId } from "@convergent/clocks";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  buildDotIndex,
  type DotIndex,
  emptyDotIndex,
  forEachLiveDot,
  indexDot,
  liveDotCount,
  lookupDot,
  unindexDot,
} from "./dot-index.js";
import type { ElementKey } from "./element.js";
import type { ElementDots } from "./element-dots.js";

const r = replicaId("r");

function contents(index: DotIndex): [number, ElementKey][] {
  const out: [number, ElementKey][] = [];
  forEachLiveDot(index, r, (counter, key) => out.push([counter, key]));
  return out.sort(([x], [y]) => x - y);
}

function slotsOf(index: DotIndex): number {
  const dots = index.get(r);
  return dots === undefined || dots instanceof Map ? 0 : dots.slots.length;
}

describe("dot index", () => {
  test("agrees with a Map under any sequence of inserts and deletes, and stays O(live)", () => {
    // Counters cluster (dense runs) but sometimes jump or go below the array start.
    const counter = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }));
    const op = fc.record({ insert: fc.boolean(), counter, key: fc.constantFrom("x", "y", 7) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const index = emptyDotIndex();
        const model = new Map<number, ElementKey>();
        for (const { insert, counter, key } of ops) {
          if (insert) {
            indexDot(index, { replica: r, counter }, key);
            model.set(counter, key);
          } else {
            unindexDot(index, r, counter);
            model.delete(counter);
          }
          expect(liveDotCount(index, r)).toBe(model.size);
          expect(slotsOf(index)).toBeLessThanOrEqual(4 * model.size + 16);
        }
        expect(contents(index)).toEqual([...model].sort(([x], [y]) => x - y));
        for (let c = 1; c <= 60; c++) expect(lookupDot(index, r, c)).toBe(model.get(c));
      }),
      { numRuns: 300 },
    );
  });

  test("keeps a dense run in an array and scattered dots in a Map", () => {
    const dense = emptyDotIndex();
    for (let c = 10; c < 1010; c++) indexDot(dense, { replica: r, counter: c }, `k${c}`);
    for (let c = 10; c < 1010; c += 2) unindexDot(dense, r, c);
    expect(dense.get(r)).not.toBeInstanceOf(Map);
    expect(lookupDot(dense, r, 11)).toBe("k11");
    expect(lookupDot(dense, r, 12)).toBeUndefined();
    // Removing all but the newest dots drops the leading holes instead of keeping them.
    for (let c = 11; c < 1001; c += 2) unindexDot(dense, r, c);
    expect(dense.get(r)).not.toBeInstanceOf(Map);
    expect(slotsOf(dense)).toBeLessThanOrEqual(4 * 5 + 16);
    const scattered = buildDotIndex(
      new Map<ElementKey, ElementDots>([
        ["a", { replica: r, counter: 1 }],
        ["b", { replica: r, counter: 1000 }],
      ]),
    );
    expect(scattered.get(r)).toBeInstanceOf(Map);
    expect(contents(scattered)).toEqual([
      [1, "a"],
      [1000, "b"],
    ]);
  });

  test("forgets a replica once none of its dots is live", () => {
    const index = emptyDotIndex();
    indexDot(index, { replica: r, counter: 3 }, "x");
    unindexDot(index, r, 3);
    expect(index.size).toBe(0);
    unindexDot(index, r, 3);
    expect(lookupDot(index, r, 3)).toBeUndefined();
  });
});
