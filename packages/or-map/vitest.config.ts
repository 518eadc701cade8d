import { defineConfig } from "vitest/config";

// Property tests do real work; CI runs every package at once on 2 cores, so allow 60 s.
export default defineConfig({ test: { include: ["src/**/*.test.ts"], testTimeout: 60_000 } });
