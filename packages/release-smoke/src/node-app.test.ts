import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, inject, test } from "vitest";
import { EXPECTED_SCENARIO } from "./expected-scenario.js";
import { WORKSPACE_ROOT } from "./workspace.mjs";

const { app, packed } = inject("smoke");

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: app, encoding: "utf8", timeout: 60_000 });
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

test("the app sits outside the workspace and installed one copy of each tarball", () => {
  expect(app.startsWith(WORKSPACE_ROOT)).toBe(false);
  for (const { name, version } of packed) {
    const installed = JSON.parse(
      readFileSync(join(app, "node_modules", name, "package.json"), "utf8"),
    );
    expect(installed.version).toBe(version);
    // A nested copy of a Convergent package would give two classes for one error.
    expect(existsSync(join(app, "node_modules", name, "node_modules", "@convergent"))).toBe(false);
  }
  expect(readdirSync(join(app, "node_modules", "@convergent")).length).toBe(packed.length);
});

test("a plain Node ESM app uses every package and gets the documented results", () => {
  const result = run(process.execPath, ["node-consumer.mjs"]);
  expect(result.status, result.output).toBe(0);
  const report = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "null");
  expect(report).toEqual({
    ...EXPECTED_SCENARIO,
    websocket: "hub says hello",
    deepImport: "ERR_PACKAGE_PATH_NOT_EXPORTED",
  });
});

test("a strict NodeNext TypeScript consumer type-checks against the installed declarations", () => {
  const config = {
    compilerOptions: {
      module: "NodeNext",
      moduleResolution: "NodeNext",
      target: "ES2022",
      strict: true,
      noEmit: true,
      // Check the shipped .d.ts files too: a declaration that names an undeclared package
      // (say, types from a devDependency) breaks every consumer that does not skip them.
      skipLibCheck: false,
      types: ["node"],
    },
    files: ["consumer.ts"],
  };
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify(config, null, 2));
  const tsc = join(WORKSPACE_ROOT, "node_modules", "typescript", "bin", "tsc");
  const result = run(process.execPath, [tsc, "-p", "tsconfig.json"]);
  expect(result.output.trim()).toBe("");
  expect(result.status).toBe(0);
});
