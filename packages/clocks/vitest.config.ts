import { defineConfig } from "vitest/config";

// The tests are pure functions over fresh values, so files can share one module graph:
// this skips re-importing fast-check for every file, which dominated the run time.
// Property tests do real work; CI runs every package at once on 2 cores, so allow 60 s.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], testTimeout: 60_000, isolate: false },
});
