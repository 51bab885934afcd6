// Worker thread of scripts/asc-pool.mjs: compiles one job per message and replies with the result or the error text.
import { parentPort } from "node:worker_threads";
import { compileAssemblyScript } from "./asc.mjs";

parentPort.on("message", async ({ entry, outFile, options }) => {
  const started = Date.now();
  try {
    const result = await compileAssemblyScript(entry, outFile, options);
    parentPort.postMessage({ result: { ...result, ms: Date.now() - started } });
  } catch (e) {
    parentPort.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
