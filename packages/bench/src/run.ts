import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Result, Suite, SuiteOptions } from "./harness.js";
import { toMarkdown } from "./report.js";
import { clocksSuite } from "./suites/clocks.js";
import { codecSuite } from "./suites/codec.js";
import { countersSuite } from "./suites/counters.js";
import { lwwMapSuite } from "./suites/lww-map.js";
import { orSetSuite } from "./suites/or-set.js";
import { storeSuite } from "./suites/store.js";
import { syncSuite } from "./suites/sync.js";

const suites: Record<string, Suite> = {
  clocks: clocksSuite,
  counters: countersSuite,
  "or-set": orSetSuite,
  "lww-map": lwwMapSuite,
  codec: codecSuite,
  sync: syncSuite,
  store: storeSuite,
};

const { values } = parseArgs({
  options: {
    suite: { type: "string", multiple: true },
    scale: { type: "string", default: "1" },
    time: { type: "string", default: "500" },
    out: { type: "string", default: ".bench-results/latest" },
  },
});
const options: SuiteOptions = { scale: Number(values.scale), timeMs: Number(values.time) };
const selected = values.suite ?? Object.keys(suites);

const results: Result[] = [];
for (const name of selected) {
  const suite = suites[name];
  if (suite === undefined)
    throw new Error(`unknown suite ${name}; known: ${Object.keys(suites).join(", ")}`);
  process.stderr.write(`running ${name}...\n`);
  results.push(...(await suite(options)));
}
const markdown = toMarkdown(results);
console.log(markdown);
mkdirSync(new URL(".", `file://${process.cwd()}/${values.out}`), { recursive: true });
writeFileSync(
  `${values.out}.json`,
  JSON.stringify(
    { date: new Date().toISOString(), node: process.version, options, results },
    null,
    2,
  ),
);
writeFileSync(`${values.out}.md`, markdown);
