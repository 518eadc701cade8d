import { InvalidArgumentError } from "@convergent/core";
import { expect, test } from "vitest";
import { WindowedSummary } from "./windowed-summary.js";

test("quantiles cover the window only; count and sum keep everything", () => {
  const summary = new WindowedSummary({ windowMs: 60_000, slots: 6 });
  for (let i = 0; i < 100; i++) summary.add(5_000, 1_000); // an old spike
  for (let i = 0; i < 100; i++) summary.add(10, 50_000);
  const during = summary.snapshot(50_000);
  expect(during.recent.count).toBe(200);
  expect(during.recent.p99Ms).toBeCloseTo(5_000, -2);

  const after = summary.snapshot(75_000);
  expect(after.count).toBe(200);
  expect(after.sumMs).toBe(100 * 5_000 + 100 * 10);
  expect(after.recent.count).toBe(100);
  expect(after.recent.p99Ms).toBeCloseTo(10, 0);
  expect(after.recent.avgMs).toBe(10);
  expect(after.recent.maxMs).toBe(10);

  const empty = summary.snapshot(200_000);
  expect(empty.recent).toEqual({
    count: 0,
    avgMs: undefined,
    p50Ms: undefined,
    p99Ms: undefined,
    maxMs: undefined,
  });
  expect(empty.count).toBe(200);
});

test("a clock that steps back does not grow the ring or lose the present", () => {
  const summary = new WindowedSummary({ windowMs: 1_000, slots: 4 });
  for (let t = 0; t < 100; t++) summary.add(1, t % 2 === 0 ? 5_000 : 4_000);
  const snapshot = summary.snapshot(4_000);
  expect(snapshot.count).toBe(100);
  expect(snapshot.recent.count).toBe(50); // the 4,000 ms observations; the future ones were dropped
});

test("bad window options throw InvalidArgumentError", () => {
  expect(() => new WindowedSummary({ windowMs: 0 })).toThrow(InvalidArgumentError);
  expect(() => new WindowedSummary({ slots: 0 })).toThrow(InvalidArgumentError);
  expect(() => new WindowedSummary({ slots: 1.5 })).toThrow(InvalidArgumentError);
  expect(() => new WindowedSummary({ sketch: { relativeAccuracy: 2 } })).toThrow(
    InvalidArgumentError,
  );
});
