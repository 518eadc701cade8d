/**
 * Minified + gzipped sizes of each published package, bundled for the browser with esbuild the
 * way an application bundler would: "own" marks every dependency external, so it is the code the
 * package itself adds; "bundled" includes what it pulls in from its dependencies (tree-shaken).
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { PUBLISHED, readManifest } from "./workspace.mjs";

/**
 * @typedef {object} PackageSize
 * @property {string} name
 * @property {number} ownMin minified bytes of the package's own code
 * @property {number} ownGzip the same, gzipped (level 9)
 * @property {number} bundledGzip minified + gzipped with its dependencies bundled in
 */

/**
 * @param {string} code
 * @param {string} resolveDir where `@convergent/*` resolves from
 * @param {string[]} external
 */
async function minify(code, resolveDir, external) {
  const result = await build({
    stdin: { contents: code, resolveDir, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    external,
    write: false,
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("esbuild wrote no output");
  return output.contents;
}

/**
 * @param {string} resolveDir a directory whose node_modules holds the packages: the smoke app,
 *   or this package (workspace links)
 * @returns {Promise<PackageSize[]>}
 */
export async function measureSizes(resolveDir) {
  /** @type {PackageSize[]} */
  const rows = [];
  for (const dir of PUBLISHED) {
    const name = `@convergent/${dir}`;
    const manifest = readManifest(join(resolveDir, "node_modules", name));
    const dependencies = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ];
    // `export *` keeps the whole public API, as an app using all of it would.
    const entry = `export * from "${name}";`;
    const own = await minify(entry, resolveDir, dependencies);
    const bundled = await minify(entry, resolveDir, []);
    rows.push({
      name,
      ownMin: own.length,
      ownGzip: gzipSync(own, { level: 9 }).length,
      bundledGzip: gzipSync(bundled, { level: 9 }).length,
    });
  }
  return rows;
}

/**
 * Every public export of every package in one bundle, msgpackr included: the ceiling an app
 * that uses everything pays.
 * @param {string} resolveDir
 */
export async function measureAll(resolveDir) {
  // Namespaces, because plain `export *` would silently drop names two packages share
  // (`increment`, `value`, ...).
  const entry = PUBLISHED.map((dir, i) => `export * as p${i} from "@convergent/${dir}";`).join(
    "\n",
  );
  const code = await minify(entry, resolveDir, []);
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/** @param {number} bytes */
const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;

/**
 * @param {readonly PackageSize[]} rows
 * @param {Readonly<Record<string, number>>} budgets own min+gz budget per package name
 */
export function sizeTable(rows, budgets) {
  const lines = [
    "| package | own, min | own, min+gz | budget (own, min+gz) | with dependencies, min+gz |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    const budget = budgets[row.name];
    lines.push(
      `| \`${row.name}\` | ${row.ownMin} B | ${row.ownGzip} B (${kb(row.ownGzip)}) | ${budget === undefined ? "none" : `${budget} B`} | ${row.bundledGzip} B (${kb(row.bundledGzip)}) |`,
    );
  }
  return lines.join("\n");
}
