import { describe, expect, inject, test } from "vitest";
import { readTarball } from "./tarball.mjs";
import { PUBLISHED, packageDir, readManifest } from "./workspace.mjs";

const { packed } = inject("smoke");
const releasedVersions = new Map(
  PUBLISHED.map((dir) => {
    const manifest = readManifest(packageDir(dir));
    return [manifest.name, manifest.version];
  }),
);

/** Files that only tests need; none may ship. */
const TEST_ONLY =
  /(^|\/)(src|test-support|__tests__)\/|\.test\.|\.spec\.|(^|\/)(test-helpers|test-arbitraries|fixtures)\.(js|d\.ts)/;

/** @returns every string leaf of an `exports` map */
function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "object" && value !== null)
    return Object.values(value).flatMap(exportTargets);
  return [];
}

/** Module specifiers imported by a built ES module (static, re-export and dynamic forms). */
function specifiers(code: string): string[] {
  const found = new Set<string>();
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;
  for (const match of code.matchAll(pattern)) if (match[1] !== undefined) found.add(match[1]);
  return [...found];
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return (specifier.startsWith("@") ? parts.slice(0, 2) : parts.slice(0, 1)).join("/");
}

test("the published packages are exactly the ones packed", () => {
  expect(packed.map((item) => item.name)).toEqual(PUBLISHED.map((dir) => `@convergent/${dir}`));
});

describe.each(packed)("$name tarball", ({ name, tarball }) => {
  const files = readTarball(tarball);
  const paths = [...files.keys()].sort();
  const manifest = JSON.parse(files.get("package.json")?.toString("utf8") ?? "{}");
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);

  test("holds package.json and README.md for the right package", () => {
    expect(manifest.name).toBe(name);
    expect(manifest.private).toBeUndefined();
    expect(files.get("README.md")?.toString("utf8")).toMatch(new RegExp(`^# ${name}\\b`));
  });

  test("every export points at a shipped .js with its .d.ts", () => {
    const targets = [...exportTargets(manifest.exports), manifest.main, manifest.types];
    expect(targets.length).toBeGreaterThan(2);
    const missing = targets.filter((target) => !files.has(String(target).replace(/^\.\//, "")));
    expect(missing).toEqual([]);
    const jsFiles = paths.filter((path) => path.startsWith("dist/") && path.endsWith(".js"));
    expect(jsFiles.length).toBeGreaterThan(0);
    const undeclared = jsFiles.filter((path) => !files.has(path.replace(/\.js$/, ".d.ts")));
    expect(undeclared).toEqual([]);
  });

  test("dependency ranges are real versions, not workspace: links", () => {
    const ranges = { ...manifest.dependencies, ...manifest.peerDependencies };
    const internal = Object.entries(ranges).filter(([dep]) => dep.startsWith("@convergent/"));
    expect(JSON.stringify(manifest)).not.toContain("workspace:");
    for (const [dep, range] of internal) expect(range).toBe(`^${releasedVersions.get(dep)}`);
  });

  test("ships no tests, test support or sources", () => {
    expect(paths.filter((path) => TEST_ONLY.test(path))).toEqual([]);
  });

  test("every import in the shipped JS resolves: relative files shipped, packages declared", () => {
    const problems: string[] = [];
    for (const path of paths.filter((p) => p.endsWith(".js"))) {
      for (const specifier of specifiers(files.get(path)?.toString("utf8") ?? "")) {
        if (specifier.startsWith(".")) {
          const target = new URL(specifier, `file:///${path}`).pathname.slice(1);
          if (!files.has(target)) problems.push(`${path} imports missing ${specifier}`);
        } else if (!specifier.startsWith("node:") && !declared.has(packageName(specifier))) {
          problems.push(`${path} imports undeclared ${specifier}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
