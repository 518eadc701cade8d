/**
 * Where the published packages live. Shared by the tests and by the plain-Node `size` script, so
 * it is JavaScript (Node 20 cannot run TypeScript) typed with JSDoc.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace root (`/work/main` in this checkout). */
export const WORKSPACE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** This package's directory. */
export const SMOKE_ROOT = join(WORKSPACE_ROOT, "packages", "release-smoke");

/** The packages we publish, in dependency order. */
export const PUBLISHED = /** @type {const} */ ([
  "clocks",
  "core",
  "g-counter",
  "pn-counter",
  "or-set",
  "lww-register",
  "mv-register",
  "or-map",
  "codec",
  "sync",
  "replicated-store",
]);

/**
 * @typedef {object} Manifest
 * @property {string} name
 * @property {string} version
 * @property {boolean} [private]
 * @property {Record<string, unknown>} [exports]
 * @property {Record<string, string>} [dependencies]
 * @property {Record<string, string>} [peerDependencies]
 * @property {Record<string, { optional?: boolean }>} [peerDependenciesMeta]
 * @property {Record<string, string>} [devDependencies]
 * @property {Record<string, string>} [scripts]
 * @property {string[]} [files]
 */

/**
 * @param {string} directory
 * @returns {Manifest}
 */
export function readManifest(directory) {
  return JSON.parse(readFileSync(join(directory, "package.json"), "utf8"));
}

/** @param {string} dir a name from `PUBLISHED` */
export function packageDir(dir) {
  return join(WORKSPACE_ROOT, "packages", dir);
}
