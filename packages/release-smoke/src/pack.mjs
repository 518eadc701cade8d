/**
 * Packs the published packages with `pnpm -r pack`, exactly as `pnpm publish -r` builds them
 * (pnpm rewrites `workspace:` ranges to real versions in the packed package.json).
 */
import { execFileSync } from "node:child_process";
import { PUBLISHED, WORKSPACE_ROOT } from "./workspace.mjs";

/**
 * @typedef {object} PackedPackage
 * @property {string} name
 * @property {string} version
 * @property {string} tarball absolute path of the `.tgz`
 */

/**
 * @param {string} destination an existing directory for the tarballs
 * @returns {PackedPackage[]} in the order of `PUBLISHED`
 */
export function packAll(destination) {
  const filters = PUBLISHED.flatMap((dir) => ["--filter", `@convergent/${dir}`]);
  const output = execFileSync(
    "pnpm",
    ["-r", ...filters, "pack", "--pack-destination", destination, "--json"],
    { cwd: WORKSPACE_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  /** @type {{ name: string, version: string, filename: string }[]} */
  const packed = JSON.parse(output);
  return PUBLISHED.map((dir) => {
    const entry = packed.find((item) => item.name === `@convergent/${dir}`);
    if (entry === undefined) throw new Error(`pnpm -r pack did not pack @convergent/${dir}`);
    return { name: entry.name, version: entry.version, tarball: entry.filename };
  });
}
