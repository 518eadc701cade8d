/** The harness itself: runs are pure functions of the seed, and the checks catch real defects. */
import { expect, test } from "vitest";
import { runSchedule } from "./run.js";
import { generate } from "./schedule.js";
import { shrink } from "./shrink.js";

test("a run is a pure function of its seed", async () => {
  const schedule = generate(42, { operations: 150 });
  const [a, b] = [await runSchedule(schedule), await runSchedule(schedule)];
  expect(a.digest).not.toBe("");
  expect(b.digest).toBe(a.digest);
  expect(b.stats).toEqual(a.stats);
});

test("a disk that acknowledges writes without keeping them is caught, and the shrinker reduces it", async () => {
  let caught: number | undefined;
  for (let seed = 1; seed <= 30 && caught === undefined; seed++) {
    const schedule = generate(seed, { operations: 120 });
    const result = await runSchedule(schedule, { lyingDisk: true });
    if (result.violations.length > 0) {
      caught = seed;
      const shrunk = await shrink(schedule, result, 150, { lyingDisk: true });
      expect(shrunk.result.violations.length).toBeGreaterThan(0);
      expect(shrunk.schedule.steps.length).toBeLessThan(schedule.steps.length / 2);
    }
  }
  expect(caught).toBeDefined();
});

test("replicas without causal delivery are caught exposing effects before causes", async () => {
  let causalViolations = 0;
  for (let seed = 1; seed <= 60 && causalViolations === 0; seed++) {
    const result = await runSchedule(generate(seed, { operations: 200 }), {
      noCausalDelivery: true,
    });
    causalViolations += result.violations.filter((v) => v.check === "4-causality").length;
  }
  expect(causalViolations).toBeGreaterThan(0);
});

test("a history that forgets what deletes observed is caught by the existence and value checks", async () => {
  let caught = 0;
  for (let seed = 1; seed <= 20 && caught === 0; seed++) {
    const result = await runSchedule(generate(seed, { operations: 150 }), { blindDeletes: true });
    caught += result.violations.filter((v) => v.check === "5-sequential-spec").length;
  }
  expect(caught).toBeGreaterThan(0);
});
