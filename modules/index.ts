// The built Wasm modules, one per filter, with their sha256 (build/modules.json, written by `npm run build`).
// `import { filterModules, modulePath } from "ambient-wasm/modules"` in an installed package, or from a clone.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface FilterModule {
  /** Absolute path of the .wasm file. */
  path: string;
  bytes: number;
  /** Lower-case hex, as Envoy's `vm_config.code.remote.sha256` wants it. */
  sha256: string;
}

/** The package (or clone) root: the folder holding build/modules.json, searched upwards from this file. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "build", "modules.json"))) return dir;
    dir = resolve(dir, "..");
  }
  throw new Error("build/modules.json not found: run `npm run build` (in a clone) or reinstall the package");
}

export function filterModules(): Record<string, FilterModule> {
  const root = packageRoot();
  const manifest = JSON.parse(readFileSync(join(root, "build", "modules.json"), "utf8")) as Record<string, { file: string; bytes: number; sha256: string }>;
  return Object.fromEntries(Object.entries(manifest).map(([name, m]) => [name, { path: join(root, m.file), bytes: m.bytes, sha256: m.sha256 }]));
}

/** Path of one filter's module, e.g. modulePath("identity-rbac"). */
export function modulePath(filter: string): string {
  const m = filterModules()[filter];
  if (!m) throw new Error(`no built module for filter "${filter}" (have: ${Object.keys(filterModules()).join(", ")})`);
  return m.path;
}
