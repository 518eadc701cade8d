/**
 * A fresh npm application outside the workspace with the packed tarballs installed, as a user
 * would get it from the registry: no workspace links, no hoisting from the monorepo.
 */
import { spawnSync } from "node:child_process";
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
 * @param {{ extra?: readonly string[], loglevel?: string }} [options] third-party packages to
 *   add (default `APP_EXTRA_DEPENDENCIES`) and npm's log level (default `error`; `warn` to see
 *   what a user sees)
 * @returns {string} what `npm install` printed, stdout and stderr
 */
export function createApp(directory, tarballs, options = {}) {
  /** @param {string[]} args */
  const npm = (args) => {
    const result = spawnSync("npm", args, {
      cwd: directory,
      encoding: "utf8",
      // The workspace's pnpm settings (and pnpm's NODE_PATH into the workspace's store) must
      // not leak into a user's npm or app.
      env: {
        ...process.env,
        npm_config_workspaces: undefined,
        npm_config_user_agent: undefined,
        NODE_PATH: undefined,
      },
    });
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    if (result.status !== 0) throw new Error(`npm ${args.join(" ")} failed:\n${output}`);
    return output;
  };
  npm(["init", "-y"]);
  const manifestPath = join(directory, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  writeFileSync(manifestPath, `${JSON.stringify({ ...manifest, type: "module" }, null, 2)}\n`);
  return npm([
    "install",
    "--no-audit",
    "--no-fund",
    "--prefer-offline",
    `--loglevel=${options.loglevel ?? "error"}`,
    ...tarballs,
    ...(options.extra ?? APP_EXTRA_DEPENDENCIES),
  ]);
}
