/**
 * `pnpm soak:processes -- --seconds N --seed S`: the multi-process soak (soak.ts) for N seconds
 * (default 60), printing a JSON summary. Exits 1 on any violation. SIGINT and SIGTERM still
 * clean up: the run's `finally` kills the replicas and removes the temp directory.
 */
import { parseArgs } from "../cli/args.js";
import { runProcessSoak } from "./soak.js";

const { flags } = parseArgs(process.argv.slice(2));
const seconds = flags.get("seconds") ?? 60;
const seed = flags.get("seed") ?? Date.now() % 1_000_000_000;

// The first signal ends the fault phase early (the run still checks and cleans up); a second
// one exits at once.
const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    console.error(`soak:processes: ${signal}, stopping`);
  });
}

const summary = await runProcessSoak({
  seconds,
  seed,
  signal: controller.signal,
  log: (line) => console.error(line),
});
console.log(JSON.stringify(summary, null, 2));
process.exitCode = summary.violations > 0 ? 1 : 0;
