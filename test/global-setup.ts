// Vitest global setup: compiles every AssemblyScript probe of the suite (test/probes.ts) once, one worker per core,
// before the test files start. A probe that fails to compile is reported here and again by the test that uses it.
// When the run is filtered to files that use no probe (`vitest run test/cli/run.test.ts`), nothing is compiled.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { compileAll } from "../scripts/asc-pool.mjs";
import { root } from "../scripts/asc.mjs";
import { allProbes } from "./probes.ts";

/** Whether vitest's file filters (substrings of test file paths) select a test file that uses probes. */
function selectsProbeTests(filters: string[]): boolean {
  const files = ["test/sdk", "test/lib"].flatMap((dir) =>
    readdirSync(join(root, dir)).filter((f) => f.endsWith(".test.ts")).map((f) => join(root, dir, f)));
  return filters.some((f) => files.some((file) => file.includes(f.replace(/^\.\//, ""))));
}

export default async function setup(project: TestProject): Promise<void> {
  // The CLI's file filters (not in vitest's typed API; when absent, everything is compiled, which is always correct).
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  if (filters && filters.length > 0 && !selectsProbeTests(filters)) return;
  const jobs = allProbes();
  const started = Date.now();
  let built = 0;
  await compileAll(jobs, {
    onDone(job, result, error) {
      if (error) process.stderr.write(`test probes: ${job.entry}: ${error.message.split("\n")[0]}\n`);
      else if (result && !result.cached) built++;
    },
  });
  if (built) process.stderr.write(`test probes: compiled ${built} of ${jobs.length} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}
