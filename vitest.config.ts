import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "filters/**/*.test.ts"],
    // Builds every AssemblyScript test probe once per run, before the test files start (test/probes.ts).
    globalSetup: ["./test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
