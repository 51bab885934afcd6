// Writes build/modules.json: for every filter (filters/<name>/filter.ts) its built module build/<name>.wasm, size and
// sha256 — what Envoy's remote code source (`vm_config.code.remote.sha256`), the npm package, the OCI images and
// `import { filterModules } from "ambient-wasm/modules"` use. Runs as a step of `npm run build`, after the filters.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./asc.mjs";

export const manifestPath = join(root, "build/modules.json");

export function modulesManifest() {
  const modules = {};
  for (const name of readdirSync(join(root, "filters")).sort()) {
    if (!existsSync(join(root, "filters", name, "filter.ts"))) continue;
    const file = `build/${name}.wasm`;
    if (!existsSync(join(root, file))) continue;
    const bytes = readFileSync(join(root, file));
    modules[name] = { file, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  }
  return modules;
}

export default async function () {
  const text = JSON.stringify(modulesManifest(), null, 2) + "\n";
  if (existsSync(manifestPath) && readFileSync(manifestPath, "utf8") === text) return;
  writeFileSync(manifestPath + ".tmp", text);
  renameSync(manifestPath + ".tmp", manifestPath);
}
