import type {} from "vitest";
import type { PackedPackage } from "./pack.mjs";

/** What the global setup hands every test file: the tarballs and the app they were installed in. */
export interface SmokeContext {
  /** Temp directory outside the workspace holding everything below; removed after the run. */
  readonly root: string;
  /** The npm app with the tarballs installed and the fixtures copied in. */
  readonly app: string;
  readonly packed: readonly PackedPackage[];
}

declare module "vitest" {
  export interface ProvidedContext {
    smoke: SmokeContext;
  }
}
