import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh directory under the system temp dir, and a way to remove it. */
export function tempDirectory(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `convergent-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
