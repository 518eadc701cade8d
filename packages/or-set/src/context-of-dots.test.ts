import {
  addDotInPlace,
  type Dot,
  dotsOf,
  emptyCausalContext,
  equalCausalContexts,
  replicaId,
} from "@convergent/clocks";
import fc from "fast-check";
import { expect, test } from "vitest";
import { contextOfDots } from "./context-of-dots.js";

const replicas = ["a", "b"].map(replicaId);

test("contextOfDots holds exactly the given dots, compacted, for small and large inputs", () => {
  const dot = fc.record({
    replica: fc.constantFrom(...replicas),
    counter: fc.integer({ min: 1, max: 30 }),
  });
  const distinct = fc.uniqueArray(dot, {
    maxLength: 40,
    selector: (d) => `${d.replica}:${d.counter}`,
  });
  fc.assert(
    fc.property(distinct, (dots: Dot[]) => {
      const expected = emptyCausalContext();
      for (const d of dots) addDotInPlace(expected, d);
      const context = contextOfDots(dots);
      expect(equalCausalContexts(context, expected)).toBe(true);
      expect([...dotsOf(context)]).toHaveLength(dots.length);
    }),
    { numRuns: 300 },
  );
});
