import { writeFileSync } from "node:fs";
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

/** Bundles `code` (an entry module) from the smoke app for the browser; returns output and per-module bytes. */
async function bundleSource(code: string) {
  const entry = join(app, `entry-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(entry, code);
  const result = await bundleForBrowser(entry, app);
  const output = Object.values(result.metafile.outputs)[0];
  const bytes = (module: string) =>
    Object.entries(output?.inputs ?? {})
      .filter(([path]) => path.endsWith(`@convergent/replicated-store/dist/${module}`))
      .reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
  return { text: result.outputFiles[0]?.text ?? "", bytes };
}

/**
 * Modules of the store's browser entry an app that only opens a replica in memory does not use,
 * each with a string only its code contains. (The CRDT types are not among them: createReplica
 * registers every built-in type, so they are reachable from it.)
 */
const UNUSED_STORE_MODULES = [
  { module: "storage/indexeddb.js", marker: "indexedDB" },
  { module: "metrics/prometheus.js", marker: "# TYPE" },
  { module: "serve/multi-transport.js", marker: undefined },
  { module: "metrics/recorder.js", marker: undefined },
] as const;

test("the store's browser entry tree-shakes: createReplica + memoryStorage leave unused modules out", async () => {
  const everything = await bundleSource(`export * from "@convergent/replicated-store";`);
  const minimal =
    await bundleSource(`import { createReplica, memoryStorage } from "@convergent/replicated-store";
export async function open(transport) {
  const replica = await createReplica({ id: "tab", transport, storage: memoryStorage() });
  await replica.counter("likes").increment(1);
  return replica;
}`);
  for (const { module, marker } of UNUSED_STORE_MODULES) {
    // The control: with the whole API kept, each module and its marker are in the bundle.
    expect(everything.bytes(module), module).toBeGreaterThan(0);
    expect(minimal.bytes(module), module).toBe(0);
    if (marker !== undefined) {
      expect(everything.text).toContain(marker);
      expect(minimal.text).not.toContain(marker);
    }
  }
  expect(minimal.bytes("store/replica.js")).toBeGreaterThan(0);
  console.info(
    `store, createReplica + memoryStorage: ${gzipSync(minimal.text, { level: 9 }).length} B min+gz; whole browser entry: ${gzipSync(everything.text, { level: 9 }).length} B`,
  );
});

test("the guard refuses the Node-only subpath, so it would catch a leak", async () => {
  const attempt = bundleForBrowser(join(app, "node-consumer.mjs"), app);
  await expect(attempt).rejects.toThrow(/"(node:[a-z_]+|ws)" is Node-only/);
});
