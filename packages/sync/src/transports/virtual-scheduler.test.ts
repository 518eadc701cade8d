import { InvalidArgumentError } from "@convergent/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { SimulationError } from "./errors.js";
import { VirtualScheduler } from "./virtual-scheduler.js";

describe("VirtualScheduler", () => {
  test("runs timers in due order, ties in scheduling order, whatever the insertion order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 }), (delays) => {
        const scheduler = new VirtualScheduler();
        const fired: [number, number, number][] = [];
        delays.forEach((delay, index) => {
          scheduler.setTimeout(() => fired.push([scheduler.now(), delay, index]), delay);
        });
        expect(scheduler.runUntilIdle()).toBe(delays.length);
        const expected = delays
          .map((delay, index) => [delay, delay, index] as [number, number, number])
          .sort((x, y) => x[0] - y[0] || x[2] - y[2]);
        expect(fired).toEqual(expected);
      }),
    );
  });

  test("advance runs only what is due and moves the clock to the deadline", () => {
    const scheduler = new VirtualScheduler();
    const fired: number[] = [];
    scheduler.setTimeout(() => fired.push(10), 10);
    scheduler.setTimeout(() => fired.push(30), 30);
    expect(scheduler.advance(20)).toBe(1);
    expect(scheduler.now()).toBe(20);
    expect(fired).toEqual([10]);
    expect(scheduler.nextDue()).toBe(30);
    scheduler.advance(10);
    expect(fired).toEqual([10, 30]);
    expect(scheduler.pending()).toBe(0);
  });

  test("timers scheduled by timers run in the same advance when due", () => {
    const scheduler = new VirtualScheduler();
    const fired: number[] = [];
    scheduler.setTimeout(() => {
      fired.push(scheduler.now());
      scheduler.setTimeout(() => fired.push(scheduler.now()), 5);
    }, 5);
    scheduler.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  test("clearTimeout cancels; clearing twice or after firing is harmless", () => {
    const scheduler = new VirtualScheduler();
    let fired = 0;
    const handle = scheduler.setTimeout(() => fired++, 5);
    const kept = scheduler.setTimeout(() => fired++, 6);
    scheduler.clearTimeout(handle);
    scheduler.clearTimeout(handle);
    expect(scheduler.pending()).toBe(1);
    scheduler.runUntilIdle();
    scheduler.clearTimeout(kept);
    expect(fired).toBe(1);
  });

  test("runUntil stops as soon as the condition holds, or at the deadline", () => {
    const scheduler = new VirtualScheduler();
    let count = 0;
    const tick = () => {
      count++;
      scheduler.setTimeout(tick, 10);
    };
    scheduler.setTimeout(tick, 10);
    expect(scheduler.runUntil(() => count === 3, 1000)).toBe(true);
    expect(scheduler.now()).toBe(30);
    expect(scheduler.runUntil(() => count === 100, 50)).toBe(false);
    expect(scheduler.now()).toBe(80);
  });

  test("a timer that reschedules forever makes runUntilIdle throw instead of hanging", () => {
    const scheduler = new VirtualScheduler();
    const tick = () => scheduler.setTimeout(tick, 1);
    scheduler.setTimeout(tick, 1);
    expect(() => scheduler.runUntilIdle(1000)).toThrow(SimulationError);
  });

  test("driving the clock from inside a callback is refused", () => {
    const scheduler = new VirtualScheduler();
    let caught: unknown;
    scheduler.setTimeout(() => {
      try {
        scheduler.advance(1);
      } catch (error) {
        caught = error;
      }
    }, 1);
    scheduler.runUntilIdle();
    expect(caught).toBeInstanceOf(SimulationError);
  });

  test("bad durations are rejected", () => {
    const scheduler = new VirtualScheduler();
    expect(() => scheduler.advance(-1)).toThrow(InvalidArgumentError);
    expect(() => scheduler.advance(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => scheduler.setTimeout(() => {}, Infinity)).toThrow(InvalidArgumentError);
    expect(() => scheduler.runUntil(() => true, -5)).toThrow(InvalidArgumentError);
    expect(scheduler.setTimeout(() => {}, -5)).toBeDefined();
    expect(scheduler.nextDue()).toBe(0);
  });
});
