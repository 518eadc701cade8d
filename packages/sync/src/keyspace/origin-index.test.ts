import fc from "fast-check";
import { expect, test } from "vitest";
import { OriginIndex } from "./origin-index.js";

test("the index answers 'above n' like a sorted map, whatever the order of writes and deletes", () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("set" as const),
      seq: fc.integer({ min: 1, max: 200 }),
      key: fc.nat(20),
    }),
    fc.record({ kind: fc.constant("delete" as const), seq: fc.integer({ min: 1, max: 200 }) }),
  );
  fc.assert(
    fc.property(
      fc.array(op, { maxLength: 300 }),
      fc.integer({ min: 0, max: 200 }),
      (ops, after) => {
        const index = new OriginIndex<string>();
        const model = new Map<number, string>();
        for (const o of ops) {
          if (o.kind === "set") {
            index.set(o.seq, `k${o.key}`);
            model.set(o.seq, `k${o.key}`);
          } else {
            index.delete(o.seq);
            model.delete(o.seq);
          }
        }
        const seen: [number, string][] = [];
        index.forEachAbove(after, (seq, key) => seen.push([seq, key]));
        const expected = [...model].filter(([seq]) => seq > after).sort(([x], [y]) => x - y);
        expect(seen).toEqual(expected);
        expect(index.size).toBe(model.size);
      },
    ),
    { numRuns: 300 },
  );
});
