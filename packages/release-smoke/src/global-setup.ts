import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { createApp } from "./app.mjs";
import { packAll } from "./pack.mjs";
import type { SmokeContext } from "./smoke-context.js";
import { SMOKE_ROOT } from "./workspace.mjs";

/** Packs once, installs once into a fresh app outside the workspace, and cleans up afterwards. */
export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), "convergent-release-smoke-"));
  try {
    const tarballs = join(root, "tarballs");
    const app = join(root, "app");
    mkdirSync(tarballs);
    mkdirSync(app);
    const packed = packAll(tarballs);
    createApp(
      app,
      packed.map((item) => item.tarball),
    );
    const fixtures = join(SMOKE_ROOT, "fixtures");
    for (const file of readdirSync(fixtures)) copyFileSync(join(fixtures, file), join(app, file));
    const context: SmokeContext = { root, app, packed };
    project.provide("smoke", context);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return () => rmSync(root, { recursive: true, force: true });
}
