import { InvalidArgumentError } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { backoffDelay, backoffOptions } from "./backoff.js";
import { Prng } from "./prng.js";

describe("backoff with full jitter", () => {
  test("each delay is in [0, min(max, base * 2^attempt))", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (base, extra, attempt, u) => {
          const options = backoffOptions({ baseDelayMs: base, maxDelayMs: base + extra });
          const delay = backoffDelay(attempt, options, () => u);
          const ceiling = Math.min(base + extra, base * 2 ** Math.min(attempt, 52));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay <= ceiling).toBe(true);
          expect(Number.isFinite(delay)).toBe(true);
        },
      ),
    );
  });

  test("the ceiling doubles per attempt until it reaches the maximum", () => {
    const options = backoffOptions({ baseDelayMs: 100, maxDelayMs: 1000 });
    const justBelowOne = () => 0.999999;
    const ceilings = [0, 1, 2, 3, 4, 5].map((k) =>
      Math.round(backoffDelay(k, options, justBelowOne)),
    );
    expect(ceilings).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  test("jitter spreads delays over the whole window (mean about half the ceiling)", () => {
    const options = backoffOptions({ baseDelayMs: 100, maxDelayMs: 100_000 });
    const random = new Prng(5).source();
    const delays = Array.from({ length: 10_000 }, () => backoffDelay(3, options, random));
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(Math.abs(mean - 400)).toBeLessThan(10);
    expect(Math.min(...delays)).toBeLessThan(5);
    expect(Math.max(...delays)).toBeGreaterThan(795);
  });

  test("invalid options are rejected", () => {
    expect(() => backoffOptions({ baseDelayMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => backoffOptions({ maxDelayMs: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => backoffOptions({ baseDelayMs: 500, maxDelayMs: 100 })).toThrow(
      InvalidArgumentError,
    );
  });
});
