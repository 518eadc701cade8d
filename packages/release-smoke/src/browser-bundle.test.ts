import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, expect, inject, test } from "vitest";
import { bundleForBrowser } from "./browser-bundle.js";
import { EXPECTED_SCENARIO } from "./expected-scenario.js";
import { runInBrowserLikeSandbox } from "./sandbox.js";

const { app } = inject("smoke");
let bundle: Awaited<ReturnType<typeof bundleForBrowser>>;
let code = "";

beforeAll(async () => {
  bundle = await bundleForBrowser(join(app, "browser-entry.mjs"), app);
  code = bundle.outputFiles[0]?.text ?? "";
});

test("every browser-safe package bundles from the tarballs with no Node built-in or ws", () => {
  const inputs = Object.keys(bundle.metafile.inputs);
  const packages = new Set(
    inputs.flatMap(
      (input) => /node_modules\/(@convergent\/[^/]+|[^@/][^/]*)\//.exec(input)?.[1] ?? [],
    ),
  );
  expect([...packages].sort()).toEqual([
    "@convergent/clocks",
    "@convergent/codec",
    "@convergent/core",
    "@convergent/g-counter",
    "@convergent/lww-register",
    "@convergent/mv-register",
    "@convergent/or-set",
    "@convergent/pn-counter",
    "@convergent/sync",
    "msgpackr",
  ]);
  // Nothing left for a browser to fetch: the output imports no module at all.
  const outputs = Object.values(bundle.metafile.outputs);
  expect(outputs.flatMap((output) => output.imports)).toEqual([]);
  expect(code).not.toMatch(/["']node:|require\(/);
  console.info(
    `browser smoke bundle: ${code.length} B min, ${gzipSync(code, { level: 9 }).length} B min+gz`,
  );
});

test("the bundle runs without Node globals and gives the same results as Node", () => {
  const { reports, globals } = runInBrowserLikeSandbox(code);
  expect(globals).toEqual([]);
  expect(reports).toHaveLength(1);
  expect(JSON.parse(reports[0] ?? "null")).toEqual(EXPECTED_SCENARIO);
});

test("the guard refuses the Node-only subpath, so it would catch a leak", async () => {
  const attempt = bundleForBrowser(join(app, "node-consumer.mjs"), app);
  await expect(attempt).rejects.toThrow(/"(node:[a-z_]+|ws)" is Node-only/);
});
