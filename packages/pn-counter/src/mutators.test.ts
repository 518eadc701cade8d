import { type ReplicaId, replicaId } from "@convergent/clocks";
import { InvalidArgumentError } from "@convergent/core";
import { describe, expect, test } from "vitest";
import { CounterRangeError } from "./errors.js";
import { decrement, increment } from "./mutators.js";
import { type PnCounterState, pnCounter } from "./pn-counter.js";

const a = replicaId("a");
const max = Number.MAX_SAFE_INTEGER;
const snapshot = (): PnCounterState => new Map([[a, [3, 2]]]);

describe("increment and decrement reject bad arguments and leave the state unchanged", () => {
  const badAmounts: unknown[] = [0, -1, 0.5, Number.NaN, Infinity, max + 1, "1", null, 1n];
  for (const [name, mutator] of [
    ["increment", increment],
    ["decrement", decrement],
  ] as const) {
    for (const amount of badAmounts) {
      test(`${name} by ${String(amount)}`, () => {
        const state = snapshot();
        expect(() => mutator(state, a, amount as number)).toThrow(InvalidArgumentError);
        expect(pnCounter.equals(state, snapshot())).toBe(true);
      });
    }
  }

  for (const replica of ["", "x".repeat(65), "nul\u0000", 7, null]) {
    for (const mutator of [increment, decrement]) {
      test(`${mutator.name} with replica id ${JSON.stringify(replica)}`, () => {
        const state = snapshot();
        expect(() => mutator(state, replica as ReplicaId)).toThrow(InvalidArgumentError);
        expect(pnCounter.equals(state, snapshot())).toBe(true);
      });
    }
  }

  test("each count may reach but not pass Number.MAX_SAFE_INTEGER", () => {
    const state: PnCounterState = new Map([[a, [max - 1, max - 1]]]);
    expect(increment(state, a).get(a)).toEqual([max, max - 1]);
    expect(decrement(state, a).get(a)).toEqual([max - 1, max]);
    expect(() => increment(state, a, 2)).toThrow(CounterRangeError);
    expect(() => decrement(state, a, 2)).toThrow(CounterRangeError);
    expect(state.get(a)).toEqual([max - 1, max - 1]);
  });

  test("the error carries the stable code COUNTER_RANGE", () => {
    const state: PnCounterState = new Map([[a, [max, 0]]]);
    expect(() => increment(state, a)).toThrow(expect.objectContaining({ code: "COUNTER_RANGE" }));
  });
});
