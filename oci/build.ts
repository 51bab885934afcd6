// `npm run oci`: every built filter (build/modules.json) as OCI images in the two formats Istio's WasmPlugin pulls,
// one OCI layout directory per filter under build/oci/<filter>/, tagged `<version>-compat` and `<version>-oci`.
// Push them with any OCI tool, e.g. `skopeo copy oci:build/oci/identity-rbac:0.1.0-compat docker://REGISTRY/identity-rbac:0.1.0`.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { filterModules } from "../modules/index.ts";
import { writeWasmImages } from "./wasm-image.ts";

const repo = join(import.meta.dirname, "..");

/**
 * Root ids a filter registers: each `registerRootContext(<id>, …)` in its folder, the id a string literal or a
 * constant declared there. The empty id (a module with one root, selected whatever root_id says) is not listed.
 */
export function rootIdsOf(filter: string): string[] {
  const dir = join(repo, "filters", filter);
  const sources = readdirSync(dir).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts")).map((f) => readFileSync(join(dir, f), "utf8"));
  const constants = new Map<string, string>();
  for (const s of sources) for (const m of s.matchAll(/const\s+([A-Z][A-Z0-9_]*)\s*(?::\s*string\s*)?=\s*"([^"]*)"/g)) constants.set(m[1], m[2]);
  const ids = new Set<string>();
  for (const s of sources) {
    for (const m of s.matchAll(/registerRootContext\(\s*(?:"([^"]*)"|([A-Z][A-Z0-9_]*))/g)) {
      const id = m[1] ?? constants.get(m[2]);
      if (id === undefined) throw new Error(`filters/${filter}: root id constant ${m[2]} not found`);
      if (id !== "") ids.add(id);
    }
  }
  return [...ids].sort();
}

export function buildOciImages(outDir = join(repo, "build", "oci")): Record<string, { dir: string; compat: string; oci: string }> {
  const version = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string }).version;
  rmSync(outDir, { recursive: true, force: true });
  const out: Record<string, { dir: string; compat: string; oci: string }> = {};
  for (const [filter, m] of Object.entries(filterModules())) {
    const dir = join(outDir, filter);
    const d = writeWasmImages(dir, { filter, module: readFileSync(m.path), rootIds: rootIdsOf(filter), version });
    out[filter] = { dir, compat: d.compat.digest, oci: d.oci.digest };
  }
  return out;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  for (const [filter, r] of Object.entries(buildOciImages())) {
    console.log(`${filter.padEnd(16)} ${r.dir.slice(repo.length + 1)}  compat ${r.compat}  oci ${r.oci}`);
  }
}
