import { builtinModules } from "node:module";
import { type BuildResult, build, type Plugin } from "esbuild";

const NODE_BUILTINS = new Set(builtinModules);

/** Fails the build on any import a browser cannot satisfy: Node built-ins and `ws`. */
export const refuseNodeOnly: Plugin = {
  name: "refuse-node-only",
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.split("/")[0] ?? "";
      const nodeOnly = args.path.startsWith("node:") || NODE_BUILTINS.has(bare) || bare === "ws";
      if (!nodeOnly) return undefined;
      return {
        errors: [{ text: `"${args.path}" is Node-only, imported by ${args.importer}` }],
      };
    });
  },
};

/** Bundles `entry` the way a browser app's bundler would: platform browser, ESM, minified. */
export function bundleForBrowser(
  entry: string,
  workingDir: string,
): Promise<BuildResult<{ write: false; metafile: true }>> {
  return build({
    entryPoints: [entry],
    absWorkingDir: workingDir,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [refuseNodeOnly],
  });
}
