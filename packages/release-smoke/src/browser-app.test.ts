/**
 * A browser-only app, as a user of the store in a page installs it: the store and sync tarballs
 * (and the Convergent packages they depend on, which npm would otherwise fetch from the
 * registry) with npm, no libsql, no @types/node, no codec.
 */

import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, inject, test } from "vitest";
import { createApp } from "./app.mjs";
import { SMOKE_ROOT, WORKSPACE_ROOT } from "./workspace.mjs";

const { root, packed, app: nodeApp } = inject("smoke");
const tsc = join(WORKSPACE_ROOT, "node_modules", "typescript", "bin", "tsc");
const app = join(root, "browser-app");
let npmOutput = "";

beforeAll(() => {
  mkdirSync(app);
  // Everything but the codec: the store must not need it, so npm would have to fetch it from
  // the registry (and fail, for an unreleased version) were it still a dependency.
  const tarballs = packed.filter(({ name }) => name !== "@convergent/codec").map((p) => p.tarball);
  npmOutput = createApp(app, tarballs, { extra: [], loglevel: "warn" });
  copyFileSync(join(SMOKE_ROOT, "fixtures", "dom-consumer.ts"), join(app, "dom-consumer.ts"));
});

/** Every installed package's manifest, scoped ones included. */
function installedManifests(): { name: string; scripts?: Record<string, string> }[] {
  const modules = join(app, "node_modules");
  const dirs = readdirSync(modules).flatMap((entry) =>
    entry.startsWith("@")
      ? readdirSync(join(modules, entry)).map((inner) => join(modules, entry, inner))
      : entry.startsWith(".")
        ? []
        : [join(modules, entry)],
  );
  return dirs
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")));
}

test("a browser-only install runs no install script and brings no libsql, codec or @types/node", () => {
  expect(npmOutput).not.toMatch(/install script|msgpackr|libsql|deprecated/i);
  const manifests = installedManifests();
  const names = manifests.map((m) => m.name);
  expect(names).toContain("@convergent/replicated-store");
  for (const unwanted of [
    "libsql",
    "@convergent/codec",
    "msgpackr",
    "msgpackr-extract",
    "@types/node",
    "@types/ws",
  ])
    expect(names, unwanted).not.toContain(unwanted);
  expect(names.filter((name) => name.startsWith("@libsql/"))).toEqual([]);
  const withScripts = manifests
    .filter(({ scripts = {} }) =>
      ["preinstall", "install", "postinstall"].some((s) => s in scripts),
    )
    .map((m) => m.name);
  expect(withScripts).toEqual([]);
});

/** Type-checks dom-consumer.ts in `directory` as a DOM-only project; returns tsc's output. */
function checkDomProject(directory: string): { status: number | null; output: string } {
  const config = {
    compilerOptions: {
      module: "ESNext",
      moduleResolution: "Bundler",
      target: "ES2022",
      lib: ["ES2022", "DOM", "DOM.Iterable"],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      // No `types`: like most apps, every installed @types package would be loaded.
    },
    files: ["dom-consumer.ts"],
  };
  writeFileSync(join(directory, "tsconfig.dom.json"), JSON.stringify(config, null, 2));
  const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.dom.json"], {
    cwd: directory,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

test("a DOM-only TypeScript project type-checks strictly against the installed declarations", () => {
  expect(checkDomProject(app)).toEqual({ status: 0, output: "" });
});

test("control: the same project fails where @types/node is installed (so the check can fail)", () => {
  // The Node smoke app has @types/node, as a browser app had once @types/ws pulled it in.
  const { status, output } = checkDomProject(nodeApp);
  expect(status).not.toBe(0);
  expect(output).toMatch(/dom-consumer\.ts.*TS2322/);
});
