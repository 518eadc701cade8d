import { type ReplicaId, replicaId } from "@convergent/clocks";
import { ConvergentError, InvalidArgumentError } from "@convergent/core";
import { describe, expect, test } from "vitest";
import { CounterRangeError } from "./errors.js";
import { type GCounterState, gCounter } from "./g-counter.js";
import { increment } from "./increment.js";

const a = replicaId("a");

describe("increment rejects bad arguments and leaves the state unchanged", () => {
  const badAmounts: unknown[] = [
    0,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.MAX_SAFE_INTEGER + 1,
    "1",
    null,
    2n,
    Symbol("one"),
  ];
  for (const amount of badAmounts) {
    test(`amount ${String(amount)}`, () => {
      const state: GCounterState = new Map([[a, 3]]);
      expect(() => increment(state, a, amount as number)).toThrow(InvalidArgumentError);
      expect(gCounter.equals(state, new Map([[a, 3]]))).toBe(true);
    });
  }

  for (const replica of ["", "x".repeat(65), "tab\there", 7, undefined]) {
    test(`replica id ${JSON.stringify(replica)}`, () => {
      const state: GCounterState = new Map([[a, 3]]);
      expect(() => increment(state, replica as ReplicaId)).toThrow(InvalidArgumentError);
      expect(gCounter.equals(state, new Map([[a, 3]]))).toBe(true);
    });
  }

  test("a replica's count may reach but not pass Number.MAX_SAFE_INTEGER", () => {
    const state: GCounterState = new Map([[a, Number.MAX_SAFE_INTEGER - 2]]);
    expect(increment(state, a, 2).get(a)).toBe(Number.MAX_SAFE_INTEGER);
    const error = (() => {
      try {
        increment(state, a, 3);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CounterRangeError);
    expect(error).toBeInstanceOf(ConvergentError);
    expect((error as CounterRangeError).code).toBe("COUNTER_RANGE");
    expect(state.get(a)).toBe(Number.MAX_SAFE_INTEGER - 2);
  });

  test("the default amount is 1", () => {
    expect(increment(new Map([[a, 41]]), a).get(a)).toBe(42);
  });
});
