import { defineConfig } from "vitest/config";

// The tests are pure functions over fresh values, so files can share one module graph:
// this skips re-importing fast-check for every file, which dominated the run time.
export default defineConfig({ test: { include: ["src/**/*.test.ts"], isolate: false } });
