// Vitest global setup: compiles every AssemblyScript probe of the suite (test/probes.ts) once, one worker per core,
// before the test files start. A probe that fails to compile is reported here and again by the test that uses it.
import { compileAll } from "../scripts/asc-pool.mjs";
import { allProbes } from "./probes.ts";

export default async function setup(): Promise<void> {
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
