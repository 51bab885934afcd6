// Compiles many AssemblyScript entries at once, one worker thread per core (each compile is single-threaded and
// CPU-bound), and reports each module as it finishes. Every job goes through compileAssemblyScript, so unchanged
// inputs cost a hash and nothing else.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

const workerUrl = new URL("./asc-worker.mjs", import.meta.url);

/**
 * jobs: [{ entry, outFile, options }]; onDone(job, result | null, error | null) is called as each finishes.
 * Resolves to the list of { job, result, error } in job order.
 */
export async function compileAll(jobs, { concurrency = availableParallelism(), onDone = () => {} } = {}) {
  const results = new Array(jobs.length);
  let next = 0;
  const workers = Math.max(1, Math.min(concurrency, jobs.length));
  await Promise.all(
    Array.from({ length: workers }, async () => {
      if (next >= jobs.length) return;
      const worker = new Worker(workerUrl);
      try {
        while (next < jobs.length) {
          const index = next++;
          const job = jobs[index];
          const reply = await new Promise((resolve, reject) => {
            worker.once("message", resolve);
            worker.once("error", reject);
            worker.postMessage(job);
          });
          worker.removeAllListeners("error");
          const error = reply.error ? new Error(reply.error) : null;
          results[index] = { job, result: reply.result ?? null, error };
          onDone(job, reply.result ?? null, error);
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
  return results;
}
