import { InvalidArgumentError } from "@convergent/core";
import { describe, expect, test } from "vitest";
import {
  DEFAULT_LINK_CONDITIONS,
  type LatencyDistribution,
  latency,
  mergeLinkConditions,
  sampleLatency,
} from "./link-conditions.js";
import { Prng } from "./prng.js";

function samples(distribution: LatencyDistribution, n = 20_000): number[] {
  const prng = new Prng(11);
  return Array.from({ length: n }, () => sampleLatency(distribution, prng));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("latency distributions", () => {
  test("fixed is constant", () => {
    expect(new Set(samples(latency.fixed(7), 100))).toEqual(new Set([7]));
  });

  test("uniform stays in [min, max) with the midpoint as mean", () => {
    const xs = samples(latency.uniform(10, 30));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...xs)).toBeLessThan(30);
    // Standard error of the mean is ~0.04 ms here.
    expect(Math.abs(mean(xs) - 20)).toBeLessThan(0.3);
  });

  test("exponential has its floor, its mean and a long tail", () => {
    const xs = samples(latency.exponential(20, 5));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(5);
    expect(Math.abs(mean(xs) - 25)).toBeLessThan(0.8);
    // P(X > min + 3 * mean) = e^-3, about 5%.
    const tail = xs.filter((x) => x > 65).length / xs.length;
    expect(tail).toBeGreaterThan(0.04);
    expect(tail).toBeLessThan(0.06);
  });

  test("invalid parameters are rejected", () => {
    expect(() => latency.fixed(-1)).toThrow(InvalidArgumentError);
    expect(() => latency.uniform(10, 5)).toThrow(InvalidArgumentError);
    expect(() => latency.exponential(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => latency.exponential(5, Infinity)).toThrow(InvalidArgumentError);
  });
});

describe("mergeLinkConditions", () => {
  test("overlays changes and keeps the rest", () => {
    const merged = mergeLinkConditions(DEFAULT_LINK_CONDITIONS, { lossProbability: 0.25 });
    expect(merged).toEqual({ ...DEFAULT_LINK_CONDITIONS, lossProbability: 0.25 });
  });

  test("probabilities outside [0, 1] and malformed fields are rejected", () => {
    for (const changes of [
      { lossProbability: -0.1 },
      { lossProbability: 1.5 },
      { duplicateProbability: Number.NaN },
      { ordered: "yes" as unknown as boolean },
      { latency: { kind: "gaussian" } as unknown as LatencyDistribution },
      { latency: { kind: "uniform", minMs: 3, maxMs: 1 } as LatencyDistribution },
    ]) {
      expect(() => mergeLinkConditions(DEFAULT_LINK_CONDITIONS, changes)).toThrow(
        InvalidArgumentError,
      );
    }
  });
});
