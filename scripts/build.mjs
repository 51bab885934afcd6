// `npm run build`: compiles every filter (filters/<name>/filter.ts) to build/<name>.wasm and prints each size,
// then runs the other build steps (scripts/build-*.mjs) in name order.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compileAssemblyScript, root } from "./asc.mjs";

const filtersDir = join(root, "filters");
const filters = readdirSync(filtersDir).filter((name) => existsSync(join(filtersDir, name, "filter.ts"))).sort();

let failed = false;
for (const name of filters) {
  try {
    const { bytes, cached } = await compileAssemblyScript(`filters/${name}/filter.ts`, `build/${name}.wasm`);
    console.log(`build/${name}.wasm`.padEnd(34) + `${String(bytes).padStart(7)} bytes${cached ? "  (unchanged)" : ""}`);
  } catch (e) {
    failed = true;
    console.error(e.message);
  }
}

for (const step of readdirSync(join(root, "scripts")).filter((f) => /^build-.*\.mjs$/.test(f)).sort()) {
  const mod = await import(pathToFileURL(join(root, "scripts", step)).href);
  if (typeof mod.default === "function") await mod.default();
}

if (failed) process.exit(1);
