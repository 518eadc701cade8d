/**
 * Shrinks a failing schedule by dropping steps while it still fails (delta debugging in its
 * simplest form: halves, then quarters, ... then single steps). The result is still a pure
 * function of the seed, since the seed also drives the network.
 */
import type { Sabotage } from "./cluster.js";
import { type RunResult, runSchedule } from "./run.js";
import type { Schedule } from "./schedule.js";

export interface Shrunk {
  readonly schedule: Schedule;
  readonly result: RunResult;
  readonly runs: number;
}

export async function shrink(
  schedule: Schedule,
  failing: RunResult,
  maxRuns = 400,
  sabotage: Sabotage = {},
): Promise<Shrunk> {
  let best = schedule;
  let bestResult = failing;
  let runs = 0;
  let chunk = Math.max(1, Math.floor(best.steps.length / 2));
  while (chunk >= 1 && runs < maxRuns) {
    let removed = false;
    for (let start = 0; start < best.steps.length && runs < maxRuns; ) {
      const steps = [...best.steps.slice(0, start), ...best.steps.slice(start + chunk)];
      const candidate = { ...best, steps };
      const result = await runSchedule(candidate, sabotage);
      runs++;
      if (result.violations.length > 0) {
        best = candidate;
        bestResult = result;
        removed = true;
      } else start += chunk;
    }
    if (!removed) chunk = Math.floor(chunk / 2);
  }
  return { schedule: best, result: bestResult, runs };
}
