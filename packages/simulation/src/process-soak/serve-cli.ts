/**
 * Finds the built `convergent serve` CLI (the replicated-store package's bin) from wherever this
 * code runs: the TypeScript source under vitest or the esbuild bundle in dist/. The soak runs
 * the real bin so it tests what users run; `pnpm soak:processes` builds it first.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const RELATIVE = join("node_modules", "@convergent", "replicated-store", "dist", "serve", "cli.js");

export function findServeCli(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) {
      throw new Error(
        `cannot find ${RELATIVE} above ${from}: build @convergent/replicated-store first`,
      );
    }
  }
}
