import { defineConfig } from "vitest/config";

// The test runs the whole demo as child processes (three replicas over WebSocket and SQLite),
// several times; on a loaded 2-core CI machine that can take a while.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
});
