/**
 * The multi-process soak for ~15 s (real processes, SIGKILL, cut links), and the history check
 * on hand-made histories so its verdicts are known to bite.
 */
import { expect, test } from "vitest";
import { checkHistory, type WriteRecord } from "./history.js";
import { runProcessSoak } from "./soak.js";

const write = (value: string, start: number, end: number, acked = true): WriteRecord => ({
  key: "k",
  value,
  level: "one",
  replica: "a",
  start,
  end,
  acked,
});
const finals = (...values: unknown[]) =>
  new Map(values.map((v, i) => [`r${i}`, new Map([["k", v]])] as const));

test("the history check flags divergence, lost and phantom writes, and accepts concurrent winners", () => {
  const history = [write("old", 0, 10), write("new", 20, 30), write("lost", 25, Infinity, false)];
  expect(checkHistory(history, finals("new", "new"))).toEqual([]);
  // Overlapping "new": an unanswered write may win.
  expect(checkHistory(history, finals("lost", "lost"))).toEqual([]);
  expect(checkHistory(history, finals("old", "old")).map((v) => v.check)).toEqual(["lost-write"]);
  expect(checkHistory(history, finals("new", "old")).map((v) => v.check)).toEqual(["convergence"]);
  expect(checkHistory(history, finals("x", "x")).map((v) => v.check)).toEqual(["phantom-value"]);
  expect(checkHistory(history, finals(undefined, undefined)).map((v) => v.check)).toEqual([
    "lost-write",
  ]);
});

test("three serve processes under SIGKILL and cut links converge and lose no acknowledged write", async () => {
  const summary = await runProcessSoak({ seconds: 15, seed: 7, convergeTimeoutMs: 15_000 });
  expect(summary.details).toEqual([]);
  expect(summary.violations).toBe(0);
  expect(summary.faults.kills).toBeGreaterThan(0);
  expect(summary.faults.restarts).toBe(summary.faults.kills);
  expect(summary.acknowledged).toBeGreaterThan(0);
  expect(summary.acknowledgedByLevel.all).toBeGreaterThan(0);
}, 40_000);
