import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { PUBLISHED, readManifest, WORKSPACE_ROOT } from "./workspace.mjs";

// `changeset version` consumes the changesets, so it runs on a copy of what it reads: the root
// manifest, the workspace file, .changeset/, and every package's manifest and changelog.
let copy = "";
let output = "";
const before = new Map<string, string>();
const privatePackages: string[] = [];

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), "convergent-changeset-"));
  for (const file of ["package.json", "pnpm-workspace.yaml"]) {
    copyFileSync(join(WORKSPACE_ROOT, file), join(copy, file));
  }
  cpSync(join(WORKSPACE_ROOT, ".changeset"), join(copy, ".changeset"), { recursive: true });
  for (const dir of readdirSync(join(WORKSPACE_ROOT, "packages"))) {
    const from = join(WORKSPACE_ROOT, "packages", dir);
    if (!existsSync(join(from, "package.json"))) continue;
    mkdirSync(join(copy, "packages", dir), { recursive: true });
    for (const file of ["package.json", "CHANGELOG.md"]) {
      if (existsSync(join(from, file)))
        copyFileSync(join(from, file), join(copy, "packages", dir, file));
    }
    const manifest = readManifest(from);
    before.set(dir, manifest.version);
    if (manifest.private === true) privatePackages.push(dir);
  }
  // The changesets CLI itself, not `pnpm changeset`: pnpm would first re-link the copy's
  // dependencies, and the copy has no node_modules of its own.
  const cli = join(WORKSPACE_ROOT, "node_modules", "@changesets", "cli", "bin.js");
  output = execFileSync(process.execPath, [cli, "version"], {
    cwd: copy,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
});

afterAll(() => {
  if (copy !== "") rmSync(copy, { recursive: true, force: true });
});

test("`pnpm changeset` is the changesets CLI", () => {
  expect(readManifest(WORKSPACE_ROOT).scripts?.["changeset"]).toBe("changeset");
  expect(output).toContain("All files have been updated");
});

test.each(PUBLISHED)("%s gets a higher version and a changelog entry for it", (dir) => {
  const manifest = readManifest(join(copy, "packages", dir));
  const [major, minor, patch] = manifest.version.split(".").map(Number);
  const [oldMajor, oldMinor, oldPatch] = (before.get(dir) ?? "").split(".").map(Number);
  const bumped =
    (major ?? 0) * 1e6 + (minor ?? 0) * 1e3 + (patch ?? 0) >
    (oldMajor ?? 0) * 1e6 + (oldMinor ?? 0) * 1e3 + (oldPatch ?? 0);
  expect(bumped, `${before.get(dir)} -> ${manifest.version}`).toBe(true);
  const changelog = readFileSync(join(copy, "packages", dir, "CHANGELOG.md"), "utf8");
  expect(changelog).toMatch(new RegExp(`^# ${manifest.name}\\n\\n## ${manifest.version}\\n`));
  // pnpm rewrites these at pack time; changesets must leave the protocol alone.
  for (const range of Object.values(manifest.dependencies ?? {})) {
    if (range.startsWith("workspace:")) expect(range).toBe("workspace:^");
  }
});

test("private packages are left alone", () => {
  expect(privatePackages).toContain("release-smoke");
  for (const dir of privatePackages) {
    expect(readManifest(join(copy, "packages", dir)).version).toBe(before.get(dir));
    expect(existsSync(join(copy, "packages", dir, "CHANGELOG.md"))).toBe(false);
  }
});

test("every changeset was consumed, and the real ones are untouched", () => {
  const left = readdirSync(join(copy, ".changeset")).filter((file) => file.endsWith(".md"));
  expect(left.filter((file) => file !== "README.md")).toEqual([]);
  const real = readdirSync(join(WORKSPACE_ROOT, ".changeset")).filter((f) => f.endsWith(".md"));
  expect(real.length).toBeGreaterThan(0);
});
