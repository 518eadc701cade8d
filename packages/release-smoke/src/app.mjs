/**
 * A fresh npm application outside the workspace with the packed tarballs installed, as a user
 * would get it from the registry: no workspace links, no hoisting from the monorepo.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Third-party packages the smoke app adds, as a TypeScript-on-Node user would have them. The
 * Convergent packages must bring every other dependency themselves.
 */
export const APP_EXTRA_DEPENDENCIES = ["@types/node@20"];

/**
 * @param {string} directory an empty directory outside the workspace
 * @param {readonly string[]} tarballs absolute paths of the `.tgz` files
 */
export function createApp(directory, tarballs) {
  /** @param {string[]} args */
  const npm = (args) =>
    execFileSync("npm", args, {
      cwd: directory,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      // The workspace's pnpm settings must not leak into a user's npm.
      env: { ...process.env, npm_config_workspaces: undefined, npm_config_user_agent: undefined },
    });
  npm(["init", "-y"]);
  const manifestPath = join(directory, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  writeFileSync(manifestPath, `${JSON.stringify({ ...manifest, type: "module" }, null, 2)}\n`);
  npm([
    "install",
    "--no-audit",
    "--no-fund",
    "--prefer-offline",
    "--loglevel=error",
    ...tarballs,
    ...APP_EXTRA_DEPENDENCIES,
  ]);
}
