import { defineConfig } from "vitest/config";

// One global setup packs the packages and installs the tarballs into a fresh app (the slow part,
// done once per run); every test file then reads that app.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    globalSetup: ["./src/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
