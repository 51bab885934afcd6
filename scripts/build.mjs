// `npm run build [-- <filter>...]`: compiles filters (filters/<name>/filter.ts) to build/<name>.wasm, one worker per
// core, printing each module as it finishes (on a terminal, a live status line as well), then runs the other build
// steps (scripts/build-*.mjs) in name order. With filter names, only those filters are built and the other steps
// are skipped. A filter without the SDK's exports fails with the line to add (scripts/asc.mjs).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compileAll } from "./asc-pool.mjs";
import { root } from "./asc.mjs";

const filtersDir = join(root, "filters");
const allFilters = readdirSync(filtersDir).filter((name) => existsSync(join(filtersDir, name, "filter.ts"))).sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = wanted.filter((name) => !allFilters.includes(name));
if (unknown.length) {
  console.error(`build: no filter named ${unknown.join(", ")} (filters: ${allFilters.join(", ")})`);
  process.exit(2);
}
const filters = wanted.length ? wanted : allFilters;
const live = process.stdout.isTTY === true;
const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1) + "s";

let failed = false;
const jobs = filters.map((name) => ({ name, entry: `filters/${name}/filter.ts`, outFile: `build/${name}.wasm` }));

let done = 0;
const pending = new Set(jobs.map((j) => j.name));
const status = () => `building ${pending.size ? [...pending].join(", ") : ""} (${done}/${jobs.length}, ${seconds()})`;
const clearLine = () => live && process.stdout.write("\r\x1b[K");
console.log(`compiling ${jobs.length} filter${jobs.length === 1 ? "" : "s"} with AssemblyScript (unchanged ones are skipped)…`);
const ticker = live ? setInterval(() => { clearLine(); process.stdout.write(status()); }, 500) : null;

await compileAll(jobs, {
  onDone(job, result, error) {
    done++;
    pending.delete(job.name);
    clearLine();
    if (error) {
      failed = true;
      console.error(error.message);
      return;
    }
    const note = result.cached ? "  (unchanged)" : `  (${(result.ms / 1000).toFixed(1)}s)`;
    console.log(`${job.outFile}`.padEnd(34) + `${String(result.bytes).padStart(7)} bytes${note}`);
    if (live && pending.size) process.stdout.write(status());
  },
});
if (ticker) clearInterval(ticker);
clearLine();

if (!wanted.length) {
  for (const step of readdirSync(join(root, "scripts")).filter((f) => /^build-.*\.mjs$/.test(f)).sort()) {
    const mod = await import(pathToFileURL(join(root, "scripts", step)).href);
    if (typeof mod.default === "function") await mod.default();
  }
}

if (failed) process.exit(1);
