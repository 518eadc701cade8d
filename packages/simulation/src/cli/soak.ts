/**
 * `pnpm soak [--schedules N] [--seconds S] [--operations K] [--seed FIRST]`: runs schedules
 * until either limit (default 100,000 schedules), then prints operations, faults injected and
 * violations, with a replay command for each failing seed. Exits 1 on any violation.
 */
import { campaign, replayCommand } from "../campaign.js";
import { parseArgs } from "./args.js";

const { flags } = parseArgs(process.argv.slice(2));
const operations = flags.get("operations") ?? 200;
const seconds = flags.get("seconds");
const schedules = flags.get("schedules") ?? (seconds === undefined ? 100_000 : undefined);
const firstSeed = flags.get("seed") ?? Date.now() % 1_000_000_000;

console.log(`soak: seeds from ${firstSeed}, ${operations} operations per schedule`);
const result = await campaign({
  firstSeed,
  operations,
  ...(schedules === undefined ? {} : { schedules }),
  ...(seconds === undefined ? {} : { seconds }),
  onProgress: (done, stats) => console.log(`  ${done} schedules, ${stats.operations} operations`),
});
const s = result.stats;
const violations = result.failures.reduce((n, f) => n + f.violations.length, 0);
console.log(
  JSON.stringify(
    {
      schedules: result.schedules,
      seconds: Math.round(result.elapsedMs / 1000),
      operations: s.operations,
      sessionOperations: s.sessionOps,
      reads: s.reads,
      deletes: { steps: s.deletes, keysWritten: s.deleteWrites },
      mapOperations: s.mapOperations,
      outcomes: s.outcomes,
      rejected: s.rejected,
      timeouts: { writes: s.writeTimeouts, reads: s.readTimeouts, sessions: s.sessionTimeouts },
      faultsInjected: result.faults,
      faults: s.faults,
      frames: {
        sent: s.framesSent,
        lost: s.framesLost,
        duplicated: s.framesDuplicated,
        cut: s.framesDropped,
      },
      virtualHours: Math.round(s.virtualMs / 36_000) / 100,
      failingSchedules: result.failures.length,
      violations,
    },
    null,
    2,
  ),
);
for (const failure of result.failures) {
  console.log(
    `\nseed ${failure.seed}: ${failure.violations[0]?.check}: ${failure.violations[0]?.message}`,
  );
  console.log(`  replay: ${replayCommand(failure.seed, operations)}`);
}
process.exitCode = result.failures.length > 0 ? 1 : 0;
