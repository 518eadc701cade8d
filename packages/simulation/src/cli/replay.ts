/**
 * `pnpm --filter @convergent/simulation replay <seed> [--operations K]`: reruns one schedule,
 * prints its violations, shrinks it (at most `--shrink` runs, default 400; 0 skips it) and
 * prints the steps that still fail.
 */
import { runSchedule } from "../run.js";
import { generate } from "../schedule.js";
import { shrink } from "../shrink.js";
import { parseArgs } from "./args.js";

const { flags, positional } = parseArgs(process.argv.slice(2));
const seed = positional[0];
if (seed === undefined) {
  console.error("usage: replay <seed> [--operations 200] [--shrink 400]");
  process.exit(2);
}
const operations = flags.get("operations") ?? 200;
const schedule = generate(seed, { operations });
const result = await runSchedule(schedule);
console.log(`seed ${seed}: ${schedule.replicas} replicas, ${schedule.steps.length} steps`);
if (result.violations.length === 0) {
  console.log("no violation");
  process.exit(0);
}
for (const v of result.violations) console.log(`  ${v.check}: ${v.message}`);
const maxRuns = flags.get("shrink") ?? 400;
if (maxRuns === 0) process.exit(1);
const shrunk = await shrink(schedule, result, maxRuns);
console.log(`\nshrunk to ${shrunk.schedule.steps.length} steps in ${shrunk.runs} runs:`);
for (const step of shrunk.schedule.steps) console.log(`  ${JSON.stringify(step)}`);
for (const v of shrunk.result.violations) console.log(`  ${v.check}: ${v.message}`);
process.exitCode = 1;
