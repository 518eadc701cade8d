import { replicaId } from "@convergent/clocks";
import { describe, expect, test } from "vitest";
import { CounterRangeError } from "./errors.js";
import type { PnCounterState } from "./pn-counter.js";
import { bigValue, value } from "./value.js";

const max = Number.MAX_SAFE_INTEGER;
const bigMax = BigInt(max);

describe("value precision", () => {
  test("sums past Number.MAX_SAFE_INTEGER that cancel are still exact", () => {
    const state: PnCounterState = new Map([
      [replicaId("a"), [max, 0]],
      [replicaId("b"), [max, max]],
      [replicaId("c"), [0, max - 5]],
    ]);
    expect(value(state)).toBe(5);
    expect(bigValue(state)).toBe(5n);
  });

  test("results beyond ±Number.MAX_SAFE_INTEGER throw; bigValue stays exact", () => {
    const up: PnCounterState = new Map([
      [replicaId("a"), [max, 0]],
      [replicaId("b"), [1, 0]],
    ]);
    const down: PnCounterState = new Map([
      [replicaId("a"), [0, max]],
      [replicaId("b"), [0, 1]],
    ]);
    expect(() => value(up)).toThrow(CounterRangeError);
    expect(() => value(down)).toThrow(CounterRangeError);
    expect(bigValue(up)).toBe(bigMax + 1n);
    expect(bigValue(down)).toBe(-bigMax - 1n);
  });

  test("exactly ±Number.MAX_SAFE_INTEGER is a number", () => {
    expect(value(new Map([[replicaId("a"), [0, max]]]))).toBe(-max);
    expect(value(new Map([[replicaId("a"), [max, 0]]]))).toBe(max);
  });
});
