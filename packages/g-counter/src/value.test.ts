import { replicaId } from "@convergent/clocks";
import { describe, expect, test } from "vitest";
import { CounterRangeError } from "./errors.js";
import type { GCounterState } from "./g-counter.js";
import { bigValue, value } from "./value.js";

const max = Number.MAX_SAFE_INTEGER;

describe("value precision", () => {
  test("a total of exactly Number.MAX_SAFE_INTEGER is returned as a number", () => {
    const state: GCounterState = new Map([
      [replicaId("a"), max - 10],
      [replicaId("b"), 10],
    ]);
    expect(value(state)).toBe(max);
    expect(bigValue(state)).toBe(BigInt(max));
  });

  test("a total past Number.MAX_SAFE_INTEGER throws rather than rounding; bigValue stays exact", () => {
    const state: GCounterState = new Map([
      [replicaId("a"), max],
      [replicaId("b"), max],
      [replicaId("c"), 1],
    ]);
    expect(() => value(state)).toThrow(CounterRangeError);
    expect(bigValue(state)).toBe(2n * BigInt(max) + 1n);
  });

  test("the empty counter is 0", () => {
    expect(value(new Map())).toBe(0);
    expect(bigValue(new Map())).toBe(0n);
  });
});
