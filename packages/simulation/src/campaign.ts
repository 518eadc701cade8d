/**
 * Runs many schedules (seeds in order from `firstSeed`) for a number of schedules or seconds,
 * adds up what they did, and stops collecting details after the first failures.
 */
import { type RunResult, runSchedule } from "./run.js";
import { generate } from "./schedule.js";
import { addStats, emptyStats, faultCount, type RunStats } from "./stats.js";

export interface CampaignOptions {
  readonly firstSeed: number;
  readonly schedules?: number;
  readonly seconds?: number;
  readonly operations: number;
  readonly onProgress?: (done: number, stats: RunStats) => void;
}

export interface CampaignResult {
  readonly schedules: number;
  readonly stats: RunStats;
  readonly faults: number;
  readonly failures: readonly RunResult[];
  readonly elapsedMs: number;
}

export async function campaign(options: CampaignOptions): Promise<CampaignResult> {
  const started = performance.now();
  const stats = emptyStats();
  const failures: RunResult[] = [];
  let faults = 0;
  let done = 0;
  const limit = options.schedules ?? Number.POSITIVE_INFINITY;
  const deadline =
    options.seconds === undefined ? Number.POSITIVE_INFINITY : started + options.seconds * 1000;
  while (done < limit && performance.now() < deadline) {
    const result = await runSchedule(
      generate(options.firstSeed + done, { operations: options.operations }),
    );
    addStats(stats, result.stats);
    faults += faultCount(result.stats);
    if (result.violations.length > 0 && failures.length < 10) failures.push(result);
    done++;
    if (done % 1000 === 0) options.onProgress?.(done, stats);
  }
  return { schedules: done, stats, faults, failures, elapsedMs: performance.now() - started };
}

/** The one command that replays (and shrinks) a failing seed. */
export function replayCommand(seed: number, operations: number): string {
  return `pnpm --filter @convergent/simulation replay ${seed} --operations ${operations}`;
}
