/**
 * The "." export must run in browsers: nothing reachable from src/index.ts may import Node
 * modules or the SQLite driver, or use Node globals. Checked by compiling everything reachable
 * from the index with the DOM library and no Node types, then scanning the imports of every
 * package file the compiler reached. The "./node" entry is checked to reach SQLite, so the
 * scan is known to see imports at all.
 */
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, test } from "vitest";

const src = join(dirname(fileURLToPath(import.meta.url)), "..");
const packageRoot = join(src, "..");

function program(entry: string, types: string[]): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(packageRoot, "tsconfig.build.json"),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  if (config === undefined) throw new Error("cannot read tsconfig.build.json");
  return ts.createProgram({
    rootNames: [join(src, entry)],
    options: { ...config.options, types, noEmit: true, declaration: false, declarationMap: false },
  });
}

const nodeOnly = (specifier: string) =>
  specifier === "libsql" ||
  specifier === "better-sqlite3" ||
  specifier === "ws" ||
  specifier.startsWith("node:") ||
  builtinModules.includes(specifier.split("/")[0]!);

/** Node-only imports of the package's own source files that `p` reached. */
function nodeImports(p: ts.Program): string[] {
  return p
    .getSourceFiles()
    .filter((file) => !relative(src, file.fileName).startsWith(".."))
    .flatMap((file) =>
      [...readFileSync(file.fileName, "utf8").matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)]
        .map((match) => match[1]!)
        .filter(nodeOnly)
        .map((specifier) => `${relative(src, file.fileName)} imports ${specifier}`),
    );
}

test("everything reachable from src/index.ts compiles for the browser (DOM, no Node types)", () => {
  const browser = program("index.ts", []);
  const diagnostics = ts
    .getPreEmitDiagnostics(browser)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  expect(diagnostics).toEqual([]);
  const reached = browser.getSourceFiles().map((file) => file.fileName);
  expect(reached.filter((name) => /@types[\\/]node|[\\/]libsql[\\/]|sqlite/.test(name))).toEqual(
    [],
  );
  expect(nodeImports(browser)).toEqual([]);
  expect(reached.some((name) => name.endsWith("storage/indexeddb.ts"))).toBe(true);
}, 30_000);

test("the ./node entry reaches the SQLite storage (so the scan above sees imports)", () => {
  expect(nodeImports(program("node.ts", ["node"]))).toContain("storage/sqlite.ts imports libsql");
}, 30_000);
