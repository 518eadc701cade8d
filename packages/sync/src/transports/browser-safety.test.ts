/**
 * The "." export must run in browsers: nothing reachable from src/index.ts may import Node
 * modules or `ws`, or use Node globals. Checked twice: by reading import statements, and by
 * compiling everything reachable from the index with the DOM library and no Node types.
 */
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, test } from "vitest";

const src = join(dirname(fileURLToPath(import.meta.url)), "..");
const packageRoot = join(src, "..");
const NODE_ONLY = new Set(["transports/websocket-node.ts"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "test-support" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const nodeModule = (specifier: string) =>
  specifier === "ws" ||
  specifier.startsWith("ws/") ||
  specifier.startsWith("node:") ||
  builtinModules.includes(specifier.split("/")[0]!);

test("only websocket-node.ts imports Node modules or ws", () => {
  const offenders: string[] = [];
  const nodeOnlyImports: string[] = [];
  for (const file of sourceFiles(src)) {
    const name = relative(src, file).split("\\").join("/");
    const imports = [
      ...readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g),
    ].map((match) => match[1]!);
    for (const specifier of imports.filter(nodeModule)) {
      if (NODE_ONLY.has(name)) nodeOnlyImports.push(specifier);
      else offenders.push(`${name} imports ${specifier}`);
    }
  }
  expect(offenders).toEqual([]);
  // The scan sees imports at all: the Node-only module's own imports are found.
  expect(nodeOnlyImports).toContain("ws");
});

test("everything reachable from src/index.ts compiles for the browser (DOM, no Node types)", () => {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(packageRoot, "tsconfig.build.json"),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (config === undefined) throw new Error("cannot read tsconfig.build.json");
  const program = ts.createProgram({
    rootNames: [join(src, "index.ts"), join(src, "transports/test-support/dom-websocket-check.ts")],
    options: {
      ...config.options,
      types: [],
      noEmit: true,
      declaration: false,
      declarationMap: false,
    },
  });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  expect(diagnostics).toEqual([]);
  const reached = program
    .getSourceFiles()
    .map((file) => file.fileName)
    .filter((name) => /websocket-node|@types[\\/](node|ws)|node_modules[\\/]ws[\\/]/.test(name));
  expect(reached).toEqual([]);
  expect(program.getSourceFiles().some((f) => f.fileName.endsWith("websocket-client.ts"))).toBe(
    true,
  );
}, 30_000);
