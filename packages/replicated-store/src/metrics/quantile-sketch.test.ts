import { InvalidArgumentError } from "@convergent/core";
import fc from "fast-check";
import { expect, test } from "vitest";
import { QuantileSketch } from "./quantile-sketch.js";

const MIN = 0.001;
const MAX = 1e12;

/** The exact quantile under the sketch's rank rule: rank ⌊q·(n − 1)⌋ of the sorted values. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** The documented bound: α·x above minValue, below minValue an absolute error under minValue. */
function withinError(estimate: number, exact: number, alpha: number): boolean {
  if (exact < MIN) return estimate === 0;
  // 1e-12 absorbs float rounding of log/pow at bucket boundaries.
  return Math.abs(estimate - exact) <= alpha * exact * (1 + 1e-9) + 1e-12;
}

// Latencies span orders of magnitude, so draw the exponent rather than the value.
const latency = fc
  .tuple(fc.double({ min: -4, max: 12, noNaN: true }), fc.boolean())
  .map(([exponent, zero]) => (zero && exponent < -3.5 ? 0 : 10 ** exponent));

test("every quantile is within the relative error of the exact quantile", () => {
  fc.assert(
    fc.property(
      fc.array(latency, { minLength: 1, maxLength: 400 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom(0.001, 0.01, 0.05),
      (values, q, alpha) => {
        const sketch = new QuantileSketch({ relativeAccuracy: alpha });
        for (const v of values) sketch.add(v);
        const exact = exactQuantile(values, q);
        const estimate = sketch.quantile(q)!;
        expect(withinError(estimate, exact, alpha), `${estimate} vs ${exact}`).toBe(true);
      },
    ),
    { numRuns: 300 },
  );
});

test("p50 and p99 of values clustered near one bucket boundary stay within the error", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -300, max: 1300 }),
      fc.array(fc.double({ min: 0.999, max: 1.001, noNaN: true }), {
        minLength: 1,
        maxLength: 100,
      }),
      (index, jitters) => {
        const gamma = 1.01 / 0.99;
        const values = jitters.map((j) => Math.min(gamma ** index * j, MAX));
        const sketch = new QuantileSketch();
        for (const v of values) sketch.add(v);
        for (const q of [0, 0.5, 0.99, 1]) {
          expect(withinError(sketch.quantile(q)!, exactQuantile(values, q), 0.01)).toBe(true);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test("merging sketches answers like one sketch of all the values", () => {
  fc.assert(
    fc.property(
      fc.array(latency, { maxLength: 200 }),
      fc.array(latency, { maxLength: 200 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (left, right, q) => {
        const a = new QuantileSketch();
        const b = new QuantileSketch();
        const all = new QuantileSketch();
        for (const v of left) a.add(v);
        for (const v of right) b.add(v);
        for (const v of [...left, ...right]) all.add(v);
        a.merge(b);
        expect(a.count).toBe(all.count);
        expect(a.quantile(q)).toBe(all.quantile(q));
        expect(a.max).toBe(all.max);
      },
    ),
    { numRuns: 300 },
  );
});

test("memory is bounded by the value range, not by the number of values", () => {
  const sketch = new QuantileSketch();
  let x = 12345;
  for (let i = 0; i < 200_000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    sketch.add(10 ** ((x / 2 ** 31) * 19 - 4)); // 1e-4 ms up to 1e15 ms (clamped)
  }
  const gamma = 1.01 / 0.99;
  const bound = Math.ceil(Math.log(MAX / MIN) / Math.log(gamma)) + 2;
  expect(bound).toBeLessThanOrEqual(1730);
  expect(sketch.count).toBe(200_000);
  expect(sketch.bucketCount).toBeLessThanOrEqual(bound);
  expect(sketch.bucketCount).toBeGreaterThan(1000);
});

test("count, sum and max are exact; NaN is ignored, negatives count as 0, huge values clamp", () => {
  const sketch = new QuantileSketch();
  expect(sketch.quantile(0.5)).toBeUndefined();
  expect(sketch.max).toBeUndefined();
  for (const v of [3, Number.NaN, -5, 1e20, 7]) sketch.add(v);
  expect(sketch.count).toBe(4);
  expect(sketch.sum).toBe(3 + 0 + MAX + 7);
  expect(sketch.max).toBe(MAX);
  expect(sketch.quantile(0)).toBe(0);
  expect(sketch.quantile(1)).toBe(MAX);
});

test("bad options and quantiles throw InvalidArgumentError", () => {
  for (const options of [
    { relativeAccuracy: 0 },
    { relativeAccuracy: 1 },
    { relativeAccuracy: Number.NaN },
    { minValue: 0 },
    { maxValue: 0.0001 },
    { maxValue: Number.POSITIVE_INFINITY },
  ]) {
    expect(() => new QuantileSketch(options)).toThrow(InvalidArgumentError);
  }
  const sketch = new QuantileSketch();
  sketch.add(1);
  expect(() => sketch.quantile(1.5)).toThrow(InvalidArgumentError);
  expect(() => sketch.quantile(Number.NaN)).toThrow(InvalidArgumentError);
  expect(() => sketch.merge(new QuantileSketch({ relativeAccuracy: 0.02 }))).toThrow(
    InvalidArgumentError,
  );
  expect(sketch.count).toBe(1);
});
