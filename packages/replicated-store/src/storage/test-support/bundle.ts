import { build } from "esbuild";

/** Bundles one TypeScript entry into a single ESM string (dependencies in `external` stay imports). */
export async function bundle(
  entry: string,
  platform: "node" | "browser",
  external: string[] = [],
): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform,
    target: "es2022",
    write: false,
    external,
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${entry}`);
  return output.text;
}
